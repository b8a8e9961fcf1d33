// The test runner's main: the same passive OpenMP waiting as the sgdnoise command
// (core/openmp_env.hpp), so that ctest -j with multi-threaded tests does not spin.
#include <gtest/gtest.h>

#include "core/openmp_env.hpp"

int main(int argc, char** argv) {
  sgdnoise::tune_process_environment(argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
