#pragma once
// The `sgdnoise` command. It parses arguments, loads scenarios, calls the
// library and prints; it holds no numerics (ARCHITECTURE.md).
// Exit codes (docs/conventions.md): 0 success, 1 a check failed, 2 bad input or
// usage (nothing written), 3 a run failed numerically.
#include <string>
#include <vector>

namespace sgdnoise {
class ProcessGroup;
/// `group`: the MPI ranks when launched by mpirun (cli/mpi_group.hpp), else null. Under a group
/// of more than one rank, `run` splits its trajectories across the ranks and `sweep` its points
/// (docs/scaling.md); rank 0 alone prints.
int cli_main(int argc, char** argv, const ProcessGroup* group = nullptr);
/// Parses the arguments (argv without the program name) as cli_main would, and runs
/// nothing: -1 when they name a command to run, else cli_main's exit code for them (help:
/// 0, a usage error: 2). For the fuzz harness (tests/fuzz).
int cli_parse_only(const std::vector<std::string>& args);
}  // namespace sgdnoise
