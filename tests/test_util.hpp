#pragma once
// Helpers shared by the test files.
#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <sys/wait.h>
#include <unistd.h>
#include <string>

#include "core/types.hpp"

namespace sgdnoise::test {

inline std::string source_path(const std::string& rel) { return std::string(SGDNOISE_SOURCE_DIR) + "/" + rel; }

/// A fresh empty directory under the system temporary directory.
inline std::filesystem::path fresh_dir(const std::string& tag) {
  static int counter = 0;
  auto p = std::filesystem::temp_directory_path() /
           ("sgdnoise-test-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

struct CliResult {
  int code = -1;
  std::string output;  // stdout and stderr together
};

/// Runs the sgdnoise executable with the given arguments (shell-quoted by the caller).
inline CliResult run_cli(const std::string& args) {
  CliResult r;
  const std::string cmd = std::string(SGDNOISE_CLI) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// A random symmetric positive semidefinite matrix of rank r (fixed seed).
inline Mat random_psd(Index d, Index r, unsigned seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> n;
  Mat B(d, r);
  for (Index j = 0; j < r; ++j)
    for (Index i = 0; i < d; ++i) B(i, j) = n(g);
  return B * B.transpose() / static_cast<double>(r);
}

}  // namespace sgdnoise::test
