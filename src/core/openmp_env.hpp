#pragma once
// How sgdnoise's OpenMP threads wait between parallel regions. libgomp's default lets an idle
// thread spin for a while before it sleeps; when the cores are shared (another job, ctest -j,
// a second sgdnoise), spinning threads take the cores from the threads that have work, and
// a run with many short parallel regions per step ran 3x to 180x slower with 2 threads than
// with 1 (docs/development.md, threads). Passive waiting costs a futex wake per region instead.
#include <string>

namespace sgdnoise {

/// libgomp reads OMP_WAIT_POLICY once, when it is loaded, before main() runs, so it cannot be
/// changed from inside the process. Call first in main(): when OMP_WAIT_POLICY is unset, sets
/// it to "passive" and re-executes the program with the same arguments; returns at once when
/// the variable is set (by the user, or by that re-execution) and when the re-execution fails.
void use_passive_openmp_wait(char** argv);

/// The cores this process may run on (its CPU affinity), at least 1.
int available_cores();

/// A warning (empty when none) when `threads` exceeds the cores this process may use or the
/// cores left idle by the machine's recent load (1-minute load average).
std::string thread_count_warning(int threads);

}  // namespace sgdnoise
