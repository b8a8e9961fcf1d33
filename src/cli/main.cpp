#include "cli/cli.hpp"
#include "core/openmp_env.hpp"

int main(int argc, char** argv) {
  sgdnoise::use_passive_openmp_wait(argv);  // may re-execute this program (core/openmp_env.hpp)
  return sgdnoise::cli_main(argc, argv);
}
