#pragma once
// Checkpoints of a run: the resolved scenario (so `--resume` needs nothing else), the
// full ensemble state at an observation step, the divergence marks and the series
// recorded so far, the observers' states, all doubles stored as raw bits so that a resumed run ends bitwise
// identical to an uninterrupted one. The random streams need no state: every draw is a
// function of (seed, trajectory, purpose, step, draw) (docs/conventions.md).
#include <filesystem>
#include <string>
#include <vector>

#include "dynamics/ensemble.hpp"

namespace sgdnoise {

struct Checkpoint {
  std::string scenario_file;  // the original file name (relative paths resolve against it)
  std::string scenario_toml;  // the resolved scenario, every default explicit
  RunRecord record;           // series so far, divergence marks
  Mat state;                  // theta and optimizer columns at record.series.back().k
  /// Observer::saved_state() of each observer of the experiment, in order (first passages
  /// so far, for the escape observer), restored before the resumed run's first step.
  std::vector<std::string> observer_states;
};

/// Serialises to bytes / parses bytes; parse errors throw InputError naming the file.
std::string checkpoint_bytes(const Checkpoint& c);
Checkpoint parse_checkpoint(const std::string& bytes, const std::string& where);

/// Where a run directory's checkpoint lives: DIR.partial/checkpoint.bin.
std::filesystem::path partial_dir(const std::filesystem::path& run_dir);
std::filesystem::path checkpoint_path(const std::filesystem::path& run_dir);

}  // namespace sgdnoise
