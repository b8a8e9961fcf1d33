#include "noise/gld.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sgdnoise {

GldNoise::GldNoise(std::shared_ptr<const FiniteSumLoss> loss, Type type, Params p)
    : NoiseModel(p.target), loss_(std::move(loss)), type_(type), p_(p) {
  if (!loss_) throw std::invalid_argument("GLD noise: no loss");
  c_b_ = sgd_covariance_factor(p_.scheme, loss_->n_samples(), p_.batch);
  const Index d = loss_->dim();
  if ((type_ == Type::leading || type_ == Type::hessian) && (p_.k < 1 || p_.k > d))
    throw std::invalid_argument("GLD noise: k must be in [1, d]");
  if (!(p_.variance >= 0.0) || !std::isfinite(p_.variance))
    throw std::invalid_argument("GLD noise: variance must be finite and >= 0");
  if (!(p_.trace >= 0.0) || !std::isfinite(p_.trace))
    throw std::invalid_argument("GLD noise: trace must be finite and >= 0");
  fisher_s_ = p_.fisher_scale.value_or(c_b_);
  if (!(fisher_s_ >= 0.0) || !std::isfinite(fisher_s_))
    throw std::invalid_argument("GLD noise: fisher_scale must be finite and >= 0");
}

std::string GldNoise::kind() const {
  switch (type_) {
    case Type::constant:
      return "gld/const";
    case Type::dynamic:
      return "gld/dynamic";
    case Type::diag:
      return p_.diag_of_fisher ? "gld/diag_fisher" : "gld/diag";
    case Type::leading:
      return "gld/leading";
    case Type::hessian:
      return "gld/hessian";
    case Type::first_eigvec:
      return "gld/first_eigvec";
    case Type::gaussian_sgd:
      return "gaussian_sgd";
    case Type::gaussian_fisher:
      return "gaussian_fisher";
    case Type::gaussian_fisher_diag:
      return "gaussian_fisher_diag";
  }
  return "gld";
}

bool GldNoise::diagonal_type() const {
  return type_ == Type::constant || type_ == Type::dynamic || type_ == Type::diag ||
         type_ == Type::gaussian_fisher_diag;
}

bool GldNoise::constant_covariance() const {
  return type_ == Type::constant || (type_ == Type::dynamic && p_.trace > 0.0);
}

Index GldNoise::draws() const {
  if (weight_type()) return loss_->n_samples();
  if (type_ == Type::leading || type_ == Type::hessian) return p_.k;
  if (type_ == Type::first_eigvec) return 1;
  return loss_->dim();
}

double GldNoise::weight_type_trace(const Mat& G) const {
  const double nd = static_cast<double>(G.cols());
  if (type_ == Type::gaussian_sgd) return c_b_ * (G.colwise() - G.rowwise().mean()).squaredNorm() / nd;
  return fisher_s_ * G.squaredNorm() / nd;  // Tr(s F)
}

GldNoise::Local GldNoise::local(const Vec& theta) const {
  const Index d = dim();
  Local L;
  if (type_ == Type::constant) {
    L.sd = Vec::Constant(d, std::sqrt(p_.variance));
  } else {
    const Mat G = loss_->sample_gradients(theta);
    const double nd = static_cast<double>(G.cols());
    const Vec mean = G.rowwise().mean();
    // Tr C_sgd = c_b Tr Sigma_1 (docs/theory.md 1.1-1.2), from the centred gradients.
    auto sgd_trace = [&] { return c_b_ * (G.colwise() - mean).squaredNorm() / nd; };
    switch (type_) {
      case Type::dynamic:  // (Tr C_sgd / d) I, docs/theory.md 4.2 [CODE]
        L.sd = Vec::Constant(d, std::sqrt(sgd_trace() / static_cast<double>(d)));
        break;
      case Type::diag:  // diag C_sgd, or c_b diag F (docs/theory.md 2.2, SVHN/diagF.py) [CODE]
        L.sd = p_.diag_of_fisher ? (c_b_ * G.rowwise().squaredNorm() / nd).cwiseSqrt().eval()
                                 : (c_b_ * (G.colwise() - mean).rowwise().squaredNorm() / nd).cwiseSqrt().eval();
        break;
      case Type::gaussian_fisher_diag:  // s diag F (docs/theory.md 3.3, D = diag(F)^{1/2})
        L.sd = (fisher_s_ * G.rowwise().squaredNorm() / nd).cwiseSqrt();
        break;
      case Type::leading: {  // top-k eigen-part of C_sgd, docs/theory.md 4.2 [CODE]
        Eigen::SelfAdjointEigenSolver<Mat> es(c_b_ * centred_gradient_covariance(G));
        L.B.resize(d, p_.k);
        for (Index j = 0; j < p_.k; ++j) {
          const Index i = d - 1 - j;  // eigenvalues ascending
          L.B.col(j) = es.eigenvectors().col(i) * std::sqrt(std::max(es.eigenvalues()[i], 0.0));
        }
        break;
      }
      case Type::hessian:
      case Type::first_eigvec: {
        // hessian: C = (t / sum lambda_i) sum lambda_i u_i u_i^T over the top k (eigenvalues
        // rescaled to sum to Tr C_sgd); first_eigvec: C = t u_1 u_1^T. docs/theory.md 4.2, 4.4 [CODE].
        const double t = sgd_trace();
        Eigen::SelfAdjointEigenSolver<Mat> es(loss_->hessian(theta));
        const Index k = type_ == Type::hessian ? p_.k : 1;
        L.B.resize(d, k);
        double sum = 0.0;
        for (Index j = 0; j < k; ++j) sum += std::max(es.eigenvalues()[d - 1 - j], 0.0);
        for (Index j = 0; j < k; ++j) {
          const double lam = type_ == Type::hessian ? std::max(es.eigenvalues()[d - 1 - j], 0.0) : 1.0;
          const double var = type_ == Type::hessian ? (sum > 0.0 ? t * lam / sum : 0.0) : t;
          L.B.col(j) = es.eigenvectors().col(d - 1 - j) * std::sqrt(var);
        }
        break;
      }
      default:
        break;
    }
  }
  if (p_.trace > 0.0) {  // docs/theory.md 4.4A: Sigma / Tr Sigma x budget
    const double tr = L.B.size() > 0 ? L.B.squaredNorm() : L.sd.squaredNorm();
    const double f = tr > 0.0 ? std::sqrt(p_.trace / tr) : 0.0;
    L.sd *= f;
    L.B *= f;
  }
  return L;
}

void GldNoise::add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale, BlockRef out) const {
  const Index rows = X.rows(), d = dim(), m = draws();
  thread_local Mat Z;
  if (Z.rows() != rows || Z.cols() != m) Z.resize(rows, m);
  fill_normals(s, traj, 0, Z);
  if (weight_type()) {
    // xi = G(theta) w: w = sqrt(c_b / n) (z - zbar) gives c_b Sigma_1, w = sqrt(s / n) z gives
    // s F (docs/theory.md 1.2, rows 4-5), one re-weighted gradient and no d x d matrix.
    const double a = std::sqrt((type_ == Type::gaussian_sgd ? c_b_ : fisher_s_) / static_cast<double>(m));
    Vec theta(d);
    for (Index t = 0; t < rows; ++t) {
      double f = scale * a;
      if (p_.trace > 0.0) {
        theta = X.row(t).transpose();
        const double tr = weight_type_trace(loss_->sample_gradients(theta));
        f = tr > 0.0 ? f * std::sqrt(p_.trace / tr) : 0.0;
      }
      if (type_ == Type::gaussian_sgd) Z.row(t).array() -= Z.row(t).mean();
      Z.row(t) *= f;
    }
    thread_local Mat xi;
    if (xi.rows() != rows || xi.cols() != d) xi.resize(rows, d);
    loss_->dense_weighted_gradient(X, Z, xi);
    out += xi;
    return;
  }
  Vec theta(d);
  for (Index t = 0; t < rows; ++t) {
    theta = X.row(t).transpose();
    const Local L = local(theta);
    if (diagonal_type())
      out.row(t) += scale * L.sd.transpose().cwiseProduct(Z.row(t));
    else
      out.row(t) += scale * (L.B * Z.row(t).transpose()).transpose();
  }
}

std::optional<GradientCovarianceOperator> GldNoise::covariance_operator(const Vec& theta) const {
  if (!weight_type()) return std::nullopt;
  // xi = G w with Cov(w) = (c_b / n)(I - 1 1^T / n) (gaussian_sgd) or (s / n) I (gaussian_fisher),
  // the weights drawn in add_sample (docs/theory.md 1.2, rows 4-5).
  const double nd = static_cast<double>(loss_->n_samples());
  const SamplingCovariance v =
      type_ == Type::gaussian_sgd ? SamplingCovariance{c_b_ / nd, 0.0} : SamplingCovariance{0.0, fisher_s_ / nd};
  GradientCovarianceOperator op(loss_->sample_gradients(theta), v);
  if (p_.trace > 0.0) {  // docs/theory.md 4.4A: Sigma / Tr Sigma x budget
    const double tr = op.trace();
    op.scale(tr > 0.0 ? p_.trace / tr : 0.0);
  }
  return op;
}

std::optional<Mat> GldNoise::covariance(const Vec& theta) const {
  if (weight_type()) return covariance_operator(theta)->dense();
  const Local L = local(theta);
  if (diagonal_type()) return Mat(L.sd.cwiseAbs2().asDiagonal());
  return Mat(L.B * L.B.transpose());
}

}  // namespace sgdnoise
