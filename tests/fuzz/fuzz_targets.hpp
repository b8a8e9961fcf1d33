#pragma once
// The fuzz targets (issues 9 and 20): every input sgdnoise reads from a user, each behind
// one mode of the AFL++ harness `sgdnoise_fuzz MODE FILE` (tests/fuzz/fuzz_main.cpp, run by
// .ci/fuzz) and of the unit test that replays the seed corpus (tests/test_fuzz_corpus.cpp).
// A mode accepts exactly two outcomes: success, or an InputError (a clear refusal). Any other
// exception escapes fuzz_one (the harness aborts: a finding), and so does a crash or a hang.
//
// Modes and their inputs (seed corpus: tests/fuzz/corpus/MODE/):
//   scenario    a scenario file, optionally followed by a line "%%sets" and one --set
//               assignment per line; parsed, validated and built under a 64 MB limit.
//   sweep       a sweep list file (its own `trend` lines included), with extra lines
//               "grid KEY=V1,V2,...", "--trend SPEC" and "set KEY=VALUE" taken as --grid,
//               --trend and --set; planned (points, labels, trends, size and cost bounds),
//               the first three points built on a small quadratic, the trends evaluated on
//               made-up intervals.
//   matrix      a matrix or data CSV file (core/matrix_file.hpp), then, when it has 2 to 64
//               columns, used as a least-squares data_file and (when square) as a hessian_file.
//   checkpoint  checkpoint bytes (io/checkpoint.hpp); when they parse, the scenario inside is
//               parsed and built.
//   cli         command-line arguments, one per line, parsed by the CLI (cli_parse_only)
//               without running anything.
#include <string>
#include <vector>

namespace sgdnoise::fuzz {

const std::vector<std::string>& modes();

/// Runs one input file through a mode. Returns normally on success or an InputError;
/// throws std::invalid_argument on an unknown mode.
void fuzz_one(const std::string& mode, const std::string& path);

}  // namespace sgdnoise::fuzz
