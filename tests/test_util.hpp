#pragma once
// Helpers shared by the test files.
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/types.hpp"
#include "losses/loss.hpp"

namespace sgdnoise::test {

/// A small valid scenario: a 2-d quadratic with isotropic noise, 64 trajectories, 10 steps.
inline constexpr const char* kSmallQuadratic = R"(name = "t"
seed = 3
[loss]
kind = "quadratic"
dim = 2
eigenvalues = [1.0, 0.5]
[noise]
kind = "isotropic"
variance = 1.0
[dynamics]
kind = "discrete"
eta = 0.1
steps = 10
trajectories = 64
)";

const char* source_dir();  // tests/test_paths.cpp
const char* cli_path();    // tests/test_paths.cpp

inline std::string source_path(const std::string& rel) { return std::string(source_dir()) + "/" + rel; }

/// A fresh empty directory under the system temporary directory.
inline std::filesystem::path fresh_dir(const std::string& tag) {
  static int counter = 0;
  auto p = std::filesystem::temp_directory_path() /
           ("sgdnoise-test-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

/// Writes text to dir/name and returns the path.
inline std::filesystem::path write_text(const std::filesystem::path& dir, const std::string& name,
                                        const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}

/// The whole file at p, byte for byte (empty if it cannot be read).
inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CliResult {
  int code = -1;
  std::string output;  // stdout and stderr together
};

/// Runs the sgdnoise executable with the given arguments (shell-quoted by the caller).
inline CliResult run_cli(const std::string& args) {
  CliResult r;
  const std::string cmd = std::string(cli_path()) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// Starts the sgdnoise executable in the background, in `cwd` when one is given, its output
/// appended to `log` (a path relative to cwd); returns its pid.
inline pid_t start_cli(const std::string& args, const std::string& cwd = "", const std::string& log = "/dev/null") {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string cmd = (cwd.empty() ? "" : "cd " + cwd + " && ") + "exec " + std::string(cli_path()) + " " + args +
                            " >>" + log + " 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

/// Waits for `pid`: its exit code, or 128 + the signal that ended it.
inline int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Waits until `p` exists, or `seconds` pass; whether it exists.
inline bool wait_exists(const std::filesystem::path& p, double seconds = 60.0) {
  const auto t0 = std::chrono::steady_clock::now();
  while (!std::filesystem::exists(p)) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

/// Least-squares slope of log(err) against log(h): the fitted order of a convergence study.
inline double loglog_slope(const std::vector<double>& h, const std::vector<double>& err) {
  const auto n = static_cast<double>(h.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < h.size(); ++i) {
    mx += std::log(h[i]) / n;
    my += std::log(err[i]) / n;
  }
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < h.size(); ++i) {
    sxy += (std::log(h[i]) - mx) * (std::log(err[i]) - my);
    sxx += (std::log(h[i]) - mx) * (std::log(h[i]) - mx);
  }
  return sxy / sxx;
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

/// Tolerances of expect_derivatives_match.
struct DerivativeTolerances {
  double h = 1e-5;          // central-difference step
  double value = 1e-7;      // gradient and Hessian entries against the differences
  double symmetry = 1e-15;  // max |H - H^T|
  double hvp = 1e-13;       // max |Hv - H v|
};

/// The gradient and the Hessian of `loss` at theta against central differences of the value
/// and of the gradient; H symmetric; the Hessian-vector product equal to H v.
inline void expect_derivatives_match(const Loss& loss, const Vec& theta, const DerivativeTolerances& t = {}) {
  const Index d = loss.dim();
  const Vec g = loss.gradient_at(theta);
  const Mat H = loss.hessian(theta);
  for (Index i = 0; i < d; ++i) {
    Vec e = Vec::Zero(d);
    e[i] = t.h;
    EXPECT_NEAR(g[i], (loss.value_at(theta + e) - loss.value_at(theta - e)) / (2 * t.h), t.value) << "gradient " << i;
    const Vec col = (loss.gradient_at(theta + e) - loss.gradient_at(theta - e)) / (2 * t.h);
    for (Index j = 0; j < d; ++j) EXPECT_NEAR(H(j, i), col[j], t.value) << "Hessian " << j << "," << i;
  }
  EXPECT_LT((H - H.transpose()).cwiseAbs().maxCoeff(), t.symmetry);
  const Vec v = Vec::LinSpaced(d, -1.0, 2.0);
  EXPECT_LT((loss.hessian_vector(theta, v) - H * v).cwiseAbs().maxCoeff(), t.hvp);
}

}  // namespace sgdnoise::test
