#pragma once
// The resumable state of a sweep: OUT.partial/ holds the plan (sweep-plan.json) and, under
// points/, each finished point's run directory and the checkpoint of an interrupted one
// (points/NNN-label.partial/, written by app/run_job.hpp). `sgdnoise sweep ... --resume`
// compares the plan it is given with the one recorded and refuses a different one, naming
// what differs, so that a resumed sweep ends identical to an uninterrupted one.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sgdnoise {

struct SweepOptions;
struct SweepPlan;

/// FNV-1a, 64 bits.
std::uint64_t fnv1a64(const std::string& bytes);

/// OUT.partial/ (the partial directory of io/checkpoint.hpp) and its plan file.
std::filesystem::path sweep_state_dir(const std::filesystem::path& out_dir);
std::filesystem::path sweep_plan_path(const std::filesystem::path& out_dir);

/// What decides a sweep's results: the scenario text (its hash and size), the sweep's
/// --set, the seed rule and the sweep's seed, --save-states, every point's label, overrides
/// and directory, the trends; the sgdnoise version and git hash; and, recorded but not
/// compared, the command that began the sweep (written into every summary and sweep.json).
nlohmann::ordered_json sweep_plan_json(const SweepOptions& o, const SweepPlan& plan, const std::string& scenario_text,
                                       std::uint64_t sweep_seed);

/// Throws InputError naming the first thing that differs between the recorded plan and the
/// one given (the scenario changed, different --set, a different seed rule or seed, different
/// points, different trends, --save-states, another sgdnoise build).
void check_same_plan(const nlohmann::json& recorded, const nlohmann::ordered_json& given,
                     const std::filesystem::path& plan_file);

/// Removes the resumable state of `out_dir` (the plan, points/, the tables) when it holds
/// nothing else; returns false, leaving it, otherwise.
bool discard_sweep_state(const std::filesystem::path& out_dir);

/// Under the sweep's lock: removes from `points_dir` what killed point runs left beside the
/// finished points' directories `finished` (a point's stale lock file, checkpoint or
/// temporaries).
void tidy_points_dir(const std::filesystem::path& points_dir, const std::vector<std::string>& finished);

}  // namespace sgdnoise
