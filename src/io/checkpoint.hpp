#pragma once
// Checkpoints of a run: the resolved scenario (so `--resume` needs nothing else), the
// full ensemble state at an observation step, the divergence marks and the series
// recorded so far, the observers' states, all doubles stored as raw bits so that a resumed run ends bitwise
// identical to an uninterrupted one. The random streams need no state: every draw is a
// function of (seed, trajectory, purpose, step, draw) (docs/conventions.md).
//
// Format 3: the magic "SGDNCKP3", the fields, then the CRC-32 of every byte before it. A
// file whose checksum does not match, or of an older format, is refused (InputError naming
// the file). Writing a checkpoint keeps the one it replaces as checkpoint.prev.bin, and a
// resume falls back to that one when checkpoint.bin is missing or corrupt.
#include <filesystem>
#include <ostream>
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
  bool save_states = false;  // the run was started with --save-states
};

/// Serialises to bytes / parses bytes; parse errors throw InputError naming the file.
std::string checkpoint_bytes(const Checkpoint& c);
Checkpoint parse_checkpoint(const std::string& bytes, const std::string& where);

/// Where a run directory's checkpoint lives: DIR.partial/checkpoint.bin.
std::filesystem::path partial_dir(const std::filesystem::path& run_dir);
std::filesystem::path checkpoint_path(const std::filesystem::path& run_dir);
/// DIR.partial/checkpoint.prev.bin: the checkpoint before the last one.
std::filesystem::path previous_checkpoint_path(const std::filesystem::path& run_dir);
/// Whether DIR.partial holds a checkpoint (the last or the previous one).
bool has_checkpoint(const std::filesystem::path& run_dir);

/// Writes the checkpoint of `run_dir` durably (io/durable.hpp), keeping the one it replaces
/// as checkpoint.prev.bin. I/O failures are IoErrors, and leave the earlier files intact.
void save_checkpoint(const std::filesystem::path& run_dir, const Checkpoint& c);
/// Reads the checkpoint of `run_dir`. When checkpoint.bin is missing or corrupt and
/// checkpoint.prev.bin is good, resumes from that one: `notes` says so, and the corrupt
/// file is removed (so that the next checkpoint does not replace the good one with it).
/// Neither good: InputError naming the file(s) and the reason.
Checkpoint load_checkpoint(const std::filesystem::path& run_dir, std::ostream& notes);
/// Removes DIR.partial/ and what sgdnoise writes there (checkpoints, the incomplete
/// summary, temporaries). Anything else is left, with the directory: returns false then.
bool discard_checkpoints(const std::filesystem::path& run_dir);

}  // namespace sgdnoise
