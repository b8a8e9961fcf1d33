#pragma once
// Helpers of the tests that build an escape scenario from TOML text and read its escape observer.
#include <stdexcept>
#include <string>
#include <vector>

#include <atomic>
#include <functional>

#include "analysis/escape_observer.hpp"
#include "io/checkpoint.hpp"
#include "scenario/runner.hpp"

namespace sgdnoise::test {

inline Experiment build_text(const std::string& text, const std::vector<std::string>& sets, int threads = 1,
                             const std::string& file = "escape.toml") {
  return build_experiment(Scenario::parse(text, file, sets), threads);
}

inline const EscapeObserver& escape_observer(const Experiment& ex) {
  for (const auto& o : ex.observers)
    if (const auto* e = dynamic_cast<const EscapeObserver*>(o.get())) return *e;
  throw std::logic_error("no escape observer");
}

/// A run interrupted at the first checkpoint where stop(record) holds, and its continuation from
/// the checkpoint's bytes (observer states restored) in another experiment built alike.
struct InterruptedRun {
  RunResult interrupted;
  Checkpoint back;
  RunResult resumed;
};

inline InterruptedRun interrupt_and_resume(const Experiment& part, const Experiment& resumed,
                                           const std::function<bool(const RunRecord&)>& stop) {
  InterruptedRun out;
  std::atomic<bool> flag{false};
  RunHooks hooks;
  hooks.checkpoint = [&](const RunRecord& r, const Mat&) {
    if (stop(r)) flag = true;
  };
  hooks.stop = &flag;
  out.interrupted = run_experiment(part, hooks);
  if (out.interrupted.record.status != RunStatus::interrupted) return out;
  const RunRecord& rec = out.interrupted.record;
  out.back = parse_checkpoint(checkpoint_bytes({"escape.toml", "", rec, rec.state, observer_states(part)}), "ck");
  restore_observer_states(resumed, out.back.observer_states, out.back.record.series.back().k, out.back.state, "ck");
  out.resumed = run_experiment(resumed, RunHooks{}, out.back.record, out.back.state);
  return out;
}

}  // namespace sgdnoise::test
