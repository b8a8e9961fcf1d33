#include "noise/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace sgdnoise {

Mat centred_gradient_covariance(const Mat& G) {
  const double n = static_cast<double>(G.cols());
  const Mat Y = G.colwise() - G.rowwise().mean();
  return Y * Y.transpose() / n;
}

Mat empirical_fisher(const Mat& G) { return G * G.transpose() / static_cast<double>(G.cols()); }

namespace {
std::int32_t to_index(double u, Index range) {
  return static_cast<std::int32_t>(std::min<Index>(static_cast<Index>(u * static_cast<double>(range)), range - 1));
}

Mat& uniform_scratch(Index rows, Index cols) {
  thread_local Mat U;
  if (U.rows() != rows || U.cols() != cols) U.resize(rows, cols);
  return U;
}

// Per-thread cache of each trajectory's permutation for the current epoch: a pure
// function of (seed, trajectory, epoch), so caching changes no result.
struct EpochCache {
  std::uint64_t seed = 0, first_traj = 0, epoch = ~std::uint64_t{0};
  Index rows = -1, n = -1;
  IndexBlock perm;
};
}  // namespace

SgdSampling::SgdSampling(std::shared_ptr<const FiniteSumLoss> loss, Scheme scheme, Index batch)
    : NoiseModel(NoiseTarget::gradient), loss_(std::move(loss)), scheme_(scheme), b_(batch) {
  if (b_ < 1) throw std::invalid_argument("batch size must be >= 1");
  if (scheme_ != Scheme::with_replacement && b_ > loss_->n_samples())
    throw std::invalid_argument("batch size exceeds the number of samples");
}

std::string SgdSampling::kind() const {
  switch (scheme_) {
    case Scheme::with_replacement:
      return "sgd/with_replacement";
    case Scheme::without_replacement:
      return "sgd/without_replacement";
    case Scheme::reshuffle:
      return "sgd/reshuffle";
  }
  return "sgd";
}

void SgdSampling::draw_batch(const StreamCoords& s, std::uint64_t first_traj, Index rows, IndexBlock& idx) const {
  const Index n = loss_->n_samples();
  if (idx.rows() != rows || idx.cols() != b_) idx.resize(rows, b_);
  if (scheme_ == Scheme::with_replacement) {
    Mat& U = uniform_scratch(rows, b_);
    fill_uniforms({s.seed, Purpose::sampling, s.step}, first_traj, 0, U);
    for (Index j = 0; j < b_; ++j)
      for (Index t = 0; t < rows; ++t) idx(t, j) = to_index(U(t, j), n);
    return;
  }
  if (scheme_ == Scheme::without_replacement) {
    // A uniform b-subset by a partial Fisher-Yates shuffle (Knuth, TAOCP vol. 2, 3.4.2),
    // undone afterwards so the scratch permutation stays the identity.
    Mat& U = uniform_scratch(rows, b_);
    fill_uniforms({s.seed, Purpose::sampling, s.step}, first_traj, 0, U);
    thread_local std::vector<std::int32_t> perm;
    if (static_cast<Index>(perm.size()) != n) {
      perm.resize(static_cast<std::size_t>(n));
      std::iota(perm.begin(), perm.end(), 0);
    }
    thread_local std::vector<std::int32_t> swaps;
    swaps.resize(static_cast<std::size_t>(b_));
    for (Index t = 0; t < rows; ++t) {
      for (Index j = 0; j < b_; ++j) {
        const std::int32_t r = static_cast<std::int32_t>(j) + to_index(U(t, j), n - j);
        swaps[static_cast<std::size_t>(j)] = r;
        std::swap(perm[static_cast<std::size_t>(j)], perm[static_cast<std::size_t>(r)]);
        idx(t, j) = perm[static_cast<std::size_t>(j)];
      }
      for (Index j = b_ - 1; j >= 0; --j)
        std::swap(perm[static_cast<std::size_t>(j)],
                  perm[static_cast<std::size_t>(swaps[static_cast<std::size_t>(j)])]);
    }
    return;
  }
  // Random reshuffling: floor(n / b) batches per epoch from one permutation per
  // (trajectory, epoch); the n - b floor(n/b) samples left over in an epoch are unused.
  const Index per_epoch = batches_per_epoch();
  const std::uint64_t epoch = s.step / static_cast<std::uint64_t>(per_epoch);
  const Index pos = static_cast<Index>(s.step % static_cast<std::uint64_t>(per_epoch));
  thread_local EpochCache cache;
  if (cache.seed != s.seed || cache.first_traj != first_traj || cache.epoch != epoch || cache.rows != rows ||
      cache.n != n) {
    cache.seed = s.seed;
    cache.first_traj = first_traj;
    cache.epoch = epoch;
    cache.rows = rows;
    cache.n = n;
    cache.perm.resize(rows, n);
    Mat& U = uniform_scratch(rows, std::max<Index>(n - 1, 1));
    fill_uniforms({s.seed, Purpose::epoch_permutation, epoch}, first_traj, 0, U);
    std::vector<std::int32_t> p(static_cast<std::size_t>(n));
    for (Index t = 0; t < rows; ++t) {
      std::iota(p.begin(), p.end(), 0);
      for (Index j = 0; j + 1 < n; ++j) {  // Fisher-Yates, forward form
        const std::int32_t r = static_cast<std::int32_t>(j) + to_index(U(t, j), n - j);
        std::swap(p[static_cast<std::size_t>(j)], p[static_cast<std::size_t>(r)]);
      }
      for (Index j = 0; j < n; ++j) cache.perm(t, j) = p[static_cast<std::size_t>(j)];
    }
  }
  for (Index j = 0; j < b_; ++j)
    for (Index t = 0; t < rows; ++t) idx(t, j) = cache.perm(t, pos * b_ + j);
}

void SgdSampling::noisy_gradient(const Loss&, const StreamCoords& s, std::uint64_t first_traj, ConstBlockRef X,
                                 BlockRef G) const {
  thread_local IndexBlock idx;
  draw_batch(s, first_traj, X.rows(), idx);
  thread_local Mat w;
  if (w.rows() != X.rows() || w.cols() != b_) w.resize(X.rows(), b_);
  w.setConstant(1.0 / static_cast<double>(b_));
  loss_->sparse_weighted_gradient(X, idx, w, G);
}

void SgdSampling::add_sample(const StreamCoords& s, std::uint64_t first_traj, ConstBlockRef X, double scale,
                             BlockRef out) const {
  Mat g(X.rows(), X.cols()), full(X.rows(), X.cols());
  noisy_gradient(*loss_, s, first_traj, X, g);
  loss_->gradient(X, full);
  out += scale * (g - full);
}

std::optional<Mat> SgdSampling::covariance(const Vec& theta) const {
  const double n = static_cast<double>(loss_->n_samples()), b = static_cast<double>(b_);
  const Mat S1 = centred_gradient_covariance(loss_->sample_gradients(theta));
  if (scheme_ == Scheme::with_replacement) return S1 / b;  // papers.md 1.2, row 2
  if (n == 1.0) return Mat::Zero(S1.rows(), S1.cols());
  return (n - b) / (b * (n - 1.0)) * S1;  // papers.md 1.2, row 1 (also reshuffling's one-step marginal)
}

MultiplicativeNoise::MultiplicativeNoise(std::shared_ptr<const FiniteSumLoss> loss, Type type, double strength)
    : NoiseModel(NoiseTarget::gradient), loss_(std::move(loss)), type_(type), strength_(strength) {
  if (type_ == Type::bernoulli ? !(strength_ > 0.0 && strength_ <= 1.0) : !(strength_ >= 0.0))
    throw std::invalid_argument(type_ == Type::bernoulli ? "Bernoulli p must be in (0, 1]" : "sigma must be >= 0");
}

std::string MultiplicativeNoise::kind() const {
  switch (type_) {
    case Type::gaussian_fisher:
      return "multiplicative/gaussian_fisher";
    case Type::gaussian_cov:
      return "multiplicative/gaussian_cov";
    case Type::bernoulli:
      return "multiplicative/bernoulli";
  }
  return "multiplicative";
}

void MultiplicativeNoise::draw_weights(const StreamCoords& s, std::uint64_t first_traj, Index rows, Mat& W) const {
  const Index n = loss_->n_samples();
  const double nd = static_cast<double>(n);
  if (W.rows() != rows || W.cols() != n) W.resize(rows, n);
  const StreamCoords c{s.seed, Purpose::sampling, s.step};
  if (type_ == Type::bernoulli) {
    fill_uniforms(c, first_traj, 0, W);
    const double on = 1.0 / (strength_ * nd);
    W = (W.array() < strength_).select(Mat::Constant(rows, n, on), 0.0);
    return;
  }
  fill_normals(c, first_traj, 0, W);
  if (type_ == Type::gaussian_cov) {
    for (Index t = 0; t < rows; ++t) {
      double zbar = 0.0;
      for (Index i = 0; i < n; ++i) zbar += W(t, i);
      zbar /= nd;
      for (Index i = 0; i < n; ++i) W(t, i) -= zbar;
    }
  }
  W = ((1.0 + strength_ * W.array()) / nd).matrix();
}

void MultiplicativeNoise::noisy_gradient(const Loss&, const StreamCoords& s, std::uint64_t first_traj, ConstBlockRef X,
                                         BlockRef G) const {
  thread_local Mat W;
  draw_weights(s, first_traj, X.rows(), W);
  loss_->dense_weighted_gradient(X, W, G);
}

void MultiplicativeNoise::add_sample(const StreamCoords& s, std::uint64_t first_traj, ConstBlockRef X, double scale,
                                     BlockRef out) const {
  Mat g(X.rows(), X.cols()), full(X.rows(), X.cols());
  noisy_gradient(*loss_, s, first_traj, X, g);
  loss_->gradient(X, full);
  out += scale * (g - full);
}

std::optional<Mat> MultiplicativeNoise::covariance(const Vec& theta) const {
  const double n = static_cast<double>(loss_->n_samples());
  const Mat G = loss_->sample_gradients(theta);
  switch (type_) {  // papers.md 1.2, rows 3-5
    case Type::gaussian_fisher:
      return strength_ * strength_ / n * empirical_fisher(G);
    case Type::gaussian_cov:
      return strength_ * strength_ / n * centred_gradient_covariance(G);
    case Type::bernoulli:
      return (1.0 - strength_) / (strength_ * n) * empirical_fisher(G);
  }
  return std::nullopt;
}

}  // namespace sgdnoise
