#include "cli/batch_penalty_cmd.hpp"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "cli/cli_checks.hpp"
#include "analysis/batch_penalty.hpp"
#include "io/durable.hpp"
#include "io/run_dir.hpp"
#include "scenario/point_indicators.hpp"
#include "io/summary.hpp"

namespace sgdnoise {

CLI::App* add_batch_penalty_subcommand(CLI::App& app, BatchPenaltyCommand& c) {
  auto* s = app.add_subcommand("batch-penalty",
                               "Paper 5's simultaneous-update penalty on the current batch, another batch and the full "
                               "loss, against its exact expectation");
  s->add_option("scenario", c.file, "Scenario file (TOML) with a finite-sum loss and noise.kind = \"sgd\"")->required();
  s->add_option("--at", c.at, "start (dynamics.start), minimum (the loss's minimizer), or x1,x2,...")
      ->capture_default_str();
  s->add_option("--batch-sizes", c.sizes, "Batch sizes b (comma-separated; default: noise.batch)")->delimiter(',');
  s->add_option("--batches", c.batches, "Batches B per batch size")
      ->check(CLI::Range(2, 100000000))
      ->capture_default_str();
  s->add_option("--sigmas", c.sigmas, "Tolerance of each comparison in standard errors")
      ->check(finite_at_least(0.0, true))
      ->capture_default_str();
  s->add_option("--json", c.json, "Write JSON to FILE (atomically), or to stdout with -; default: a table");
  return s;
}

namespace {

nlohmann::json estimate_json(const PenaltyEstimate& p, double sigmas) {
  return {{"mean", finite_or_status(p.measured.value, "undefined")},
          {"se", finite_or_status(p.measured.se, "undefined")},
          {"n", p.measured.n},
          {"predicted", finite_or_status(p.predicted, "undefined")},
          {"allowance", p.allowance},
          {"z", finite_or_status(p.z, "undefined")},
          {"sigmas", sigmas},
          {"passed", p.passed}};
}

}  // namespace

int run_batch_penalty_command(const BatchPenaltyCommand& c, const Experiment& ex) {
  const std::string& file = ex.scenario.file();
  if (!ex.finite_sum)
    throw InputError(file, "loss.kind", "\"" + ex.loss->kind() + "\" is not a finite sum: there are no batches");
  const auto* sgd = dynamic_cast<const SgdSampling*>(ex.noise.get());
  if (!sgd) throw InputError(file, "noise.kind", "batch-penalty needs noise.kind = \"sgd\" (its sampling and batch)");
  if (sgd->has_schedule()) throw InputError(file, "noise.batch_schedule", "batch-penalty needs a constant batch size");
  if (sgd->scheme() == SgdSampling::Scheme::reshuffle)
    throw InputError(file, "noise.sampling",
                     "\"reshuffle\": the batches of an epoch are dependent; use with_replacement or "
                     "without_replacement");
  const std::vector<Index> sizes = c.sizes.empty() ? std::vector<Index>{sgd->batch_at(0)} : c.sizes;
  const Vec theta = indicator_point(ex, c.at);
  BatchPenaltyReport r;
  try {
    r = batch_penalty(ex.finite_sum, theta, ex.stepper->eta(), sgd->scheme(), sizes, c.batches, ex.spec.seed, c.sigmas);
  } catch (const std::invalid_argument& e) {
    throw InputError(file, c.sizes.empty() ? "noise.batch" : "--batch-sizes", e.what());
  }

  nlohmann::json j{
      {"scenario", ex.scenario.name()},
      {"scenario_file", file},
      {"loss", ex.loss->kind()},
      {"at", c.at},
      {"theta", std::vector<double>(r.theta.data(), r.theta.data() + r.theta.size())},
      {"eta", r.eta},
      {"sampling", r.sampling},
      {"n", r.n},
      {"d", r.d},
      {"batches", r.batches},
      {"seed", r.seed},
      {"definition",
       "P_X(B) = [L_X(theta - eta g_B) - L_X(theta)] - sum_i [L_X(theta - eta g_B,i e_i) - L_X(theta)], X = B "
       "(current), an independent batch B' (another), all samples (full)"},
      {"source",
       "1/2 eta^2 sum_{i != j} (H_X)_ij g_B,i g_B,j + O(eta^3), exact for quadratic sample losses "
       "(docs/theory.md 1.6, 6.2, [DERIVED+CHECKED]); expectations over uniform batches by exact moments of batch "
       "means ([DERIVED])"},
      {"all_passed", r.all_passed()}};
  j["rows"] = nlohmann::json::array();
  for (const auto& row : r.rows)
    j["rows"].push_back({{"batch", row.batch},
                         {"current", estimate_json(row.current, r.sigmas)},
                         {"another", estimate_json(row.another, r.sigmas)},
                         {"full", estimate_json(row.full, r.sigmas)},
                         {"current_minus_another", estimate_json(row.current_minus_another, r.sigmas)}});
  if (c.json == "-") {
    std::cout << j.dump(2) << "\n";
  } else {
    if (!c.json.empty()) {
      write_file_atomically(c.json, j.dump(2) + "\n");
      std::cout << "wrote " << c.json << "\n";
    }
    char line[256];
    std::cout << ex.scenario.name() << ": one SGD step (eta = " << r.eta << ", " << r.sampling << "), " << r.batches
              << " batches per size; mean penalty +- se against its expectation\n";
    std::snprintf(line, sizeof line, "%6s %-10s %14s %10s %14s %8s %s\n", "b", "loss", "measured", "se", "predicted",
                  "z", "verdict");
    std::cout << line;
    for (const auto& row : r.rows)
      for (const auto& [name, p] : {std::pair<const char*, const PenaltyEstimate*>{"current", &row.current},
                                    {"another", &row.another},
                                    {"full", &row.full},
                                    {"cur-anoth", &row.current_minus_another}}) {
        std::snprintf(line, sizeof line, "%6lld %-10s %14.6g %10.2g %14.6g %8.3g %s\n",
                      static_cast<long long>(row.batch), name, p->measured.value, p->measured.se, p->predicted, p->z,
                      p->passed ? "pass" : "FAIL");
        std::cout << line;
      }
  }
  return r.all_passed() ? 0 : 1;
}

}  // namespace sgdnoise
