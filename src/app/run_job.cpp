#include "app/run_job.hpp"

#include <chrono>
#include <iostream>
#include <sstream>

#include <toml++/toml.h>

#include "core/errors.hpp"
#include "io/checkpoint.hpp"
#include "io/durable.hpp"
#include "io/npz.hpp"
#include "io/output_lock.hpp"
#include "io/run_dir.hpp"
#include "io/summary.hpp"

namespace sgdnoise {

RunJobOutcome run_into_directory(std::optional<Experiment> fresh, const RunJobOptions& o) {
  namespace fs = std::filesystem;
  std::ostream& log = o.log ? *o.log : std::cerr;
  const std::string& out_dir = o.out_dir;
  const ProcessGroup* group = o.group && o.group->size() > 1 ? o.group : nullptr;
  const bool writes = !group || group->rank() == 0;  // the one process that touches the output
  // The output is checked before the computation: its lock (another sgdnoise on the same
  // output: InputError; a path that cannot be written: IoError), then DIR.partial/.
  std::optional<OutputLock> lock;
  const fs::path partial = partial_dir(out_dir);
  on_every_process(group, [&] {
    if (!writes) return;
    lock.emplace(out_dir, log);
    if (const int n = remove_stale_temporaries(out_dir); n > 0)
      log << "sgdnoise: removed " << n << " temporary file(s) left by an earlier, killed run of " << out_dir << "\n";
    if (o.resume) {
      if (!has_checkpoint(out_dir))
        throw InputError(checkpoint_path(out_dir).string(), "", "no checkpoint to resume from");
    } else if (has_checkpoint(out_dir)) {
      if (!o.force)
        throw InputError(partial.string(), "",
                         "holds the checkpoint of an interrupted run of this output: continue it with `sgdnoise run "
                         "--resume " +
                             out_dir + "` (Python: resume=True), or give --force to discard it and start again");
      if (!discard_checkpoints(out_dir))
        throw InputError(partial.string(), "", "holds files sgdnoise did not write; --force left them: move them away");
    }
  });
  std::optional<Checkpoint> ck;
  std::optional<Experiment> built;
  on_every_process(group, [&] {
    if (!o.resume) return;
    ck = load_checkpoint(out_dir, log);
    built.emplace(
        build_experiment(Scenario::parse(ck->scenario_toml, ck->scenario_file), o.threads, o.memory_limit_bytes));
  });
  RunJobOutcome out{ck ? std::move(*built) : std::move(fresh.value()), {}, {}, false, false, fs::path(out_dir)};
  out.experiment.spec.group = group;
  const Experiment& ex = out.experiment;
  std::optional<RunDirWriter> writer;
  on_every_process(group, [&] {
    if (!writes) return;
    writer.emplace(out_dir, o.force);  // refuses an existing directory before any work
    writer->prepare();
    create_dirs(partial);
  });
  // On the way out DIR.partial goes unless it holds a checkpoint to resume from.
  struct PartialCleanup {
    std::string run;
    ~PartialCleanup() {
      if (!run.empty() && !has_checkpoint(run)) discard_checkpoints(run);
    }
  } cleanup{writes ? out_dir : std::string()};

  std::ostringstream toml_text;
  toml_text << toml::toml_formatter{ex.scenario.table()};
  const std::string scenario_file = ex.scenario.file();
  const bool save_states = o.save_states || (ck && ck->save_states);
  auto write_checkpoint = [&](const RunRecord& rec, const Mat& X) {
    save_checkpoint(out_dir, {scenario_file, toml_text.str(), rec, X, observer_states(ex), save_states});
  };
  RunHooks hooks;
  if (writes) hooks.progress = o.progress;
  auto last = std::chrono::steady_clock::now();
  bool failing = false;  // the last checkpoint could not be written
  hooks.checkpoint = [&](const RunRecord& rec, const Mat& X) {
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - last).count() < o.checkpoint_every) return;
    last = now;
    try {
      write_checkpoint(rec, X);
    } catch (const IoError& e) {
      // The computation is still good: it goes on, and the last good checkpoint stays. One
      // warning per run of failures.
      if (!failing)
        log << "sgdnoise: warning: checkpoint not written: " << e.what()
            << (has_checkpoint(out_dir) ? "; the last good one is kept" : "")
            << "; the run goes on (and says when a checkpoint is written again)\n";
      failing = true;
      return;
    }
    if (failing) log << "sgdnoise: checkpoint written again at step " << rec.series.back().k << "\n";
    failing = false;
  };
  if (!writes) hooks.checkpoint = nullptr;  // rank 0 writes them
  hooks.stop = o.stop;

  RunRecord resume;
  Mat state;
  if (ck) {
    restore_observer_states(ex, ck->observer_states, ck->record.series.back().k, ck->state,
                            checkpoint_path(out_dir).string());
    resume = std::move(ck->record);
    state = std::move(ck->state);
  }
  out.result = run_experiment(ex, hooks, std::move(resume), std::move(state));
  const RunResult& r = out.result;
  if (!writes) {  // the same results as rank 0's; rank 0 reports and writes them
    out.interrupted = r.record.status == RunStatus::interrupted;
    return out;
  }
  out.summary = summary_json(ex, r, {ex.spec.threads, o.command, group ? group->size() : 1});
  const std::string summary = out.summary.dump(2) + "\n";
  if (r.record.status == RunStatus::interrupted) {
    out.interrupted = true;
    // A checkpoint that cannot be written leaves the last good one.
    try {
      write_checkpoint(r.record, r.record.state);
      log << "sgdnoise: " << r.record.failure << "; checkpoint in " << partial.string()
          << "; continue with: sgdnoise run --resume " << out_dir << "\n";
    } catch (const IoError& e) {
      log << "sgdnoise: " << r.record.failure << ", but the checkpoint could not be written: " << e.what() << "\n";
      if (has_checkpoint(out_dir))
        log << "sgdnoise: the last good checkpoint is kept in " << partial.string()
            << "; continue with: sgdnoise run --resume " << out_dir << "\n";
      else
        log << "sgdnoise: no checkpoint was written: the run must start again\n";
    }
    out.resumable = has_checkpoint(out_dir);
    if (out.resumable) {
      try {
        write_file_atomically(partial / "summary.json", summary);
      } catch (const IoError& e) {
        log << "sgdnoise: warning: the incomplete summary was not written: " << e.what() << "\n";
      }
    }
    return out;
  }
  try {
    writer->write("summary.json", summary);
    writer->write("series.csv", series_csv(r));
    if (save_states) writer->write("final_states.npy", npy_bytes(r.record.final_state));
    for (const auto& [name, bytes] : observer_npz_files(ex.observer_ptrs())) writer->write(name, bytes);
    writer->commit();
  } catch (const IoError&) {
    if (has_checkpoint(out_dir))
      log << "sgdnoise: the last checkpoint is kept in " << partial.string()
          << "; once the output can be written: sgdnoise run --resume " << out_dir << "\n";
    throw;
  }
  if (!discard_checkpoints(out_dir))
    log << "sgdnoise: note: " << partial.string() << " holds files sgdnoise did not write; it was left\n";
  out.dir = writer->dir();
  return out;
}

}  // namespace sgdnoise
