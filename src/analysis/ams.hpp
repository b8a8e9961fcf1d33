#pragma once
// Adaptive multilevel splitting (AMS) for the rare event "reach B before returning to A",
// for any Stepper (a discrete SGD chain as well as an SDE scheme): docs/theory.md 8.8.
//
// Generalized AMS (Cerou & Guyader 2007; Brehier, Gazeau, Goudenege, Lelievre & Rousset 2016,
// Ann. Appl. Probab. 26, "Unbiasedness of some generalized adaptive multilevel splitting
// algorithms"). A score xi orders the states, A = {xi <= z_A}, B = {xi >= z_B}. n replicas
// start at theta0 (or at given start states) and run until they are in A or B (at a step t >= 1). Each iteration q: the
// level Z_q is the k-th smallest maximum score; every replica whose maximum is <= Z_q is killed
// (K_q >= k with ties); each is replaced by a clone of a survivor chosen uniformly, restarted
// from the survivor's first state with score > Z_q and continued with fresh noise, until it
// is in A or B. Stop when Z_q >= z_B. Then
//   p_hat = prod_q (1 - K_q / n) * (number of replicas in B) / n
// is an unbiased estimator of P(reach B before A | theta0) (the main result of Brehier et al. 2016),
// and prod_q (1 - K_q/n) * (1/n) sum_i phi(path_i) 1_B(path_i) of E[phi(path) 1_B].
//
// Random numbers (docs/conventions.md, determinism): run r of a seed draws with Philox key
// ams_run_key(seed, r). Replica segments are trajectories of the stepper: the n initial
// replicas are stream ids 0..n-1, the m-th clone of the run (in iteration order, then replica
// order) is stream id n + m, and every segment counts its steps from k = 0, so a clone never
// replays its parent's noise. The survivor a killed replica i copies at iteration q is drawn
// from Purpose::ams_clone at (trajectory i, step q). Segments are stepped in blocks (RowIds)
// that threads take in any order; each replica belongs to one row, so every result is bitwise
// the same for any thread count and block size.
//
// Requirements on the chain: it must be time-homogeneous and Markov in the stepper state
// (theta and its extra columns), since a clone restarts at k = 0: no step-size schedule, no
// reshuffled epochs, and no stepper that chooses its model by trajectory id (fresh data per
// group). The scenario layer refuses those; the engine cannot see them.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dynamics/stepper.hpp"
#include "losses/loss.hpp"

namespace sgdnoise {

/// The score xi(theta) that orders states towards B: a projection u . (theta - c) (a
/// coordinate when u is a unit vector), the distance |theta - c| to a point, or the loss value.
class ScoreFunction {
 public:
  enum class Kind { projection, distance, loss };
  /// xi = theta_i.
  static ScoreFunction coordinate(Index dim, Index i);
  /// xi = u . (theta - origin).
  static ScoreFunction projection(Vec u, Vec origin);
  /// xi = |theta - center| (Euclidean).
  static ScoreFunction distance(Vec center);
  /// xi = L(theta).
  static ScoreFunction loss_value(std::shared_ptr<const Loss> loss);

  Kind kind() const { return kind_; }
  Index dim() const;
  /// out[i] = xi(theta.row(i)); theta has dim() columns.
  void evaluate(ConstBlockRef theta, Eigen::Ref<Vec> out) const;
  double at(const Vec& theta) const;
  std::string describe() const;

 private:
  Kind kind_ = Kind::projection;
  Index coordinate_ = -1;  // the coordinate, for describe(), when the projection is one
  Vec u_, c_;
  std::shared_ptr<const Loss> loss_;
};

struct AmsSpec {
  Index replicas = 100;  // n
  Index kill = 1;        // k: the level is the k-th smallest maximum score; 1 <= k < n
  double level_a = 0.0;  // z_A: A = {xi <= z_A}
  double level_b = 1.0;  // z_B: B = {xi >= z_B}; z_A < z_B
  Vec start;             // theta0 (dim entries); xi(theta0) < z_B; its score is the level of Sigma for the rate
  /// Optional start states (rows of theta and the stepper's extra columns, scores < z_B): replica i
  /// of run r starts at row (r n + i) mod rows, so the runs estimate p averaged over these
  /// states (the entrance points into Sigma of ams_loop_times, for the rate). Empty: all at start.
  Mat starts;
  std::int64_t max_iterations = 1'000'000;
  std::int64_t max_segment_steps = 10'000'000;  // a segment (or a brute-force loop) not in A or B by then is an error
  double memory_limit_bytes = 1024.0 * 1024.0 * 1024.0;  // stored paths: n x (steps + 1) x (columns + 1) doubles
  std::uint64_t seed = 0;
  int threads = 1;
  Index block = 64;  // segments per block of work
};

/// Throws std::invalid_argument, naming the parameter, when the spec cannot run with this
/// stepper and score (z_A >= z_B, k >= n, theta0 in B, dimensions, ...).
void validate_ams(const Stepper& stepper, const ScoreFunction& score, const AmsSpec& spec);

/// The Philox key of AMS run r (SplitMix64 of the seed and r; r = -1 gives the brute-force loops' key).
std::uint64_t ams_run_key(std::uint64_t seed, std::int64_t run);

struct AmsRunResult {
  double p = 0.0;             // p_hat of this run
  double log_weight = 0.0;    // sum_q ln(1 - K_q / n)
  double reactive_sum = 0.0;  // prod_q (1 - K_q/n) (1/n) sum_{i in B} T_i, T_i the path length in steps
  std::int64_t iterations = 0;
  Index killed = 0;               // sum_q K_q
  Index reached_b = 0;            // final replicas in B
  bool extinct = false;           // every replica was killed at one level: p_hat = 0
  double trajectory_steps = 0.0;  // stepper steps computed (one per row per advance)
  Index longest_path = 0;         // steps of the longest stored path
};

/// One AMS run with the stream family of `run` (key ams_run_key(spec.seed, run)).
AmsRunResult ams_run(const Stepper& stepper, const ScoreFunction& score, const AmsSpec& spec, std::int64_t run);

struct AmsEstimate {
  std::vector<AmsRunResult> runs;
  double p = 0.0, p_se = 0.0;                // mean of the runs' p_hat and its sample standard error
  double reactive = 0.0, reactive_se = 0.0;  // mean of reactive_sum (steps) and its standard error
  double cov_p_reactive = 0.0;               // the covariance of the two means (sample covariance / M)
  /// E[T_reactive] in steps: reactive / p (ratio estimator; 0 when p = 0).
  double reactive_time = 0.0;
  std::int64_t iterations = 0;    // summed over runs
  double trajectory_steps = 0.0;  // summed over runs
};

/// M independent runs (run r = 0..M-1). With threads > 1 the runs are shared among threads
/// (each run single-threaded) when M >= threads, else each run uses the threads.
AmsEstimate ams_estimate(const Stepper& stepper, const ScoreFunction& score, const AmsSpec& spec, Index runs);

/// Brute-force durations of the chain, in steps, from trajectories of the same stepper;
/// Sigma = {xi >= xi(theta0)}.
struct LoopStats {
  Index loops = 0;                          // failed excursions measured
  Index successes = 0;                      // excursions that reached B before A (not loops; excluded)
  double mean = 0.0, se = 0.0;              // T_loop: entrance into Sigma -> A -> the next entrance into Sigma
  Index entries = 0;                        // first entrances from `from` (T_0 samples)
  double entry_mean = 0.0, entry_se = 0.0;  // T_0: from -> Sigma (0 without `from`)
  /// The states (theta and extra columns) at every recorded entrance into Sigma, in trajectory
  /// order: samples of the distribution the excursions start from (for AmsSpec::starts).
  Mat entrance_states;
  double trajectory_steps = 0.0;
};

/// `loops` brute-force trajectories (stream ids 0.. under key ams_run_key(seed, -1)). With
/// `from` (a point in A, typically the minimum) each runs from it to Sigma (T_0), then makes
/// `burn_in` unrecorded cycles (excursion, A, back to Sigma), then one recorded one: its
/// entrance state, and into A and back to Sigma (a loop, a second entrance state) or into B
/// first (a success; so is B during the burn-in). Without `from` each starts at theta0. The
/// burn-in lets the entrance states relax to the law of a typical entrance: the first ones
/// after a fixed start still remember it along slow directions (docs/theory.md 8.8). Needs
/// z_A < xi(theta0).
LoopStats ams_loop_times(const Stepper& stepper, const ScoreFunction& score, const AmsSpec& spec, Index loops,
                         const Vec& from = Vec(), Index burn_in = 0);

/// The rate from the decomposition of Cerou, Guyader, Lelievre & Pommier 2011 (J. Chem. Phys.
/// 134, 054108; docs/theory.md 8.8): E[T_{A->B}] = T_0 + (1/p - 1) E[T_loop] + E[T_reactive],
/// with E[T_reactive] = E[T 1_B] / p; the standard errors by the delta method (the covariance
/// of p and E[T 1_B] over runs included; the loop times independent).
struct AmsRate {
  bool available = false;
  std::string reason;  // why not (p = 0)
  double mean_time_steps = 0.0, mean_time_steps_se = 0.0;
  double mean_time = 0.0, mean_time_se = 0.0;                     // tau = steps * eta
  double rate = 0.0, rate_se = 0.0;                               // per unit tau
  double loop_time = 0.0, reactive_time = 0.0, entry_time = 0.0;  // tau
};
AmsRate ams_rate(const AmsEstimate& est, const LoopStats& loops, double eta);

}  // namespace sgdnoise
