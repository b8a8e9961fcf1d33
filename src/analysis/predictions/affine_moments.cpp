#include "analysis/predictions/affine_moments.hpp"

#include <algorithm>
#include <numeric>

#include "noise/gld.hpp"
#include "noise/sampling.hpp"

namespace sgdnoise {

namespace {
// Noises whose covariance is a quadratic function of theta on an affine-gradient finite sum
// (G(theta) V with G affine, docs/theory.md 1.2), or constant. The gld types that normalise by a
// trace or take eigenvectors are not.
bool quadratic_covariance(const NoiseModel& noise) {
  if (noise.constant_covariance()) return true;
  if (dynamic_cast<const SgdSampling*>(&noise) || dynamic_cast<const MultiplicativeNoise*>(&noise)) return true;
  if (const auto* g = dynamic_cast<const GldNoise*>(&noise)) {
    using T = GldNoise::Type;
    const T t = g->type();
    return g->params().trace == 0.0 &&
           (t == T::gaussian_sgd || t == T::gaussian_fisher || t == T::gaussian_fisher_diag || t == T::diag);
  }
  return false;
}

constexpr std::int64_t kMaxPermutations = 40320;  // 8!
constexpr double kMaxWork = 2e9;                  // multiply-adds over the whole run
}  // namespace

AffineMoments::AffineMoments(const Loss& loss, const NoiseModel* noise, double eta, Vec theta0, std::int64_t max_steps)
    : loss_(loss), noise_(noise), eta_(eta), max_steps_(max_steps) {
  const Index d = loss.dim();
  if (!loss.affine_gradient()) {
    reason_ = "the loss's gradient is not affine";
    return;
  }
  A_ = Mat::Identity(d, d) - eta * loss.hessian(theta0);
  m_.push_back({std::move(theta0), Mat::Zero(d, d)});
  if (!noise) return;
  const auto* fs = dynamic_cast<const FiniteSumLoss*>(&loss);
  const auto* sgd = dynamic_cast<const SgdSampling*>(noise);
  reshuffle_ = !noise->independent_across_steps();
  if (reshuffle_) {
    if (!sgd || !fs) {
      reason_ = "steps that depend on each other are predicted only for reshuffling SGD on a finite sum";
      return;
    }
    const Index n = fs->n_samples(), b = sgd->batch_at(0);
    if (sgd->batch_at(static_cast<std::uint64_t>(std::max<std::int64_t>(max_steps, 0))) != b) {
      reason_ = "reshuffling is predicted for a constant batch size only";
      return;
    }
    std::int64_t perms = 1;
    for (Index i = 2; i <= n && perms <= kMaxPermutations; ++i) perms *= i;
    if (perms > kMaxPermutations) {
      reason_ = "reshuffling is predicted by enumerating the n! orders of an epoch, for n <= 8 only";
      return;
    }
    // Per-sample affine gradients g_i(theta) = H_i theta + g_i(0), read off G at d + 1 points.
    const Mat G0 = fs->sample_gradients(Vec::Zero(d));
    std::vector<Mat> Hs(static_cast<std::size_t>(n), Mat(d, d));
    for (Index j = 0; j < d; ++j) {
      const Mat Gj = fs->sample_gradients(Vec::Unit(d, j)) - G0;
      for (Index i = 0; i < n; ++i) Hs[static_cast<std::size_t>(i)].col(j) = Gj.col(i);
    }
    const Index batches = n / b, d2 = d * d;
    const auto dd = static_cast<double>(d);
    if (static_cast<double>(perms) * static_cast<double>(batches) * 2.0 * dd * dd * dd * dd > kMaxWork) {
      reason_ = "the enumeration over the orders of an epoch would take too long";
      return;
    }
    prefix_.assign(static_cast<std::size_t>(batches),
                   {Mat::Zero(d, d), Mat::Zero(d2, d2), Mat::Zero(d2, d), Vec::Zero(d), Vec::Zero(d2)});
    std::vector<Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    const double weight = 1.0 / static_cast<double>(perms);
    Mat Pk(d, d), HB(d, d), AB(d, d);
    Vec pk(d), gB(d);
    do {
      Pk.setIdentity();
      pk.setZero();
      for (Index j = 0; j < batches; ++j) {
        HB.setZero();
        gB.setZero();
        for (Index t = j * b; t < (j + 1) * b; ++t) {
          const auto i = static_cast<std::size_t>(order[static_cast<std::size_t>(t)]);
          HB += Hs[i] / static_cast<double>(b);
          gB += G0.col(static_cast<Index>(i)) / static_cast<double>(b);
        }
        AB = Mat::Identity(d, d) - eta * HB;
        Pk = (AB * Pk).eval();
        pk = (AB * pk - eta * gB).eval();
        PrefixAverages& a = prefix_[static_cast<std::size_t>(j)];
        a.P += weight * Pk;
        a.p += weight * pk;
        for (Index r = 0; r < d; ++r) {
          for (Index c = 0; c < d; ++c) a.PP.block(r * d, c * d, d, d) += (weight * Pk(r, c)) * Pk;  // P (x) P
          a.pP.block(r * d, 0, d, d) += (weight * pk[r]) * Pk;                                       // p (x) P
        }
        const Mat outer = pk * pk.transpose();
        a.pp += weight * outer.reshaped();
      }
    } while (std::next_permutation(order.begin(), order.end()));
    return;
  }
  if (!quadratic_covariance(*noise) || !noise->covariance(m_[0].mean)) {
    reason_ = "the noise \"" + noise->kind() + "\" has no covariance quadratic in theta";
    return;
  }
  const double n = fs ? static_cast<double>(fs->n_samples()) : 1.0;
  const auto dd = static_cast<double>(d);
  const double work = static_cast<double>(max_steps) * (2.0 * dd + 1.0) * n * dd * dd;
  if (work > kMaxWork) reason_ = "the exact moment recursion would take too long for this size";
}

const char* AffineMoments::source() const {
  return reshuffle_ ? "exact moments of reshuffling SGD on an affine-gradient finite sum: average over the n! orders "
                      "of an epoch of the composed affine batch maps (docs/theory.md 1.5 generalised, [DERIVED])"
                    : "exact moments of noisy GD with covariance quadratic in theta on an affine gradient: m' = GD "
                      "iterate, S' = A S A^T + eta^2 E C(theta), E C by 2d + 1 points (docs/theory.md 1.3, 1.5, "
                      "[DERIVED])";
}

void AffineMoments::step_independent() {
  const Moments& cur = m_.back();
  const auto k = static_cast<std::uint64_t>(m_.size() - 1);
  const Index d = cur.mean.size();
  Moments next{cur.mean - eta_ * loss_.gradient_at(cur.mean), A_ * cur.cov * A_.transpose()};
  if (noise_) {
    auto step_cov = [&](const Vec& theta) {
      return noise_forms(*noise_->covariance_at_step(theta, k), noise_->target(), eta_).Sigma_step;
    };
    const Mat at_mean = step_cov(cur.mean);
    Mat expected = at_mean;
    Eigen::SelfAdjointEigenSolver<Mat> es(cur.cov);
    for (Index j = 0; j < d; ++j) {
      const double lam = es.eigenvalues()[j];
      if (!(lam > 0.0)) continue;
      const Vec s = std::sqrt(lam) * es.eigenvectors().col(j);
      expected += 0.5 * (step_cov(cur.mean + s) + step_cov(cur.mean - s) - 2.0 * at_mean);
    }
    next.cov += expected;
  }
  next.cov = 0.5 * (next.cov + next.cov.transpose()).eval();
  m_.push_back(std::move(next));
}

void AffineMoments::epoch_reshuffled() {
  const Moments& start = m_.back();
  const Vec m0 = start.mean;
  const Mat M0 = start.cov + m0 * m0.transpose();
  const Index d = m0.size();
  for (const PrefixAverages& a : prefix_) {
    Vec m = a.P * m0 + a.p;
    const Vec cross = a.pP * m0;  // vec avg(P m0 p^T)
    const Mat C = cross.reshaped(d, d);
    Mat M = (a.PP * M0.reshaped()).reshaped(d, d) + C + C.transpose() + a.pp.reshaped(d, d);
    Mat S = M - m * m.transpose();
    S = 0.5 * (S + S.transpose()).eval();
    m_.push_back({std::move(m), std::move(S)});
  }
}

const Moments& AffineMoments::at(std::int64_t k) {
  while (static_cast<std::int64_t>(m_.size()) <= k) {
    if (reshuffle_)
      epoch_reshuffled();
    else
      step_independent();
  }
  return m_[static_cast<std::size_t>(k)];
}

}  // namespace sgdnoise
