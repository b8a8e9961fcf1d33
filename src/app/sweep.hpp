#pragma once
// Parameter sweeps: one scenario run at many points, each point a set of `--set`
// overrides, each point a normal run directory, and one aggregated table of every
// scalar result with its standard error or interval (sweep.csv, sweep.json).
//
// Points come from a product grid (`--grid key=v1,v2,...`, the first axis varying
// slowest, as nested loops in the order given) and/or a list file of override rows; a
// list and a grid together give every list row crossed with the grid. Every point is
// validated (scenario parse, schema, experiment build) before any point runs, so a bad
// key costs nothing (exit 2, naming the key). Points run K at a time (--parallel-points K,
// at most --threads), each with threads / K threads; by default as many at once as there are
// threads, each with one; results depend on neither.
//
// Sweeps survive interruption (app/sweep_state.hpp). Everything is written into OUT.partial/:
// first the plan (sweep-plan.json: the scenario text's hash, --set, the seed rule, every
// point's label and overrides, the trends), then each point as a run directory of its own
// (points/NNN-label/, app/run_job.hpp), written atomically when the point ends and
// checkpointed while it runs (points/NNN-label.partial/, every --checkpoint-every seconds).
// When the last point is written, the tables are written beside them and OUT.partial/ is
// renamed to OUT/. A signal stops the running points after their next observation (each
// keeps a checkpoint) and returns 130; a signal or a crash (SIGKILL) leaves OUT.partial/
// with every finished point. The same command with --resume checks that the plan is the same
// (InputError naming what differs), keeps the finished points, resumes an interrupted point
// from its checkpoint, runs the rest, and ends bitwise identical to an uninterrupted sweep
// (the command recorded is the first one). Without --resume, an OUT.partial/ is refused, or
// discarded with --force.
//
// Trends compare points across the sweep: "METRIC: A,B < C,D" passes when the interval
// of METRIC (columns METRIC_lo, METRIC_hi) at every point labelled A or B lies wholly
// below the interval at every point labelled C or D (non-overlapping intervals).
#include <iosfwd>
#include <nlohmann/json.hpp>

#include "core/process_group.hpp"
#include <atomic>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sgdnoise {

/// One axis of a product grid: `key=v1,v2,...`; values in TOML syntax (or bare words),
/// split on commas outside brackets and quotes.
struct GridAxis {
  std::string key;
  std::vector<std::string> values;
};
GridAxis parse_grid_axis(const std::string& spec);

/// A point of the sweep: its overrides (`key=value`, applied after the sweep's --set)
/// and its label (the list row's label, else the overrides joined by spaces).
struct SweepPoint {
  std::string label;
  std::vector<std::string> sets;
};

struct TrendSpec {
  std::string text;  // as given
  std::string metric;
  std::vector<std::string> lower, higher;  // point labels
};
/// "METRIC: A,B,... < C,D,..."
TrendSpec parse_trend(const std::string& spec);

/// A list file: one point per line, `[LABEL:] key=value key=value ...`, and trend lines
/// `trend METRIC: A,B < C,D`; blank lines and `#` comments are ignored.
struct SweepList {
  std::vector<SweepPoint> rows;
  std::vector<TrendSpec> trends;
};
SweepList parse_sweep_list(const std::string& text, const std::string& file);

/// The points: list rows (or one empty row) crossed with the grid, grid axes nested in
/// the order given (the first slowest). Throws InputError on a key given twice in a point.
std::vector<SweepPoint> expand_points(const std::vector<SweepPoint>& rows, const std::vector<GridAxis>& grid);

/// "NNN-label" with characters other than [A-Za-z0-9._=,+-] replaced by '_'.
std::string point_dir_name(std::size_t index, const SweepPoint& p);

/// The scalar results of one run's summary.json as ordered columns: status, final
/// observer values (mean, se, n, exact prediction), indicators at theta_0, escape
/// statistics with intervals and their predictions, check outcomes. Values that could not
/// be computed are left out, with a COLUMN_status string saying why.
nlohmann::ordered_json summary_columns(const nlohmann::json& summary);

struct TrendOutcome {
  TrendSpec spec;
  bool passed = false;
  std::string reason;
};
/// Evaluates a trend on the points' labels and columns (summary_columns).
TrendOutcome evaluate_trend(const TrendSpec& t, const std::vector<std::string>& labels,
                            const std::vector<nlohmann::ordered_json>& columns);

/// The aggregated table as CSV: point, label, dir, one column per override key, then the
/// union of every point's columns in first-seen order; empty where a point has no value.
std::string sweep_csv(const nlohmann::ordered_json& sweep);

/// The size bound of a sweep without --allow-large (README.md, "Sweeps"): points are
/// counted from the grid and the list before any is expanded or validated, and the cost,
/// the sum over points of dynamics.trajectories x dynamics.steps, is estimated from the
/// overrides and the scenario file before any point is validated.
inline constexpr double kMaxSweepPoints = 10000;
inline constexpr double kMaxSweepTrajectorySteps = 1e11;

struct SweepOptions {
  std::string scenario;
  std::vector<std::string> grid;  // "key=v1,v2"
  std::string list;               // list file ("" none)
  std::vector<std::string> trends;
  std::string out;  // "" : runs/<scenario name>-sweep
  int threads = 1;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> sets;  // applied to every point before its own overrides
  double memory_limit_bytes = -1.0;
  bool force = false, save_states = false;
  bool allow_large = false;  // run past kMaxSweepPoints / kMaxSweepTrajectorySteps
  /// --seeds independent: each point runs with point_seed(seed, label) instead of the one
  /// seed of the scenario (or --seed) that every point shares by default.
  bool independent_seeds = false;
  std::string command;
  /// Continue the interrupted sweep in OUT.partial/ (the plan must be the same).
  bool resume = false;
  /// Points run at once (at most `threads` and the number of points), each with threads / K
  /// threads. 0: as many as `threads`, each with one thread (measured faster on sweeps of
  /// small points, README.md "Sweeps"), fewer when the largest point would not fit that many
  /// times in the memory budget.
  int parallel_points = 0;
  double checkpoint_every = 60.0;  // seconds between a point's checkpoints; 0: every observation
  /// When it becomes true (a signal) the running points stop after their next observation,
  /// keeping their checkpoints and the finished points in OUT.partial/, and run_sweep returns 130.
  const std::atomic<bool>* stop = nullptr;
  /// The MPI ranks (core/process_group.hpp) or null. Under P > 1 ranks the points are shared:
  /// the ranks form min(P, points left) groups, each runs every groups-th point split across
  /// its ranks, and its leader writes that point's directory; rank 0 takes the lock, writes the
  /// plan and the tables and renames the sweep into place. Results as in one process.
  const ProcessGroup* group = nullptr;
};

/// The seed of a point under --seeds independent: the sweep's seed and the point's label (its
/// overrides, "key=v ..." when it has no label of its own) hashed together (FNV-1a of the
/// label, then the splitmix64 finaliser of seed + hash), in [0, 2^63 - 1], the range of a
/// scenario's seed. The same label gives the same seed in any sweep with that seed, whatever
/// the order or number of the other points.
std::uint64_t point_seed(std::uint64_t sweep_seed, const std::string& label);

/// What a sweep knows before it validates its first point: the points (list rows crossed
/// with the grid), their labels, the trends (from the list and o.trends) and the estimated
/// cost. Throws InputError on a malformed grid, list or trend, on too many points or too
/// high a cost (without o.allow_large), on two points with one label and on a trend naming
/// a label no point has. `list_text` is the list file's text (o.list names it);
/// `scenario_text` the scenario file's (for the cost; unparsable text leaves the file's
/// values out of the estimate, and the validation that follows reports it).
struct SweepPlan {
  std::vector<GridAxis> grid;
  SweepList list;  // rows and trends (the --trend ones appended)
  std::vector<SweepPoint> points;
  std::vector<std::string> labels;
  double trajectory_steps = 0.0;  // sum over points of trajectories x steps (where known)
};
SweepPlan plan_sweep(const SweepOptions& o, const std::string& list_text, const std::string& scenario_text);

/// Runs the sweep and writes its directory. Returns the exit code of docs/conventions.md:
/// 0, 1 when a check or a trend failed (the table says which), 3 when a point failed
/// numerically, 130 when stopped (OUT.partial/ kept for --resume). Bad input throws
/// InputError before anything runs; the output is locked (io/output_lock.hpp) and checked
/// before the first point runs. Progress goes to `progress`, the final table to `out`.
int run_sweep(const SweepOptions& o, std::ostream& out, std::ostream& progress);

}  // namespace sgdnoise
