#pragma once
// `sgdnoise indicators SCENARIO`: the noise indicators, alignment, extreme eigenpairs of H
// and C and the SLQ Hessian density at one point (scenario/point_indicators.hpp).
#include <CLI/CLI.hpp>
#include <string>

#include "scenario/point_indicators.hpp"

namespace sgdnoise {

struct IndicatorsCommand {
  std::string file;
  std::string json;  // "" : table on stdout; "-": JSON on stdout; else JSON written atomically there
  PointOptions point;
};

/// Registers the subcommand's own options (the caller adds --seed, --set, ...).
CLI::App* add_indicators_subcommand(CLI::App& app, IndicatorsCommand& c);

/// Prints or writes the report; returns the exit code (0). Bad input throws InputError.
int run_indicators_command(const IndicatorsCommand& c, const Experiment& ex);

}  // namespace sgdnoise
