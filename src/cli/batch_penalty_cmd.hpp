#pragma once
// `sgdnoise batch-penalty SCENARIO`: paper 5's simultaneous-update penalty of one SGD step,
// measured on the current batch, on an independent batch and on the full loss, against the
// exact expectations (analysis/batch_penalty.hpp). The scenario gives the finite-sum loss,
// the point (dynamics.start, or --at), eta and the SGD sampling (noise.kind = "sgd"); the
// numerics live in the analysis, this only wires the scenario to it and writes the report.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "scenario/experiment.hpp"

namespace sgdnoise {

struct BatchPenaltyCommand {
  std::string file;
  std::string json;          // "" : table on stdout; "-": JSON on stdout; else JSON written atomically there
  std::string at = "start";  // start, minimum, or x1,...,xd
  std::vector<Index> sizes;  // empty: the scenario's noise.batch
  Index batches = 4000;
  double sigmas = 5.0;
};

/// Registers the subcommand's own options (the caller adds --seed, --set, ...).
CLI::App* add_batch_penalty_subcommand(CLI::App& app, BatchPenaltyCommand& c);

/// Prints or writes the report; returns 0 when every comparison passes, 1 otherwise. Bad
/// input (no sgd noise, a loss without per-sample losses and Hessians, a bad batch size)
/// throws InputError naming the key.
int run_batch_penalty_command(const BatchPenaltyCommand& c, const Experiment& ex);

}  // namespace sgdnoise
