#pragma once
// A run into its run directory (`sgdnoise run` and the Python module's run(out=...)): the
// output's lock, the checkpoints while it runs (DIR.partial/), resume from the last one,
// and the directory written atomically at the end (io/run_dir.hpp). What it prints goes to
// the caller's streams; what it decides (interrupted, written, failed) comes back in the
// outcome, so the CLI and the Python module map it to their own exit codes and exceptions.
#include <atomic>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/process_group.hpp"
#include "scenario/experiment.hpp"
#include "scenario/runner.hpp"

namespace sgdnoise {

struct RunJobOptions {
  std::string out_dir;  // the run directory (required)
  bool resume = false;  // continue the checkpoint in out_dir (no fresh experiment given)
  bool force = false;   // replace an existing run directory, discard a checkpoint
  bool save_states = false;
  double checkpoint_every = 60.0;  // seconds between checkpoints; 0: at every observation
  int threads = 1;                 // for a resumed run (a fresh experiment has its own)
  double memory_limit_bytes = -1.0;
  std::string command;  // recorded in summary.json
  ProgressFn progress;
  /// Raised by a signal handler or the caller: the run stops after its next observation and
  /// leaves a checkpoint.
  const std::atomic<bool>* stop = nullptr;
  std::ostream* log = nullptr;  // warnings and notes (null: std::cerr)
  /// The processes that share the run (MPI; core/process_group.hpp), or null. Every process
  /// computes; rank 0 alone takes the lock, writes the checkpoints and the run directory. An
  /// error on any process (its input, the output checks) ends every process with that error.
  /// A checkpoint to resume from must be readable by every process (a shared file system).
  const ProcessGroup* group = nullptr;
};

struct RunJobOutcome {
  Experiment experiment;
  RunResult result;
  nlohmann::json summary;    // empty on the processes other than rank 0
  bool interrupted = false;  // stopped on request; a checkpoint was kept when `resumable`
  bool resumable = false;    // DIR.partial/ holds a checkpoint to resume from
  std::filesystem::path dir;
};

/// Runs `fresh` (or, with options.resume, the checkpointed scenario of options.out_dir) into
/// options.out_dir. Bad input and outputs that cannot be written throw (InputError, IoError)
/// before the computation where they can be found then.
RunJobOutcome run_into_directory(std::optional<Experiment> fresh, const RunJobOptions& options);

}  // namespace sgdnoise
