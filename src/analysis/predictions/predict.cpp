#include "analysis/predictions/predict.hpp"

#include <cmath>
#include <optional>

#include "analysis/predictions/quadratic_moments.hpp"

namespace sgdnoise {

namespace {

constexpr const char* kSrcDiscrete =
    "exact moment recursion S_{k+1} = A S_k A^T + Sigma_step, A = I - eta H, summed per eigenpair "
    "(docs/theory.md 1.4 item 2, [DERIVED+CHECKED])";
constexpr const char* kSrcEM =
    "Euler-Maruyama on an OU process is the linear recursion e <- (I - dt H) e + N(0, dt D) (Kloeden & Platen "
    "1992, 9.1), evaluated exactly as in docs/theory.md 1.4 item 2 with step dt";
constexpr const char* kSrcContinuous =
    "OU moments S(tau) = int_0^tau e^{-Hs} D e^{-Hs} ds, E L = L* + 1/4 Tr[(I - e^{-2H tau}) D] from theta* "
    "(docs/theory.md 1.4 item 1; Gardiner, Stochastic Methods 4.5.6)";

constexpr const char* kSrcDiscreteStationary =
    "discrete Lyapunov solution S = A S A^T + Sigma_step, per eigenpair (docs/theory.md 1.4 item 2, stationary)";
constexpr const char* kSrcContinuousStationary =
    "continuous Lyapunov solution H S + S H = D, per eigenpair (docs/theory.md 1.4 item 1, stationary)";

// A recorded result as a function of the first two moments of theta.
std::optional<double> extract(const QuadraticMoments& qm, const Quadratic& q, const Moments& m,
                              const std::string& result) {
  if (result == "loss") return qm.expected_loss(m);
  if (result == "dist2") return (m.mean - q.stationary_point()).squaredNorm() + m.cov.trace();
  if (result == "cov_trace") return m.cov.trace();
  if (result == "cov_frobenius") return m.cov.norm();
  if (result.rfind("theta_", 0) == 0) {
    const Index i = std::stol(result.substr(6));
    if (i < 0 || i >= m.mean.size()) return std::nullopt;
    return m.mean[i];
  }
  if (result.rfind("cov_", 0) == 0) {
    const auto sep = result.find('_', 4);
    if (sep == std::string::npos) return std::nullopt;
    const Index i = std::stol(result.substr(4, sep - 4)), j = std::stol(result.substr(sep + 1));
    if (i < 0 || j < 0 || i >= m.cov.rows() || j >= m.cov.cols()) return std::nullopt;
    return m.cov(i, j);
  }
  return std::nullopt;
}

// A recorded mean coordinate "theta_i" or covariance entry "cov_i_j" (observers.hpp) with its
// indices below d; empty for any other name.
struct MomentEntry {
  bool mean = false;
  Index i = -1, j = -1;
};
std::optional<MomentEntry> moment_entry(const std::string& result, Index d) {
  MomentEntry e;
  e.mean = result.rfind("theta_", 0) == 0;
  if (!e.mean && result.rfind("cov_", 0) != 0) return std::nullopt;
  try {
    if (e.mean) {
      e.i = std::stol(result.substr(6));
    } else if (const auto sep = result.find('_', 4); sep != std::string::npos) {
      e.i = std::stol(result.substr(4, sep - 4));
      e.j = std::stol(result.substr(sep + 1));
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (e.i < 0 || e.i >= d || (!e.mean && (e.j < 0 || e.j >= d))) return std::nullopt;
  return e;
}

// E theta_k = the GD iterate when grad L is affine and the noise is unbiased with
// sampling independent of the past: E[theta_{k+1} | theta_k] = theta_k - eta grad L(theta_k)
// and an affine map commutes with the expectation (docs/theory.md 1.5, [DERIVED+CHECKED]).
Prediction gd_mean(const PredictionContext& ctx, const std::string& result, std::int64_t k) {
  Prediction p;
  if (result.rfind("theta_", 0) != 0) {
    p.reason = "the \"gd\" prediction is for mean coordinates theta_i";
    return p;
  }
  if (!ctx.loss || !ctx.loss->affine_gradient()) {
    p.reason = "E theta_k equals the GD iterate only for losses with an affine gradient (docs/theory.md 1.5)";
    return p;
  }
  if (ctx.noise && !ctx.noise->independent_across_steps()) {
    p.reason =
        "the batches of an epoch are dependent (random reshuffling): E theta_k differs from GD (docs/theory.md 1.5)";
    return p;
  }
  if (ctx.scheme != "discrete") {
    p.reason = "the \"gd\" prediction is for discrete dynamics";
    return p;
  }
  const Index i = std::stol(result.substr(6));
  Vec theta = ctx.theta0;
  if (i < 0 || i >= theta.size()) {
    p.reason = "no coordinate " + result;
    return p;
  }
  for (std::int64_t j = 0; j < k; ++j) theta -= ctx.eta * ctx.loss->gradient_at(theta);
  p.available = std::isfinite(theta[i]);
  p.value = theta[i];
  p.source =
      "plain GD iterate; exact for E theta_k with affine grad L and step-independent unbiased sampling "
      "(docs/theory.md 1.5, [DERIVED+CHECKED])";
  if (!p.available) p.reason = "the GD iterate is not finite";
  return p;
}

// One step of plain noisy GD from theta0: theta_1 = theta0 - eta (grad L + xi), E xi = 0,
// Cov xi = C(theta0), so for any loss E theta_1 = theta0 - eta grad L and
// Cov theta_1 = eta^2 C(theta0) (= Sigma_step): the results theta_i, cov_trace,
// cov_frobenius and cov_i_j. Where grad L is affine (quadratic, least squares) L is exactly
// quadratic and E L(theta_1) = L(theta0 - eta grad L) + 1/2 eta^2 Tr(H C(theta0)) (docs/theory.md
// 3.3, the one-step loss increase 1/2 alpha^2 Tr(AC) from theta*, here from any theta0;
// [DERIVED]). Valid for any covariance, state-dependent or not.
Prediction one_step(const PredictionContext& ctx, const std::string& result, std::int64_t k) {
  Prediction p;
  if (k != 1) {
    p.reason = "the \"one_step\" prediction is for step 1";
    return p;
  }
  if (ctx.scheme != "discrete" || !ctx.loss) {
    p.reason = "the \"one_step\" prediction is for plain discrete dynamics";
    return p;
  }
  const Index d = ctx.theta0.size();
  Mat C = Mat::Zero(d, d);
  if (ctx.noise) {
    const auto S = ctx.noise->covariance(ctx.theta0);
    if (!S) {
      p.reason = "the noise has no covariance";
      return p;
    }
    C = noise_forms(*S, ctx.noise->target(), ctx.eta).C;
  }
  const double eta2 = ctx.eta * ctx.eta;
  const Vec gd = ctx.theta0 - ctx.eta * ctx.loss->gradient_at(ctx.theta0);
  const char* moments_src =
      "one step of unbiased noisy GD: E theta_1 = theta_0 - eta grad L, Cov theta_1 = eta^2 C(theta_0) "
      "(docs/theory.md 1.3, [DERIVED])";
  if (result == "loss") {
    if (!ctx.loss->affine_gradient()) {
      p.reason = "the one-step loss is exact only for losses with an affine gradient";
      return p;
    }
    const Mat H = ctx.loss->hessian(ctx.theta0);
    p.value = ctx.loss->value_at(gd) + 0.5 * eta2 * (H * C).trace();
    p.source =
        "E L(theta_1) = L(theta_0 - eta grad L) + 1/2 eta^2 Tr(H C(theta_0)) for an affine gradient "
        "(docs/theory.md 3.3, [DERIVED])";
  } else if (result == "cov_trace") {
    p.value = eta2 * C.trace();
    p.source = moments_src;
  } else if (result == "cov_frobenius") {
    p.value = eta2 * C.norm();
    p.source = moments_src;
  } else if (const auto e = moment_entry(result, d)) {
    p.value = e->mean ? gd[e->i] : eta2 * C(e->i, e->j);
    p.source = moments_src;
  } else {
    p.reason = "the \"one_step\" prediction is for loss, theta_i, cov_trace, cov_frobenius and cov_i_j";
    return p;
  }
  p.available = std::isfinite(p.value);
  if (!p.available) p.reason = "the prediction is not finite";
  return p;
}

// E|theta_k - X_k|^2 and E|X_k - Y_k|^2 of a strong-coupling run: exact for losses with an
// affine gradient (strong_coupling_moments.hpp). The strong error E|e| itself has no exact
// value; its order is what the figure paper1_strong_error measures.
Prediction coupled(const PredictionContext& ctx, const std::string& result, std::int64_t k, const std::string& which) {
  Prediction p;
  if (which != "exact") {
    p.reason = "the coupled run has only its \"exact\" prediction";
    return p;
  }
  if (result != "strong_error_sq" && result != "reference_error_sq") {
    p.reason = "of the strong-coupling results only strong_error_sq and reference_error_sq are predicted";
    return p;
  }
  CoupledMomentsCache& c = *ctx.coupled;
  if (!c.computed) {
    const auto* fs = dynamic_cast<const FiniteSumLoss*>(ctx.loss);
    const auto* mn = dynamic_cast<const MultiplicativeNoise*>(ctx.noise);
    if (fs && mn)
      c.moments = coupled_second_moments(*fs, *mn, ctx.eta, ctx.substeps, ctx.theta0, ctx.steps, &c.reason);
    else
      c.reason = "the coupled run needs a finite-sum loss and multiplicative noise";
    c.computed = true;
  }
  if (!c.moments) {
    p.reason = c.reason;
    return p;
  }
  const auto& v = result == "strong_error_sq" ? c.moments->strong_sq : c.moments->reference_sq;
  if (k < 0 || k >= static_cast<std::int64_t>(v.size())) {
    p.reason = "no moment at step " + std::to_string(k);
    return p;
  }
  p.value = v[static_cast<std::size_t>(k)];
  p.available = std::isfinite(p.value);
  p.source =
      "exact second moments of the coupled affine recursion S' = A S A^T + sum_l N_l S N_l^T "
      "(analysis/predictions/strong_coupling_moments.hpp, [DERIVED])";
  if (!p.available) p.reason = "the prediction is not finite";
  return p;
}

// "exact" on an affine-gradient loss that is not a Quadratic: the moments of affine_moments.hpp.
// E L = L(m) + 1/2 Tr(H S) holds exactly since L is quadratic.
Prediction affine_exact(const PredictionContext& ctx, const std::string& result, std::int64_t k) {
  Prediction p;
  AffineMoments& am = *ctx.affine;
  if (!am.available()) {
    p.reason = am.reason();
    return p;
  }
  const Moments& m = am.at(k);
  const Index d = m.mean.size();
  if (result == "loss") {
    p.value = ctx.loss->value_at(m.mean) + 0.5 * (ctx.loss->hessian(m.mean) * m.cov).trace();
  } else if (result == "cov_trace") {
    p.value = m.cov.trace();
  } else if (result == "cov_frobenius") {
    p.value = m.cov.norm();
  } else if (const auto e = moment_entry(result, d)) {
    p.value = e->mean ? m.mean[e->i] : m.cov(e->i, e->j);
  } else {
    p.reason = "no prediction for result " + result;
    return p;
  }
  p.source = am.source();
  p.available = std::isfinite(p.value);
  if (!p.available) p.reason = "the prediction is not finite";
  return p;
}

}  // namespace

Prediction predict(const PredictionContext& ctx, const std::string& result, std::int64_t k, const std::string& which) {
  if (ctx.instances > 1) {
    Prediction p;
    p.reason = "the ensemble runs on " + std::to_string(ctx.instances) +
               " loss instances (loss.fresh_data); a prediction is computed from one";
    return p;
  }
  if (which == "gd") return gd_mean(ctx, result, k);
  if (which == "one_step") return one_step(ctx, result, k);
  if (ctx.coupled) return coupled(ctx, result, k, which);
  if (!ctx.quadratic && ctx.affine && which == "exact" && ctx.scheme == "discrete") return affine_exact(ctx, result, k);
  Prediction p;
  if (!ctx.quadratic) {
    p.reason = "no analytic prediction for this loss";
    return p;
  }
  if (ctx.noise && !ctx.noise->constant_covariance()) {
    p.reason = "no exact prediction for state-dependent noise";
    return p;
  }
  const Quadratic& q = *ctx.quadratic;
  const Index d = q.dim();
  const Mat S = ctx.noise ? *ctx.noise->covariance(q.stationary_point()) : Mat::Zero(d, d);
  const NoiseForms f = noise_forms(S, ctx.noise ? ctx.noise->target() : NoiseTarget::gradient, ctx.eta);
  const QuadraticMoments qm(q);

  auto discrete = [&] { return qm.discrete(ctx.eta, f.Sigma_step, ctx.theta0, k); };
  auto continuous = [&] { return qm.continuous(f.D, ctx.theta0, static_cast<double>(k) * ctx.eta); };
  auto em = [&] {
    const double dt = ctx.eta / ctx.substeps;
    return qm.discrete(dt, dt * f.D, ctx.theta0, k * ctx.substeps);
  };

  Moments exact;
  const char* exact_src = nullptr;
  if (ctx.scheme == "discrete") {
    exact = discrete();
    exact_src = kSrcDiscrete;
  } else if (ctx.scheme == "sde_euler_maruyama") {
    exact = em();
    exact_src = kSrcEM;
  } else if (ctx.scheme == "ou_exact") {
    exact = continuous();
    exact_src = kSrcContinuous;
  } else {
    p.reason = "no exact prediction for scheme " + ctx.scheme;
    return p;
  }
  const auto ex = extract(qm, q, exact, result);
  if (!ex) {
    p.reason = "no prediction for result " + result;
    return p;
  }
  p.available = true;
  if (which == "exact" || (which == "discrete" && ctx.scheme == "discrete") ||
      (which == "continuous" && ctx.scheme == "ou_exact")) {
    p.value = *ex;
    p.source = exact_src;
  } else if (which == "discrete") {
    p.value = *extract(qm, q, discrete(), result);
    p.source = kSrcDiscrete;
  } else if (which == "continuous") {
    p.value = *extract(qm, q, continuous(), result);
    p.source = kSrcContinuous;
  } else if (which == "discrete_stationary" || which == "continuous_stationary") {
    const bool disc = which == "discrete_stationary";
    const Existence e =
        disc ? qm.discrete_stationary_exists(ctx.eta, f.Sigma_step) : qm.continuous_stationary_exists(f.D);
    if (!e.exists) {
      p.available = false;
      p.reason = e.reason;
      return p;
    }
    const Moments st{q.stationary_point(),
                     disc ? qm.discrete_stationary(ctx.eta, f.Sigma_step) : qm.continuous_stationary(f.D)};
    p.value = *extract(qm, q, st, result);
    p.source = disc ? kSrcDiscreteStationary : kSrcContinuousStationary;
  } else {
    p.available = false;
    p.reason = "unknown prediction " + which;
    return p;
  }
  p.allowance = std::abs(p.value - *ex);
  if (!std::isfinite(p.value)) {
    p.available = false;
    p.reason = "the prediction is not finite (the linear dynamics diverge at this step)";
  }
  return p;
}

}  // namespace sgdnoise
