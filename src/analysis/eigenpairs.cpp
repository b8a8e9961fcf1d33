#include "analysis/eigenpairs.hpp"

#include <Eigen/Eigenvalues>

namespace sgdnoise {

Eigenpairs dense_eigenpairs(const Mat& M, Index k, bool largest) {
  if (M.rows() != M.cols()) throw std::invalid_argument("dense_eigenpairs: M must be square");
  const Index d = M.rows();
  if (k < 1 || k > d) throw std::invalid_argument("dense_eigenpairs: k must be in [1, d]");
  Eigenpairs r;
  r.method = "dense";
  Eigen::SelfAdjointEigenSolver<Mat> es(0.5 * (M + M.transpose()));
  if (es.info() != Eigen::Success) {
    r.reason = "dense symmetric eigensolver did not converge";
    return r;
  }
  // Eigen's eigenvalues are ascending.
  r.values = largest ? Vec(es.eigenvalues().tail(k).reverse()) : Vec(es.eigenvalues().head(k));
  r.vectors = largest ? Mat(es.eigenvectors().rightCols(k).rowwise().reverse()) : Mat(es.eigenvectors().leftCols(k));
  r.converged = true;
  return r;
}

}  // namespace sgdnoise
