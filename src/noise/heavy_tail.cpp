#include "noise/heavy_tail.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "noise/gld.hpp"

namespace sgdnoise {

AlphaStableNoise::AlphaStableNoise(Index d, double alpha, double gamma, NoiseTarget target)
    : NoiseModel(target), d_(d), alpha_(alpha), gamma_(gamma) {
  if (d_ < 1) throw std::invalid_argument("alpha-stable noise: dimension must be >= 1");
  if (!(alpha_ > 0.0 && alpha_ <= 2.0)) throw std::invalid_argument("alpha-stable noise: alpha must be in (0, 2]");
  if (!(gamma_ >= 0.0) || !std::isfinite(gamma_))
    throw std::invalid_argument("alpha-stable noise: gamma must be finite and >= 0");
}

double AlphaStableNoise::cms(double alpha, double u1, double u2) {
  // Chambers, Mallows & Stuck (1976), symmetric case (beta = 0); Weron (1996), eq. (3.1)-(3.2).
  const double v = std::numbers::pi * (u1 - 0.5);  // uniform on (-pi/2, pi/2)
  if (alpha == 1.0) return std::tan(v);            // Cauchy
  const double w = -std::log(u2);                  // Exp(1)
  return std::sin(alpha * v) / std::pow(std::cos(v), 1.0 / alpha) *
         std::pow(std::cos((1.0 - alpha) * v) / w, (1.0 - alpha) / alpha);
}

double AlphaStableNoise::characteristic_function(double t) const {
  return std::exp(-std::pow(std::abs(gamma_ * t), alpha_));
}

void AlphaStableNoise::add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef, double scale, BlockRef out) const {
  const Index rows = out.rows();
  thread_local Mat U;
  if (U.rows() != rows || U.cols() != 2 * d_) U.resize(rows, 2 * d_);
  fill_uniforms(s, traj, 0, U);
  const double a = scale * gamma_;
  for (Index j = 0; j < d_; ++j)
    for (Index t = 0; t < rows; ++t) out(t, j) += a * cms(alpha_, U(t, j), U(t, d_ + j));
}

std::optional<Mat> AlphaStableNoise::covariance(const Vec&) const {
  if (alpha_ < 2.0) return std::nullopt;                      // infinite variance (docs/conventions.md, heavy tails)
  return Mat(2.0 * gamma_ * gamma_ * Mat::Identity(d_, d_));  // S_2(gamma) = N(0, 2 gamma^2)
}

LabelNoiseSgd::LabelNoiseSgd(std::shared_ptr<const LeastSquares> loss, SgdSampling::Scheme scheme, Index batch,
                             double delta, LabelDraw draw)
    : NoiseModel(NoiseTarget::gradient),
      loss_(std::move(loss)),
      sampling_(loss_, scheme, batch),
      scheme_(scheme),
      b_(batch),
      delta_(delta),
      draw_(draw) {
  if (!(delta_ >= 0.0) || !std::isfinite(delta_))
    throw std::invalid_argument("label-noise SGD: delta must be finite and >= 0");
  c_b_ = sgd_covariance_factor(scheme_, loss_->n_samples(), b_);
}

std::string LabelNoiseSgd::kind() const {
  switch (scheme_) {
    case SgdSampling::Scheme::with_replacement:
      return "label_noise/with_replacement";
    case SgdSampling::Scheme::without_replacement:
      return "label_noise/without_replacement";
    case SgdSampling::Scheme::reshuffle:
      return "label_noise/reshuffle";
  }
  return "label_noise";
}

double LabelNoiseSgd::label_factor() const {
  // kappa = n E W_i^2 (header derivation).
  const double n = static_cast<double>(loss_->n_samples()), b = static_cast<double>(b_);
  if (draw_ == LabelDraw::per_sample && scheme_ == SgdSampling::Scheme::with_replacement)
    return (n + b - 1.0) / (n * b);
  return 1.0 / b;
}

void LabelNoiseSgd::noisy_gradient(const Loss&, const StreamCoords& s, RowIds traj, ConstBlockRef X, BlockRef G) const {
  const Index rows = X.rows();
  thread_local IndexBlock idx;
  sampling_.draw_batch(s, traj, rows, idx);  // the batches of SgdSampling with the same seed
  thread_local Mat w;
  if (w.rows() != rows || w.cols() != b_) w.resize(rows, b_);
  w.setConstant(1.0 / static_cast<double>(b_));
  loss_->sparse_weighted_gradient(X, idx, w, G);
  if (delta_ == 0.0) return;
  // Label term -(delta / b) sum_k eps x_{I_k}: eps_{I_k} (per sample) or eps_k (per slot).
  const Mat& features = loss_->features();
  const Index m = draw_ == LabelDraw::per_sample ? loss_->n_samples() : b_;
  thread_local Mat E;
  if (E.rows() != rows || E.cols() != m) E.resize(rows, m);
  fill_normals(s, traj, 0, E);
  const double a = delta_ / static_cast<double>(b_);
  for (Index t = 0; t < rows; ++t)
    for (Index j = 0; j < b_; ++j) {
      const Index i = idx(t, j);
      const double e = draw_ == LabelDraw::per_sample ? E(t, i) : E(t, j);
      G.row(t) -= (a * e) * features.row(i);
    }
}

void LabelNoiseSgd::add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale, BlockRef out) const {
  add_gradient_deviation(*loss_, s, traj, X, scale, out);
}

std::optional<Mat> LabelNoiseSgd::covariance(const Vec& theta) const {
  // C = c_b Sigma_1 + delta^2 kappa H (header; docs/theory.md 1.2 for c_b Sigma_1).
  const Mat S1 = centred_gradient_covariance(loss_->sample_gradients(theta));
  return Mat(c_b_ * S1 + delta_ * delta_ * label_factor() * loss_->hessian(theta));
}

}  // namespace sgdnoise
