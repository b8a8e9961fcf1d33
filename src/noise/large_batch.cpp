#include "noise/large_batch.hpp"

#include <cmath>
#include <stdexcept>

#include "noise/gld.hpp"

namespace sgdnoise {

LargeBatchFisherNoise::LargeBatchFisherNoise(std::shared_ptr<const FiniteSumLoss> loss, Added added, Params p)
    : NoiseModel(NoiseTarget::gradient),
      loss_(std::move(loss)),
      added_(added),
      p_(p),
      batch_(loss_, p_.scheme, p_.large_batch) {
  if (p_.scheme == SgdSampling::Scheme::reshuffle)
    throw std::invalid_argument("large-batch noise: batches are with replacement or i.i.d. without replacement");
  if (p_.small_batch < 1 || p_.small_batch > p_.large_batch)
    throw std::invalid_argument("large-batch noise: the small batch must be in [1, large batch]");
  c_large_ = sgd_covariance_factor(p_.scheme, loss_->n_samples(), p_.large_batch);
  c_small_ = sgd_covariance_factor(p_.scheme, loss_->n_samples(), p_.small_batch);
  if (p_.scale && !(*p_.scale >= 0.0 && std::isfinite(*p_.scale)))
    throw std::invalid_argument("large-batch noise: scale must be finite and >= 0");
}

std::string LargeBatchFisherNoise::kind() const {
  return added_ == Added::full_fisher ? "large_batch/full_fisher" : "large_batch/diag_fisher";
}

double LargeBatchFisherNoise::added_scale(const Mat& G) const {
  if (p_.scale) return *p_.scale;
  // Trace matching (header): s = (c_b - c_B) Tr Sigma_1 / Tr F, docs/theory.md 1.1-1.2, 3.3.
  const double nd = static_cast<double>(G.cols());
  const double tr_f = G.squaredNorm() / nd;
  const double tr_s1 = (G.colwise() - G.rowwise().mean()).squaredNorm() / nd;
  return tr_f > 0.0 ? (c_small_ - c_large_) * tr_s1 / tr_f : 0.0;
}

double LargeBatchFisherNoise::added_scale(const Vec& theta) const {
  return p_.scale ? *p_.scale : added_scale(loss_->sample_gradients(theta));
}

void LargeBatchFisherNoise::noisy_gradient(const Loss& loss, const StreamCoords& s, RowIds traj, ConstBlockRef X,
                                           BlockRef G) const {
  batch_.noisy_gradient(loss, s, traj, X, G);  // G(theta) W_B, batch drawn with purpose `sampling`
  const Index rows = X.rows(), d = dim(), n = loss_->n_samples();
  const double nd = static_cast<double>(n);
  Vec theta(d);
  thread_local Mat Z;
  if (added_ == Added::full_fisher) {
    // xi = G(theta) z sqrt(s / n), Cov xi = s F (docs/theory.md 1.2, row 4).
    if (Z.rows() != rows || Z.cols() != n) Z.resize(rows, n);
    fill_normals(s, traj, 0, Z);
    for (Index t = 0; t < rows; ++t) {
      double sc = p_.scale ? *p_.scale : 0.0;
      if (!p_.scale) {
        theta = X.row(t).transpose();
        sc = added_scale(loss_->sample_gradients(theta));
      }
      Z.row(t) *= std::sqrt(sc / nd);
    }
    thread_local Mat xi;
    if (xi.rows() != rows || xi.cols() != d) xi.resize(rows, d);
    loss_->dense_weighted_gradient(X, Z, xi);
    G += xi;
    return;
  }
  // xi_j = sqrt(s F_jj) z_j (docs/theory.md 3.3: D = diag(F)^{1/2}).
  if (Z.rows() != rows || Z.cols() != d) Z.resize(rows, d);
  fill_normals(s, traj, 0, Z);
  for (Index t = 0; t < rows; ++t) {
    theta = X.row(t).transpose();
    const Mat Gs = loss_->sample_gradients(theta);
    const Vec sd = (added_scale(Gs) * Gs.rowwise().squaredNorm() / nd).cwiseSqrt();
    G.row(t) += sd.transpose().cwiseProduct(Z.row(t));
  }
}

void LargeBatchFisherNoise::add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale,
                                       BlockRef out) const {
  Mat g(X.rows(), X.cols()), full(X.rows(), X.cols());
  noisy_gradient(*loss_, s, traj, X, g);
  loss_->gradient(X, full);
  out += scale * (g - full);
}

std::optional<GradientCovarianceOperator> LargeBatchFisherNoise::covariance_operator(const Vec& theta) const {
  if (added_ != Added::full_fisher) return std::nullopt;
  // Independent draws: Cov(V) = (c_B / n)(I - 1 1^T / n) (the large batch, docs/theory.md 1.2) + (s / n) I
  // (xi = G z sqrt(s / n), row 4).
  const Mat G = loss_->sample_gradients(theta);
  const double nd = static_cast<double>(G.cols());
  return GradientCovarianceOperator(G, {c_large_ / nd, added_scale(G) / nd});
}

std::optional<Mat> LargeBatchFisherNoise::covariance(const Vec& theta) const {
  if (added_ == Added::full_fisher) return covariance_operator(theta)->dense();
  const Mat G = loss_->sample_gradients(theta);
  const double nd = static_cast<double>(G.cols());
  // docs/theory.md 1.2: the large batch's sampling noise, plus s diag F (independent draws: the covariances add).
  Mat C = sampling_covariance_matrix(G, {c_large_ / nd, 0.0});
  C.diagonal() += added_scale(G) * empirical_fisher(G).diagonal();
  return C;
}

}  // namespace sgdnoise
