#include "app/sweep_state.hpp"

#include <cstdio>

#include "app/sweep.hpp"
#include "core/errors.hpp"
#include "core/version.hpp"
#include "io/checkpoint.hpp"
#include "io/output_lock.hpp"
#include "io/run_dir.hpp"

namespace sgdnoise {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

std::uint64_t fnv1a64(const std::string& bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

fs::path sweep_state_dir(const fs::path& out_dir) { return partial_dir(out_dir); }
fs::path sweep_plan_path(const fs::path& out_dir) { return sweep_state_dir(out_dir) / "sweep-plan.json"; }

ordered_json sweep_plan_json(const SweepOptions& o, const SweepPlan& plan, const std::string& scenario_text,
                             std::uint64_t sweep_seed) {
  char hash[32];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(fnv1a64(scenario_text)));
  ordered_json j;
  j["sweep_state"] = 1;
  j["sgdnoise"] = {{"version", kVersion}, {"git_hash", kGitHash}};
  j["scenario"] = {{"file", o.scenario}, {"fnv1a64", hash}, {"bytes", scenario_text.size()}};
  j["sets"] = o.sets;
  j["seeds"] = {{"rule", o.independent_seeds ? "independent" : "shared"}, {"seed", sweep_seed}};
  j["save_states"] = o.save_states;
  ordered_json pts = ordered_json::array();
  for (std::size_t i = 0; i < plan.points.size(); ++i)
    pts.push_back({{"label", plan.points[i].label},
                   {"overrides", plan.points[i].sets},
                   {"dir", point_dir_name(i, plan.points[i])}});
  j["points"] = std::move(pts);
  ordered_json trends = ordered_json::array();
  for (const auto& t : plan.list.trends) trends.push_back(t.text);
  j["trends"] = std::move(trends);
  j["command"] = o.command;
  return j;
}

namespace {

std::string point_text(const json& p) {
  std::string s = "\"";
  s += p.value("label", std::string());
  s += "\" (";
  const json overrides = p.value("overrides", json::array());
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    if (i > 0) s += ' ';
    s += overrides[i].get<std::string>();
  }
  s += ')';
  return s;
}

}  // namespace

void check_same_plan(const json& recorded, const ordered_json& given_ordered, const fs::path& plan_file) {
  const json given = json::parse(given_ordered.dump());
  const std::string where = "sgdnoise sweep --resume";
  const std::string tail = "; the interrupted sweep in " + plan_file.parent_path().string() +
                           " was planned otherwise: give its plan again, or --force (without --resume) to "
                           "discard its points and start again";
  auto refuse = [&](const std::string& key, const std::string& what) { throw InputError(where, key, what + tail); };
  if (recorded.value("sweep_state", 0) != given["sweep_state"].get<int>())
    refuse("", plan_file.string() + " is not a sweep plan this sgdnoise can read");
  if (recorded.value("sgdnoise", json()) != given["sgdnoise"])
    refuse("", "the points so far were run by sgdnoise " + recorded.value("sgdnoise", json()).dump() + ", this is " +
                   given["sgdnoise"].dump() + " (results are bitwise reproducible only by the same build)");
  const json &rs = recorded.value("scenario", json()), &gs = given["scenario"];
  if (rs.value("fnv1a64", "") != gs["fnv1a64"] || rs.value("bytes", 0) != gs["bytes"])
    refuse("scenario", "the scenario changed: " + gs["file"].get<std::string>() +
                           " is not the text the sweep began with (" + rs.value("file", std::string("?")) +
                           ", FNV-1a " + rs.value("fnv1a64", std::string("?")) + ", " +
                           std::to_string(rs.value("bytes", 0)) + " bytes; now " + gs["fnv1a64"].get<std::string>() +
                           ", " + std::to_string(gs["bytes"].get<std::size_t>()) + " bytes)");
  if (recorded.value("sets", json()) != given["sets"])
    refuse("--set", "different --set overrides: the sweep began with " + recorded.value("sets", json()).dump() +
                        ", now " + given["sets"].dump());
  const json &rd = recorded.value("seeds", json()), &gd = given["seeds"];
  if (rd != gd)
    refuse("--seeds", "a different seed rule: the sweep began with --seeds " + rd.value("rule", std::string("?")) +
                          " and seed " + rd.value("seed", json()).dump() + ", now --seeds " +
                          gd["rule"].get<std::string>() + " and seed " + gd["seed"].dump());
  if (recorded.value("save_states", false) != given["save_states"].get<bool>())
    refuse("--save-states", std::string("the sweep began ") + (given["save_states"].get<bool>() ? "without" : "with") +
                                " --save-states");
  const json &rp = recorded.value("points", json::array()), &gp = given["points"];
  for (std::size_t i = 0; i < std::max(rp.size(), gp.size()); ++i) {
    if (i < rp.size() && i < gp.size() && rp[i] == gp[i]) continue;
    refuse("points", "different points: " + std::to_string(rp.size()) + " planned, " + std::to_string(gp.size()) +
                         " now; point " + std::to_string(i) + " was " +
                         (i < rp.size() ? point_text(rp[i]) : "not planned") + ", now " +
                         (i < gp.size() ? point_text(gp[i]) : "none"));
  }
  if (recorded.value("trends", json()) != given["trends"])
    refuse("--trend", "different trends: the sweep began with " + recorded.value("trends", json()).dump() + ", now " +
                          given["trends"].dump());
}

bool discard_sweep_state(const fs::path& out_dir) {
  const fs::path state = sweep_state_dir(out_dir);
  std::error_code ec;
  if (!fs::exists(state, ec)) return true;
  discard_checkpoints(out_dir);  // a single run's checkpoint of the same output
  if (!fs::is_directory(state, ec)) return false;
  for (const char* name : {"sweep-plan.json", "sweep.json", "sweep.csv", "points"}) fs::remove_all(state / name, ec);
  fs::remove(state, ec);  // only when empty
  return !fs::exists(state, ec);
}

void tidy_points_dir(const fs::path& points_dir, const std::vector<std::string>& finished) {
  std::error_code ec;
  for (const auto& name : finished) {
    const fs::path run = points_dir / name;
    fs::remove(lock_path(run), ec);  // the lock of a point killed after it was written
    discard_checkpoints(run);
    remove_stale_temporaries(run);
  }
}

}  // namespace sgdnoise
