#include <iostream>
#include <memory>

#include "cli/cli.hpp"
#include "cli/mpi_group.hpp"
#include "core/errors.hpp"
#include "core/openmp_env.hpp"

int main(int argc, char** argv) {
  sgdnoise::tune_process_environment(argv);  // may re-execute this program (core/openmp_env.hpp)
  std::unique_ptr<sgdnoise::ProcessGroup> group;
  try {
    group = sgdnoise::start_process_group(&argc, &argv);  // null unless launched by mpirun
  } catch (const sgdnoise::InputError& e) {
    std::cerr << "sgdnoise: error: " << e.what() << "\n";
    return 2;
  }
  return sgdnoise::cli_main(argc, argv, group.get());
}
