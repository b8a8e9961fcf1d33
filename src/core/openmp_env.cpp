#include "core/openmp_env.hpp"

#include <sched.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace sgdnoise {

void tune_process_environment(char** argv) {
  if (argv == nullptr || argv[0] == nullptr) return;
  bool changed = false;
  if (std::getenv("OMP_WAIT_POLICY") == nullptr && std::getenv("GOMP_SPINCOUNT") == nullptr)
    changed |= ::setenv("OMP_WAIT_POLICY", "passive", 1) == 0;
  if (std::getenv("GLIBC_TUNABLES") == nullptr) changed |= ::setenv("GLIBC_TUNABLES", kMallocTunables, 1) == 0;
  if (!changed) return;
  ::execv("/proc/self/exe", argv);
  // Still here: /proc is not mounted or exec is not allowed. Run on with the defaults.
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::string thread_count_warning(int threads) {
  const int cores = available_cores();
  std::ostringstream w;
  if (threads > cores) {
    w << "warning: --threads " << threads << " exceeds the " << cores
      << " core(s) this process may use; the results are the same, the run only slower";
    return w.str();
  }
  double load = 0.0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = 0.0;
    std::fclose(f);
  }
  const int idle = std::max(1, cores - static_cast<int>(std::lround(load)));
  if (threads > idle)
    w << "warning: --threads " << threads << " exceeds the ~" << idle << " idle core(s) (load average " << load
      << " on " << cores << "); the results are the same, but fewer threads may run faster";
  return w.str();
}

}  // namespace sgdnoise
