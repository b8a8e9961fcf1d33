#pragma once
// How sgdnoise's OpenMP threads wait between parallel regions. libgomp's default lets an idle
// thread spin for a while before it sleeps; when the cores are shared (another job, ctest -j,
// a second sgdnoise), spinning threads take the cores from the threads that have work, and
// a run with many short parallel regions per step ran 3x to 180x slower with 2 threads than
// with 1 (docs/development.md, threads). Passive waiting costs a futex wake per region instead.
// Also the process's allocator settings (huge pages for large blocks), which like the wait
// policy are read before main().
#include <string>

namespace sgdnoise {

/// glibc's allocator settings for sgdnoise: memory it maps for large blocks (an ensemble, its
/// working tiles, per-trajectory records) is marked for transparent huge pages, so touching
/// it first costs one fault per 2 MiB instead of one per 4 KiB. On the 2-core machine a 4 KiB
/// fault took 12 us: the ~4 MB a 100,000-trajectory escape run allocates took 13-24 ms of its
/// 0.15 s on two threads, and 1 ms with huge pages (2026-12-08, docs/development.md).
inline constexpr const char* kMallocTunables = "glibc.malloc.hugetlb=1";

/// libgomp reads OMP_WAIT_POLICY, and glibc GLIBC_TUNABLES, once, before main() runs, so
/// neither can be changed from inside the process. Call first in main(): sets
/// OMP_WAIT_POLICY to "passive" when neither it nor libgomp's own GOMP_SPINCOUNT is set, and
/// GLIBC_TUNABLES to kMallocTunables when it is unset, then re-executes the program with the
/// same arguments; returns at once when nothing needed setting (the user's settings, or that
/// re-execution's) and when the re-execution fails. A user who sets GOMP_SPINCOUNT (say
/// 10000: a short spin before sleeping) chooses libgomp's spin-then-sleep waiting instead;
/// one who sets GLIBC_TUNABLES (even empty) keeps glibc's defaults.
void tune_process_environment(char** argv);

/// Work (about one floating-point update each: rows x columns x steps) below which a parallel
/// region costs more than it saves. Waking a passive thread costs a futex round trip, tens of
/// microseconds, and on a loaded core a thread may wait a whole scheduler slice (milliseconds)
/// for its turn, while the region waits for its slowest thread; 2^16 updates take about 0.1 ms.
inline constexpr double kMinParallelWork = 65536.0;

/// The threads for a parallel region of `work` updates: 1 below kMinParallelWork, else
/// `threads`. Results never depend on it (docs/conventions.md, determinism).
inline int threads_for(double work, int threads) { return work < kMinParallelWork ? 1 : threads; }

/// Keeps a driver's threads from hurting on a loaded machine. After each parallel region the
/// driver reports its wall time and the CPU time its threads spent (CLOCK_THREAD_CPUTIME_ID):
/// their ratio is the team's speedup over one thread that has a core to itself. When the
/// regions of a window of kWindow ran together no faster than such a thread would have (the
/// other cores busy: a descheduled thread holds the last block of work while the others
/// wait), the next regions run on one thread, 16 of them, then twice as many after each
/// further window that did not pay (at most 1024), and the team is tried again. Which threads
/// run never changes results (docs/conventions.md).
class ThreadGovernor {
 public:
  /// The threads for the next region, given what the work allows (threads_for).
  int team(int wanted);
  /// After a region run with `team` threads: its wall time and its threads' CPU time, seconds.
  void record(int team, double wall_s, double cpu_s);
  /// Regions run on one thread because the team did not pay (for the tests and reports).
  long solo_regions() const { return solo_total_; }
  static constexpr int kWindow = 8;

 private:
  int regions_ = 0;  // team regions in the current window
  double wall_ = 0.0, cpu_ = 0.0;
  long solo_left_ = 0;  // regions still to run on one thread
  long solo_period_ = 16;
  long solo_total_ = 0;
};

/// CPU time of the calling thread, seconds.
double thread_cpu_seconds();

/// The cores this process may run on (its CPU affinity), at least 1.
int available_cores();

/// A warning (empty when none) when `threads` exceeds the cores this process may use or the
/// cores left idle by the machine's recent load (1-minute load average).
std::string thread_count_warning(int threads);

}  // namespace sgdnoise
