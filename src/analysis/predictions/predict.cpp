#include "analysis/predictions/predict.hpp"

#include <cmath>
#include <optional>

#include "analysis/predictions/quadratic_moments.hpp"

namespace sgdnoise {

namespace {

constexpr const char* kSrcDiscrete =
    "exact moment recursion S_{k+1} = A S_k A^T + Sigma_step, A = I - eta H, summed per eigenpair "
    "(papers.md 1.4 item 2, [DERIVED+CHECKED])";
constexpr const char* kSrcEM =
    "Euler-Maruyama on an OU process is the linear recursion e <- (I - dt H) e + N(0, dt D) (Kloeden & Platen "
    "1992, 9.1), evaluated exactly as in papers.md 1.4 item 2 with step dt";
constexpr const char* kSrcContinuous =
    "OU moments S(tau) = int_0^tau e^{-Hs} D e^{-Hs} ds, E L = L* + 1/4 Tr[(I - e^{-2H tau}) D] from theta* "
    "(papers.md 1.4 item 1; Gardiner, Stochastic Methods 4.5.6)";

std::optional<double> extract(const QuadraticMoments& qm, const Moments& m, const std::string& result) {
  if (result == "loss") return qm.expected_loss(m);
  return std::nullopt;
}

}  // namespace

Prediction predict(const PredictionContext& ctx, const std::string& result, std::int64_t k,
                   const std::string& which) {
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
  } else {
    p.reason = "no exact prediction for scheme " + ctx.scheme;
    return p;
  }
  const auto ex = extract(qm, exact, result);
  if (!ex) {
    p.reason = "no prediction for result " + result;
    return p;
  }
  p.available = true;
  if (which == "exact" || (which == "discrete" && ctx.scheme == "discrete")) {
    p.value = *ex;
    p.source = exact_src;
  } else if (which == "discrete") {
    p.value = *extract(qm, discrete(), result);
    p.source = kSrcDiscrete;
  } else if (which == "continuous") {
    p.value = *extract(qm, continuous(), result);
    p.source = kSrcContinuous;
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
