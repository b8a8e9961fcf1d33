#pragma once
// How sgdnoise's OpenMP threads wait between parallel regions. libgomp's default lets an idle
// thread spin for a while before it sleeps; when the cores are shared (another job, ctest -j,
// a second sgdnoise), spinning threads take the cores from the threads that have work, and
// a run with many short parallel regions per step ran 3x to 180x slower with 2 threads than
// with 1 (docs/development.md, threads). Passive waiting costs a futex wake per region instead.
#include <string>

namespace sgdnoise {

/// libgomp reads OMP_WAIT_POLICY once, when it is loaded, before main() runs, so it cannot be
/// changed from inside the process. Call first in main(): when neither OMP_WAIT_POLICY nor
/// libgomp's own GOMP_SPINCOUNT is set, sets OMP_WAIT_POLICY to "passive" and re-executes the
/// program with the same arguments; returns at once when either is set (by the user, or by
/// that re-execution) and when the re-execution fails. A user who sets GOMP_SPINCOUNT (say
/// 10000: a short spin before sleeping) chooses libgomp's spin-then-sleep waiting instead.
void use_passive_openmp_wait(char** argv);

/// Work (about one floating-point update each: rows x columns x steps) below which a parallel
/// region costs more than it saves. Waking a passive thread costs a futex round trip, tens of
/// microseconds, and on a loaded core a thread may wait a whole scheduler slice (milliseconds)
/// for its turn, while the region waits for its slowest thread; 2^16 updates take about 0.1 ms.
inline constexpr double kMinParallelWork = 65536.0;

/// The threads for a parallel region of `work` updates: 1 below kMinParallelWork, else
/// `threads`. Results never depend on it (docs/conventions.md, determinism).
inline int threads_for(double work, int threads) { return work < kMinParallelWork ? 1 : threads; }

/// The cores this process may run on (its CPU affinity), at least 1.
int available_cores();

/// A warning (empty when none) when `threads` exceeds the cores this process may use or the
/// cores left idle by the machine's recent load (1-minute load average).
std::string thread_count_warning(int threads);

}  // namespace sgdnoise
