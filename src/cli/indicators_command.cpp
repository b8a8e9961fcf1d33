#include "cli/indicators_command.hpp"

#include <iostream>

#include "cli/cli_checks.hpp"
#include "io/point_report.hpp"
#include "io/durable.hpp"

namespace sgdnoise {

CLI::App* add_indicators_subcommand(CLI::App& app, IndicatorsCommand& c) {
  auto* s = app.add_subcommand(
      "indicators", "Noise indicators, alignment, eigenpairs of H and C and the SLQ Hessian density at one point");
  s->add_option("scenario", c.file, "Scenario file (TOML)")->required();
  s->add_option("--at", c.point.at, "start (dynamics.start), minimum (the loss's minimizer), or x1,x2,...")
      ->capture_default_str();
  s->add_option("--top-k", c.point.top_k, "Eigenpairs of H and C at each end")
      ->transform(count_at_least(1))
      ->capture_default_str();
  s->add_option("--slq-probes", c.point.slq_probes, "SLQ: Rademacher probes")
      ->transform(count_at_least(1))
      ->capture_default_str();
  s->add_option("--slq-steps", c.point.slq_steps, "SLQ: Lanczos steps per probe (capped at d)")
      ->transform(count_at_least(1))
      ->capture_default_str();
  s->add_option("--json", c.json, "Write JSON to FILE (atomically), or to stdout with -; default: a table");
  return s;
}

int run_indicators_command(const IndicatorsCommand& c, const Experiment& ex) {
  const PointReport r = point_indicators(ex, c.point);
  if (c.json == "-") {
    std::cout << point_report_json(r).dump(2) << "\n";
    return 0;
  }
  if (!c.json.empty()) {
    write_file_atomically(c.json, point_report_json(r).dump(2) + "\n");
    std::cout << "wrote " << c.json << "\n";
  }
  std::cout << point_report_text(r);
  return 0;
}

}  // namespace sgdnoise
