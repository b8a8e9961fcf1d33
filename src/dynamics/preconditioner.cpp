#include "dynamics/preconditioner.hpp"

#include <sstream>
#include <stdexcept>

#include "core/kernels.hpp"

namespace sgdnoise {

Preconditioner::Preconditioner(Mat M) : M_(std::move(M)) {
  if (M_.rows() != M_.cols() || M_.rows() == 0) {
    std::ostringstream m;
    m << "the preconditioner must be a non-empty square matrix, got " << M_.rows() << " x " << M_.cols();
    throw std::invalid_argument(m.str());
  }
  if (!M_.allFinite()) throw std::invalid_argument("the preconditioner has non-finite entries");
  const double asym = (M_ - M_.transpose()).cwiseAbs().maxCoeff();
  if (asym > 1e-12 * M_.cwiseAbs().maxCoeff()) {
    std::ostringstream m;
    m << "the preconditioner must be symmetric (max |M - M^T| = " << asym << ")";
    throw std::invalid_argument(m.str());
  }
  M_ = (0.5 * (M_ + M_.transpose())).eval();
  const Eigen::LLT<Mat> llt(M_);
  if (llt.info() != Eigen::Success) {
    const Eigen::SelfAdjointEigenSolver<Mat> es(M_, Eigen::EigenvaluesOnly);
    std::ostringstream m;
    m << "the preconditioner must be positive definite (smallest eigenvalue " << es.eigenvalues()[0] << ")";
    throw std::invalid_argument(m.str());
  }
  L_ = llt.matrixL();
  diagonal_ = (M_ - Mat(M_.diagonal().asDiagonal())).cwiseAbs().maxCoeff() == 0.0;
  diag_ = M_.diagonal();
}

Preconditioner Preconditioner::diagonal(const Vec& m) { return Preconditioner(Mat(m.asDiagonal())); }

Mat Preconditioner::inverse() const {
  return L_.transpose().triangularView<Eigen::Upper>().solve(
      L_.triangularView<Eigen::Lower>().solve(Mat::Identity(dim(), dim())));
}

void Preconditioner::apply(BlockRef G) const {
  if (diagonal_) {
    for (Index j = 0; j < G.cols(); ++j) {
      const double m = diag_[j];
      double* g = G.col(j).data();
#pragma omp simd
      for (Index i = 0; i < G.rows(); ++i) g[i] *= m;
    }
    return;
  }
  thread_local Mat T;
  if (T.rows() != G.rows() || T.cols() != G.cols()) T.resize(G.rows(), G.cols());
  rows_times(G, M_, T);
  G = T;
}

}  // namespace sgdnoise
