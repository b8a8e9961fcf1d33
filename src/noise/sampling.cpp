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
  std::uint64_t seed = 0, traj = 0, epoch = ~std::uint64_t{0};
  Index rows = -1, n = -1;
  IndexBlock perm;
};
}  // namespace

SgdSampling::SgdSampling(std::shared_ptr<const FiniteSumLoss> loss, Scheme scheme, Index batch, BatchSchedule schedule)
    : NoiseModel(NoiseTarget::gradient), loss_(std::move(loss)), scheme_(scheme), b_(batch), schedule_(schedule) {
  if (b_ < 1) throw std::invalid_argument("batch size must be >= 1");
  if (scheme_ != Scheme::with_replacement && b_ > loss_->n_samples())
    throw std::invalid_argument("batch size exceeds the number of samples");
  if (schedule_.cap == 0) schedule_.cap = std::max(b_, loss_->n_samples());
  if (schedule_.kind == BatchSchedule::Kind::step) {
    if (schedule_.every == 0) throw std::invalid_argument("batch schedule: every must be >= 1");
    if (schedule_.growth < 1) throw std::invalid_argument("batch schedule: growth must be >= 1");
    if (schedule_.cap < b_) throw std::invalid_argument("batch schedule: the cap is below the initial batch size");
    if (scheme_ != Scheme::with_replacement && schedule_.cap > loss_->n_samples())
      throw std::invalid_argument("batch schedule: the cap exceeds the number of samples");
  }
}

Index SgdSampling::batch_of_phase(std::uint64_t p) const {
  // b_0 growth^p, saturating at the cap (a few dozen multiplications at most before it does).
  Index b = b_;
  for (std::uint64_t j = 0; j < p && b < schedule_.cap && schedule_.growth > 1; ++j)
    b = b > schedule_.cap / schedule_.growth ? schedule_.cap : std::min(schedule_.cap, b * schedule_.growth);
  return b;
}

Index SgdSampling::batch_at(std::uint64_t k) const {
  if (schedule_.kind == BatchSchedule::Kind::constant) return b_;
  return batch_of_phase(k / schedule_.every);
}

SgdSampling::EpochPosition SgdSampling::epoch_position(std::uint64_t k) const {
  const auto n = static_cast<std::uint64_t>(loss_->n_samples());
  auto per_epoch = [&](Index b) { return n / static_cast<std::uint64_t>(b); };
  if (schedule_.kind == BatchSchedule::Kind::constant) {
    const std::uint64_t m = per_epoch(b_);
    return {k / m, static_cast<Index>(k % m), b_};
  }
  // Phases of `every` steps, each with its own b; phase q holds ceil(every / m_q) epochs
  // (the last one cut short when m_q does not divide `every`). Once b reaches the cap all
  // later phases are alike, so counting the epochs before phase p needs no loop over p.
  const std::uint64_t every = schedule_.every, p = k / every, in_phase = k % every;
  std::uint64_t epochs = 0, q = 0;
  Index b = b_;
  for (; q < p && b < schedule_.cap; ++q) {
    const std::uint64_t m = per_epoch(b);
    epochs += (every + m - 1) / m;
    b = batch_of_phase(q + 1);
  }
  if (q < p) {
    const std::uint64_t m = per_epoch(b);
    epochs += (p - q) * ((every + m - 1) / m);
  }
  const std::uint64_t m = per_epoch(b);
  return {epochs + in_phase / m, static_cast<Index>(in_phase % m), b};
}

std::optional<Mat> SgdSampling::covariance_at_step(const Vec& theta, std::uint64_t k) const {
  return sampling_covariance_matrix(loss_->sample_gradients(theta),
                                    sgd_weight_covariance(scheme_, loss_->n_samples(), batch_at(k)));
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

void SgdSampling::draw_batch(const StreamCoords& s, RowIds traj, Index rows, IndexBlock& idx) const {
  const Index n = loss_->n_samples();
  const Index b = batch_at(s.step);  // b_k
  if (idx.rows() != rows || idx.cols() != b) idx.resize(rows, b);
  if (scheme_ == Scheme::with_replacement) {
    Mat& U = uniform_scratch(rows, b);
    fill_uniforms({s.seed, Purpose::sampling, s.step}, traj, 0, U);
    for (Index j = 0; j < b; ++j)
      for (Index t = 0; t < rows; ++t) idx(t, j) = to_index(U(t, j), n);
    return;
  }
  if (scheme_ == Scheme::without_replacement) {
    // A uniform b-subset by a partial Fisher-Yates shuffle (Knuth, TAOCP vol. 2, 3.4.2),
    // undone afterwards so the scratch permutation stays the identity.
    Mat& U = uniform_scratch(rows, b);
    fill_uniforms({s.seed, Purpose::sampling, s.step}, traj, 0, U);
    thread_local std::vector<std::int32_t> perm;
    if (static_cast<Index>(perm.size()) != n) {
      perm.resize(static_cast<std::size_t>(n));
      std::iota(perm.begin(), perm.end(), 0);
    }
    thread_local std::vector<std::int32_t> swaps;
    swaps.resize(static_cast<std::size_t>(b));
    for (Index t = 0; t < rows; ++t) {
      for (Index j = 0; j < b; ++j) {
        const std::int32_t r = static_cast<std::int32_t>(j) + to_index(U(t, j), n - j);
        swaps[static_cast<std::size_t>(j)] = r;
        std::swap(perm[static_cast<std::size_t>(j)], perm[static_cast<std::size_t>(r)]);
        idx(t, j) = perm[static_cast<std::size_t>(j)];
      }
      for (Index j = b - 1; j >= 0; --j)
        std::swap(perm[static_cast<std::size_t>(j)],
                  perm[static_cast<std::size_t>(swaps[static_cast<std::size_t>(j)])]);
    }
    return;
  }
  // Random reshuffling: floor(n / b) batches per epoch from one permutation per
  // (trajectory, epoch); the n - b floor(n/b) samples left over in an epoch are unused
  // (and, under a batch schedule, those of an epoch cut short by a change of b).
  const EpochPosition at = epoch_position(s.step);
  const std::uint64_t epoch = at.epoch;
  const Index pos = at.position;
  thread_local EpochCache cache;
  // In a compacted ensemble rows change trajectories between calls: no caching.
  const bool mapped = traj.is_mapped();
  if (mapped || cache.seed != s.seed || cache.traj != traj.first() || cache.epoch != epoch || cache.rows != rows ||
      cache.n != n) {
    cache.seed = s.seed;
    cache.traj = traj.first();
    cache.epoch = mapped ? ~std::uint64_t{0} : epoch;
    cache.rows = rows;
    cache.n = n;
    cache.perm.resize(rows, n);
    Mat& U = uniform_scratch(rows, std::max<Index>(n - 1, 1));
    fill_uniforms({s.seed, Purpose::epoch_permutation, epoch}, traj, 0, U);
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
  for (Index j = 0; j < b; ++j)
    for (Index t = 0; t < rows; ++t) idx(t, j) = cache.perm(t, pos * b + j);
}

void SgdSampling::noisy_gradient(const Loss&, const StreamCoords& s, RowIds traj, ConstBlockRef X, BlockRef G) const {
  thread_local IndexBlock idx;
  draw_batch(s, traj, X.rows(), idx);
  thread_local Mat w;
  if (w.rows() != X.rows() || w.cols() != idx.cols()) w.resize(X.rows(), idx.cols());
  w.setConstant(1.0 / static_cast<double>(idx.cols()));  // 1 / b_k
  loss_->sparse_weighted_gradient(X, idx, w, G);
}

void SgdSampling::add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale, BlockRef out) const {
  add_gradient_deviation(*loss_, s, traj, X, scale, out);
}

double sgd_covariance_factor(SgdSampling::Scheme scheme, Index n, Index b) {
  if (b < 1 || n < 1) throw std::invalid_argument("SGD covariance: n and b must be >= 1");
  const double nd = static_cast<double>(n), bd = static_cast<double>(b);
  if (scheme == SgdSampling::Scheme::with_replacement) return 1.0 / bd;  // docs/theory.md 1.2, row 2
  if (b > n) throw std::invalid_argument("SGD covariance: batch size exceeds the number of samples");
  if (n == 1) return 0.0;
  return (nd - bd) / (bd * (nd - 1.0));  // docs/theory.md 1.2, row 1 (also reshuffling's one-step marginal)
}

SamplingCovariance sgd_weight_covariance(SgdSampling::Scheme scheme, Index n, Index b) {
  // Cov(V) = (1/(b n)) (I - 1 1^T/n) with replacement, (n-b)/(b n (n-1)) (I - 1 1^T/n)
  // without: c_b / n times the centring projector (docs/theory.md 1.2, rows 1-2).
  return {sgd_covariance_factor(scheme, n, b) / static_cast<double>(n), 0.0};
}

std::optional<Mat> SgdSampling::covariance(const Vec& theta) const {
  return sampling_covariance_matrix(loss_->sample_gradients(theta),
                                    sgd_weight_covariance(scheme_, loss_->n_samples(), b_));
}

std::optional<GradientCovarianceOperator> SgdSampling::covariance_operator(const Vec& theta) const {
  return GradientCovarianceOperator(loss_->sample_gradients(theta),
                                    sgd_weight_covariance(scheme_, loss_->n_samples(), b_));
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

void MultiplicativeNoise::draw_weights(const StreamCoords& s, RowIds traj, Index rows, Mat& W) const {
  const Index n = loss_->n_samples();
  const double nd = static_cast<double>(n);
  if (W.rows() != rows || W.cols() != n) W.resize(rows, n);
  const StreamCoords c{s.seed, Purpose::sampling, s.step};
  if (type_ == Type::bernoulli) {
    fill_uniforms(c, traj, 0, W);
    const double on = 1.0 / (strength_ * nd);
    W = (W.array() < strength_).select(Mat::Constant(rows, n, on), 0.0);
    return;
  }
  fill_normals(c, traj, 0, W);
  weights_from_normals(strength_, W);
}

void MultiplicativeNoise::weights_from_normals(double sigma, Mat& Z) const {
  if (!gaussian()) throw std::logic_error("weights_from_normals: Bernoulli weights are not Gaussian");
  const Index rows = Z.rows(), n = Z.cols();
  const double nd = static_cast<double>(n);
  if (type_ == Type::gaussian_cov) {
    for (Index t = 0; t < rows; ++t) {
      double zbar = 0.0;
      for (Index i = 0; i < n; ++i) zbar += Z(t, i);
      zbar /= nd;
      for (Index i = 0; i < n; ++i) Z(t, i) -= zbar;
    }
  }
  Z = ((1.0 + sigma * Z.array()) / nd).matrix();
}

void MultiplicativeNoise::noisy_gradient(const Loss&, const StreamCoords& s, RowIds traj, ConstBlockRef X,
                                         BlockRef G) const {
  thread_local Mat W;
  draw_weights(s, traj, X.rows(), W);
  loss_->dense_weighted_gradient(X, W, G);
}

void MultiplicativeNoise::add_sample(const StreamCoords& s, RowIds traj, ConstBlockRef X, double scale,
                                     BlockRef out) const {
  add_gradient_deviation(*loss_, s, traj, X, scale, out);
}

SamplingCovariance MultiplicativeNoise::weight_covariance() const {
  const double n = static_cast<double>(loss_->n_samples());
  switch (type_) {               // docs/theory.md 1.2, rows 3-5
    case Type::gaussian_fisher:  // W = (1 + sigma z) / n: Cov(V) = (sigma^2 / n^2) I, C = sigma^2 / n F
      return {0.0, strength_ * strength_ / (n * n)};
    case Type::gaussian_cov:  // W = (1 + sigma (z - zbar)) / n: (sigma^2 / n^2)(I - 1 1^T / n), C = sigma^2 / n Sigma_1
      return {strength_ * strength_ / (n * n), 0.0};
    case Type::bernoulli:  // W_i = B_i / (p n): ((1 - p) / p)(1 / n^2) I, C = (1 - p) / (p n) F
      return {0.0, (1.0 - strength_) / (strength_ * n * n)};
  }
  return {};
}

std::optional<Mat> MultiplicativeNoise::covariance(const Vec& theta) const {
  return sampling_covariance_matrix(loss_->sample_gradients(theta), weight_covariance());
}

std::optional<GradientCovarianceOperator> MultiplicativeNoise::covariance_operator(const Vec& theta) const {
  return GradientCovarianceOperator(loss_->sample_gradients(theta), weight_covariance());
}

}  // namespace sgdnoise
