#pragma once
// Predictions of recorded results, each with its source (docs/conventions.md).
//
// "exact" is the exact prediction for the scheme that was simulated; "discrete"
// (noisy GD at eta) and "continuous" (the SDE at tau = k eta) are the two
// idealisations. When the requested one is not the scheme's own, the check's
// allowance is the exact difference between the two, computed, not guessed.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "analysis/predictions/affine_moments.hpp"
#include "analysis/predictions/strong_coupling_moments.hpp"
#include "losses/quadratic.hpp"
#include "noise/noise.hpp"

namespace sgdnoise {

/// The exact second moments of a strong-coupling run, computed on first use (all steps at once).
struct CoupledMomentsCache {
  bool computed = false;
  std::optional<CoupledSecondMoments> moments;
  std::string reason;
};

struct PredictionContext {
  const Loss* loss = nullptr;
  const Quadratic* quadratic = nullptr;  // null: no moment prediction available
  const NoiseModel* noise = nullptr;     // null: no noise
  std::string scheme;                    // "discrete", "sde_euler_maruyama", "strong_coupling", ...
  double eta = 0.0;
  int substeps = 1;
  Vec theta0;
  std::int64_t steps = 0;                        // the run's last step
  std::shared_ptr<CoupledMomentsCache> coupled;  // set for strong_coupling runs
  /// Loss instances the ensemble runs on (fresh data per group); every prediction here is
  /// computed from one loss, so with more than one none is available.
  Index instances = 1;
  /// Exact moments of noisy GD on an affine-gradient loss without a Quadratic (sums of
  /// quadratics, least squares), kept along the run; null: not computed.
  std::shared_ptr<AffineMoments> affine;
};

struct Prediction {
  bool available = false;
  double value = 0.0;
  double allowance = 0.0;  // |requested - exact for the scheme|
  std::string source;
  std::string reason;  // why it is unavailable
};

Prediction predict(const PredictionContext& ctx, const std::string& result, std::int64_t k, const std::string& which);

}  // namespace sgdnoise
