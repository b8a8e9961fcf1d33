#pragma once
// Escape detection and escape-time statistics, independent of the CLI.
//
// Regions say, batched over the rows of a block of trajectories, which points lie in
// a target set; the EscapeTracker turns the ensemble before and after each step into
// per-trajectory statuses (running, escaped with a destination, censored at the cap,
// diverged) with first-passage times in steps k and in tau = k eta (docs/conventions.md,
// time); the statistics never drop a censored trajectory: they use it as censored data
// (Kaplan-Meier, restricted means, exposure time) and report how many there were.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/stats.hpp"
#include "losses/loss.hpp"

namespace sgdnoise {

// ------------------------------------------------------------------------------ Regions

/// A target set of parameter space, evaluated on every row of a block.
///
/// A region may have a margin phi, continuous, >= 0 inside and < 0 outside; then the
/// tracker interpolates the first-passage time linearly inside the crossing step, at
/// the fraction where phi crosses zero (exact when phi is affine along the step:
/// half-spaces and thresholds; first order for level sets).
class Region {
 public:
  virtual ~Region() = default;
  virtual std::string kind() const = 0;
  /// out[i] = 1 when X.row(i) lies in the region, else 0 (out is resized to X.rows()).
  virtual void inside(ConstBlockRef X, std::vector<char>& out) const = 0;
  virtual bool has_margin() const { return false; }
  /// out[i] = phi(X.row(i)); only where has_margin().
  virtual void margin(ConstBlockRef, Eigen::Ref<Vec> out) const { out.setZero(); }
  /// True when phi is the signed Euclidean distance to a hyperplane (the Brownian-bridge
  /// correction applies).
  virtual bool flat_boundary() const { return false; }
  /// For rows outside at `before` and inside at `after`: the fraction f in [0, 1] of the
  /// step at which the region is entered. Default: phi_b / (phi_b - phi_a) where a margin
  /// exists, else 1 (the event is placed at the end of the step).
  virtual void entry_fraction(ConstBlockRef before, ConstBlockRef after, Eigen::Ref<Vec> f) const;
  /// For each row i inside the region whose trajectory ids[i] has first_passage[ids[i]] < 0,
  /// sets it to `step` (the escape loop of run_until_escaped). The default goes through
  /// inside(); a threshold reads its column in one pass.
  virtual void record_entries(ConstBlockRef X, const std::uint64_t* ids, std::int64_t step,
                              std::int64_t* first_passage) const;
};

/// |theta - centre| <= radius, or its exterior (|theta - centre| >= radius) when
/// `outside`: leaving a ball around a minimum is a common escape criterion. The margin is
/// the signed distance to the sphere; the entry fraction solves the segment-sphere
/// intersection exactly.
class Ball final : public Region {
 public:
  Ball(Vec centre, double radius, bool outside = false);
  std::string kind() const override { return outside_ ? "outside_ball" : "ball"; }
  const Vec& centre() const { return centre_; }
  double radius() const { return radius_; }
  bool outside() const { return outside_; }
  void inside(ConstBlockRef X, std::vector<char>& out) const override;
  bool has_margin() const override { return true; }
  void margin(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  void entry_fraction(ConstBlockRef before, ConstBlockRef after, Eigen::Ref<Vec> f) const override;

 private:
  Vec centre_;
  double radius_;
  bool outside_;
};

/// {theta : normal . theta >= offset}; the margin is (normal . theta - offset) / |normal|.
class HalfSpace final : public Region {
 public:
  HalfSpace(Vec normal, double offset);
  std::string kind() const override { return "half_space"; }
  void inside(ConstBlockRef X, std::vector<char>& out) const override;
  bool has_margin() const override { return true; }
  void margin(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  bool flat_boundary() const override { return true; }

 private:
  Vec unit_normal_;
  double offset_;  // divided by |normal|
};

/// theta_i >= value (above) or theta_i <= value (below).
class CoordinateThreshold final : public Region {
 public:
  enum class Side { above, below };
  CoordinateThreshold(Index coord, double value, Side side);
  std::string kind() const override { return "coordinate_threshold"; }
  void inside(ConstBlockRef X, std::vector<char>& out) const override;
  bool has_margin() const override { return true; }
  void margin(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  bool flat_boundary() const override { return true; }
  void record_entries(ConstBlockRef X, const std::uint64_t* ids, std::int64_t step,
                      std::int64_t* first_passage) const override;
  Index coordinate() const { return coord_; }
  double value() const { return value_; }
  Side side() const { return side_; }

 private:
  Index coord_;
  double value_;
  Side side_;
};

/// {theta : L(theta) > level}; margin L - level (linear interpolation of the loss inside
/// the step: first order in the step).
class LevelSet final : public Region {
 public:
  LevelSet(std::shared_ptr<const Loss> loss, double level);
  std::string kind() const override { return "level_set"; }
  void inside(ConstBlockRef X, std::vector<char>& out) const override;
  bool has_margin() const override { return true; }
  void margin(ConstBlockRef X, Eigen::Ref<Vec> out) const override;

 private:
  std::shared_ptr<const Loss> loss_;
  double level_;
};

/// The intersection of regions (e.g. paper 3's success test w_0 < -0.5 and w_1 < -0.5,
/// docs/theory.md 4.4A). Margin: the minimum of the parts' margins; entry fraction: the
/// largest of the parts' (exact when each part is a half-space or threshold).
class AllOf final : public Region {
 public:
  explicit AllOf(std::vector<std::shared_ptr<const Region>> parts);
  std::string kind() const override { return "all_of"; }
  void inside(ConstBlockRef X, std::vector<char>& out) const override;
  bool has_margin() const override;
  void margin(ConstBlockRef X, Eigen::Ref<Vec> out) const override;
  void entry_fraction(ConstBlockRef before, ConstBlockRef after, Eigen::Ref<Vec> f) const override;

 private:
  std::vector<std::shared_ptr<const Region>> parts_;
};

/// Gradient flow theta' = -grad L integrated by classical Runge-Kutta 4 with step dt
/// for at most `time`; a point is captured by the first minimum within capture_radius.
/// RK4 is stable on a quadratic direction only for dt lambda < 2.78: choose dt below
/// 2.5 / lambda_max of the region visited.
struct GradientFlowSpec {
  double time = 20.0;
  double dt = 1e-2;
  double capture_radius = 1e-3;
};

/// The basin of attraction of minima[target] under gradient flow: a point is inside when
/// the flow started from it reaches minima[target] (within capture_radius) in the time
/// allowed. No margin: an entry is placed at the end of its step. Each call integrates
/// the flow for every row, so it costs up to time/dt * 4 gradient evaluations.
class Basin final : public Region {
 public:
  Basin(std::shared_ptr<const Loss> loss, std::vector<Vec> minima, Index target, GradientFlowSpec flow = {});
  std::string kind() const override { return "basin"; }
  void inside(ConstBlockRef X, std::vector<char>& out) const override;
  /// label[i] = index of the minimum the flow from X.row(i) reaches, or -1 when it reaches
  /// none in the time allowed (or the flow diverged).
  void classify(ConstBlockRef X, std::vector<int>& label) const;

 private:
  std::shared_ptr<const Loss> loss_;
  std::vector<Vec> minima_;
  Index target_;
  GradientFlowSpec flow_;
};

/// Probability that a Brownian bridge with variance sigma2_dt over the interval (the
/// variance of the displacement along the boundary normal: sigma^2 dt for isotropic
/// D = sigma^2 I) crosses a hyperplane, given that it starts at distance a and ends at
/// distance b on the same side: exp(-2 a b / (sigma^2 dt)) (reflection principle;
/// Karatzas & Shreve 1991, sec. 2.6; used for barrier crossings by Glasserman 2004,
/// sec. 6.4). 1 when a <= 0 or b <= 0 (an endpoint on or beyond the boundary).
double bridge_crossing_probability(double a, double b, double sigma2_dt);

// --------------------------------------------------------------------------- Tracking

enum class EscapeState : std::uint8_t { running, escaped, censored, diverged };
std::string to_string(EscapeState s);

/// The outcome of one trajectory.
struct TrajectoryEscape {
  EscapeState state = EscapeState::running;
  int destination = -1;  // escaped: index of the target region entered
  /// Time of the event in steps: the (interpolated) first-passage time when escaped, the
  /// last step observed when censored, the step at which it was seen diverged.
  double steps = 0.0;
  double tau = 0.0;               // steps * eta
  std::int64_t detected_at = -1;  // the step k at which the event was recorded
  bool interpolated = false;      // the time was interpolated inside the crossing step
  bool by_bridge = false;         // detected by the Brownian-bridge test
};

/// all_rows: every call passes all N trajectories in original order (stopped rows are
/// ignored). live_rows: calls pass only the running trajectories, in live() order; after
/// each update the caller removes the stopped rows with compact().
enum class RowLayout { all_rows, live_rows };

struct EscapeTrackerSpec {
  double eta = 1.0;  // tau = k eta
  /// Running trajectories are censored once an update reaches k >= cap (default: no cap).
  std::int64_t cap = std::numeric_limits<std::int64_t>::max();
  bool interpolate = true;          // linear interpolation inside the crossing step
  double divergence_bound = 1e100;  // |theta_i| beyond this (or non-finite) counts as diverged
  RowLayout layout = RowLayout::all_rows;
};

/// First-passage detection over an ensemble. The first target a trajectory enters is
/// its destination (if it enters several in one step, the one entered earliest in the
/// step, then the lowest index). Trajectories that start inside a target escape at the
/// start step with time k0 (counted in started_inside()).
class EscapeTracker {
 public:
  EscapeTracker(std::vector<std::shared_ptr<const Region>> targets, Index n_trajectories, EscapeTrackerSpec spec);

  /// The initial state at step k0. Returns the number of trajectories that stopped.
  Index start(std::int64_t k0, ConstBlockRef X0);
  /// The step(s) from k0 to k1 > k0: before and after in the spec's row layout.
  /// Returns the number of trajectories that stopped.
  Index update(std::int64_t k0, std::int64_t k1, ConstBlockRef before, ConstBlockRef after);
  /// update() plus, for rows that ended outside every target, the Brownian-bridge test
  /// on each flat-boundary target: crossing when uniforms[row] falls below the
  /// cumulative sum of the targets' bridge_crossing_probability (an approximation of
  /// the union when several targets apply). For SDE runs with isotropic diffusion, per
  /// integration sub-step (sigma2_dt = sigma^2 dt). Uniforms: one per row of `after`,
  /// from the caller's counter-based stream. The event time is placed at the fraction
  /// a / (a + b) of the step (resolution: one step).
  Index update_with_bridge(std::int64_t k0, std::int64_t k1, ConstBlockRef before, ConstBlockRef after,
                           double sigma2_dt, const Eigen::Ref<const Vec>& uniforms);
  /// Observer-style use, called with the ensemble at each observation step: the first
  /// call is start(), later ones update() from the previous call's state (kept here).
  Index observe(std::int64_t k, ConstBlockRef X);
  /// Censors every running trajectory at step k (the run ended before the cap).
  Index censor_running(std::int64_t k);

  /// live_rows layout: removes from X (rows in the previous live() order) the rows of
  /// the trajectories stopped by the last update, keeping the order. A matrix already
  /// compacted is left alone.
  void compact(Mat& X) const;

  /// The tracker's state for a checkpoint (all_rows layout), and its restoration with the
  /// ensemble `prev` of the last observation (the checkpoint's state). restore_state throws
  /// std::invalid_argument when the bytes do not fit this tracker.
  std::string saved_state() const;
  void restore_state(const std::string& bytes, ConstBlockRef prev);

  /// Original indices of the running trajectories, increasing.
  const std::vector<Index>& live() const { return live_; }
  const std::vector<TrajectoryEscape>& results() const { return results_; }
  Index n_trajectories() const { return static_cast<Index>(results_.size()); }
  Index n_running() const { return static_cast<Index>(live_.size()); }
  Index n_targets() const { return static_cast<Index>(targets_.size()); }
  Index started_inside() const { return started_inside_; }
  std::int64_t last_step() const { return last_step_; }
  const EscapeTrackerSpec& spec() const { return spec_; }

 private:
  Index update_impl(std::int64_t k0, std::int64_t k1, ConstBlockRef before, ConstBlockRef after, double sigma2_dt,
                    const Vec* uniforms);
  /// before/after: the live rows in live() order.
  Index process(std::int64_t k0, std::int64_t k1, ConstBlockRef before, ConstBlockRef after, double sigma2_dt,
                const Vec* uniforms, bool at_start);
  std::vector<std::shared_ptr<const Region>> targets_;
  EscapeTrackerSpec spec_;
  std::vector<TrajectoryEscape> results_;
  std::vector<Index> live_;
  std::vector<char> last_keep_;  // per row of the last update's live input: 1 = still running
  Index started_inside_ = 0;
  std::int64_t last_step_ = 0;
  bool started_ = false;
  Mat prev_;  // observe(): the previous observation (live rows or all rows, per layout)
  std::int64_t prev_k_ = 0;
};

// ------------------------------------------------------------------------- Statistics

/// Right-censored survival data: one time per trajectory; event 1 = escaped, 0 = censored.
struct SurvivalData {
  std::vector<double> time;
  std::vector<char> event;
  Index size() const { return static_cast<Index>(time.size()); }
};

/// How diverged trajectories enter the statistics: censored at the divergence time (the
/// default; assumes divergence is non-informative about escape), or excluded (counted in
/// EscapeCounts.diverged, and in SurvivalData's absence).
enum class DivergedAs { censored, excluded };

/// Survival data from the tracker's results, in steps or in tau. Running trajectories
/// are censored at last_step.
SurvivalData survival_data(const std::vector<TrajectoryEscape>& results, std::int64_t last_step, double eta,
                           bool in_tau, DivergedAs diverged = DivergedAs::censored);

struct Interval {
  double lo = 0.0, hi = 0.0, level = 0.95;
};

/// Kaplan-Meier product-limit estimate (Kaplan & Meier 1958) with Greenwood's variance
/// Var S(t) = S(t)^2 sum_{t_i <= t} d_i / (n_i (n_i - d_i)) (Greenwood 1926; Klein &
/// Moeschberger 2003, eq. 4.2.2). Events at a time precede censorings at the same time.
/// Where n_i = d_i (everyone left at risk escapes) S drops to 0 and its se is 0.
struct KaplanMeier {
  std::vector<double> time;      // distinct event times, increasing
  std::vector<Index> at_risk;    // n_i
  std::vector<Index> events;     // d_i
  std::vector<double> survival;  // S just after time[i]
  std::vector<double> se;        // Greenwood standard error of survival[i]
  Index n = 0, n_events = 0, n_censored = 0;
  double max_time = 0.0;  // the largest time observed (event or censoring)
  /// S(t) and its se (right-continuous step function; S = 1 before the first event).
  double survival_at(double t) const;
  double se_at(double t) const;
};
KaplanMeier kaplan_meier(const SurvivalData& data);

/// Mean escape time. Nothing censored: the sample mean, se s/sqrt(n), interval
/// mean +- t_{n-1} se. Anything censored: the restricted mean survival time
/// int_0^h S(t) dt up to h = min(cap, largest time observed), which is E min(T, h) and
/// not E T (Klein & Moeschberger 2003, sec. 4.5), with its se
/// sqrt(sum_i A_i^2 d_i / (n_i (n_i - d_i))), A_i = int_{t_i}^h S, and a normal interval.
struct MeanTime {
  bool available = false;
  Estimate est;  // est.method: "mean" or "restricted_mean"
  Interval ci;
  bool restricted = false;
  double restricted_to = 0.0;
  Index n_censored = 0;
  std::string statement;  // what was estimated, in words
};
MeanTime mean_escape_time(const SurvivalData& data, double cap, double level = 0.95);

/// Escape rate for exponential escape times under right censoring: the MLE
/// k = D / E (D events, E total time at risk of all trajectories), se sqrt(D)/E, and the
/// exact Poisson (Garwood 1936) interval [chi2_{2D}(a/2)/(2E), chi2_{2D+2}(1-a/2)/(2E)],
/// i.e. Gamma quantiles (Cox & Oakes 1984, sec. 3.2).
struct RateEstimate {
  bool available = false;
  double rate = 0.0, se = 0.0;
  Index events = 0;
  double exposure = 0.0;
  Interval ci;
  std::string method = "exponential_mle";
  std::string reason;
};
RateEstimate exponential_rate(const SurvivalData& data, double level = 0.95);

/// Wilson score interval for a binomial proportion (Wilson 1927; Newcombe 1998, method 3).
Interval wilson_interval(Index successes, Index trials, double level = 0.95);

/// Probability of escaping by `horizon`. When no trajectory was censored before the
/// horizon: successes / n with the Wilson interval ("binomial_wilson"). Otherwise:
/// 1 - S_KM(horizon) with a normal Greenwood interval clipped to [0, 1] ("kaplan_meier").
struct Proportion {
  double value = 0.0;
  Index successes = 0, trials = 0;
  Index censored_before_horizon = 0;
  Interval ci;
  std::string method;
};
Proportion escape_probability(const SurvivalData& data, double horizon, double level = 0.95);

struct EscapeCounts {
  Index n = 0, escaped = 0, censored = 0, diverged = 0, running = 0;
  std::vector<Index> by_destination;
};
EscapeCounts count_escapes(const std::vector<TrajectoryEscape>& results, Index n_targets);

/// Everything above, in steps and in tau, for a finished tracker.
struct EscapeSummary {
  EscapeCounts counts;
  Index started_inside = 0;
  DivergedAs diverged_as = DivergedAs::censored;
  KaplanMeier survival_steps;
  MeanTime mean_steps, mean_tau;
  RateEstimate rate_per_step, rate_per_tau;
  Proportion within_horizon;
  double horizon_steps = 0.0;
};
EscapeSummary summarize_escapes(const EscapeTracker& tracker, double horizon_steps,
                                DivergedAs diverged = DivergedAs::censored, double level = 0.95);

}  // namespace sgdnoise
