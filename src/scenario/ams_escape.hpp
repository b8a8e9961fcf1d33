#pragma once
// escape.method = "ams": the escape rate by adaptive multilevel splitting (analysis/ams.hpp,
// docs/theory.md 8.8) instead of brute force, built from the scenario's [escape] keys and run
// after the ensemble. Its rate, the pieces of the decomposition and their standard errors go
// to summary.json under escape.ams, and, with escape.mfpt_check, a check of the mean time
// against the exact 1-D mean first-passage time (Gardiner 5.2.7, docs/theory.md 8.3).
#include <memory>
#include <string>

#include "analysis/ams.hpp"
#include "analysis/checks.hpp"

namespace sgdnoise {

class Scenario;
struct Experiment;

struct AmsScenario {
  ScoreFunction score;
  AmsSpec spec;
  Index runs = 10;
  Index loops = 2000;
  Index burn_in = 10;  // unrecorded cycles before each recorded loop (ams_loop_times)
  Vec from;            // the point the transition starts from (the minimum): T_0 is measured from it
  bool mfpt_check = false;
  double sigmas = 5.0;
  double allowance = 0.0;  // relative, granted to the exact-MFPT check (the chain's time step)
};

/// The AMS configuration of escape.method = "ams" (InputErrors naming the key), or null for
/// "brute_force". Refuses chains AMS cannot restart: step-size schedules, reshuffled epochs,
/// loss instances per trajectory group.
std::shared_ptr<const AmsScenario> build_ams_scenario(const Scenario& s, const Experiment& ex);

struct AmsOutcome {
  AmsEstimate estimate;
  LoopStats loops;
  AmsRate rate;
  Prediction exact_mean_time;  // the exact continuous MFPT from `from` to level_b, where available
  double eps = 0.0;            // D = 2 eps, where the noise is isotropic Gaussian
  double wall_seconds = 0.0;   // metadata, not a result
};

/// Runs the brute-force loops, then the AMS runs from their entrance states.
AmsOutcome run_ams_scenario(const Experiment& ex);

/// The check of the AMS mean time against the exact MFPT (result "escape_mean_tau_ams").
CheckOutcome ams_mfpt_check(const AmsScenario& a, const AmsOutcome& o);

}  // namespace sgdnoise
