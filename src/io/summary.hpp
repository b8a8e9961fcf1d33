#pragma once
// summary.json and series.csv of a run: serialization only; every number in them was computed
// when the run ended (RunResult, scenario/report.hpp). Non-finite numbers are never written:
// a value that cannot be computed is written as {"status": ..., "reason": ...}
// in JSON and as an empty field in CSV (docs/conventions.md, numbers in outputs).
#include <nlohmann/json.hpp>
#include <string>

#include "scenario/runner.hpp"

namespace sgdnoise {

struct RunMeta {
  int threads = 1;
  std::string command;  // the command line that made the run
  int processes = 1;    // MPI ranks that shared it (docs/scaling.md)
};

nlohmann::json summary_json(const Experiment& ex, const RunResult& r, const RunMeta& meta);
/// The series: k, tau, then mean, se, n and the exact prediction of every recorded value.
std::string series_csv(const RunResult& r);
/// A finite number, or a status object saying why there is none.
nlohmann::json finite_or_status(double v, const std::string& status_if_not);
/// Final states as a NumPy .npy (format 1.0, little-endian float64, C order N x d).
std::string npy_bytes(const Mat& X);

}  // namespace sgdnoise
