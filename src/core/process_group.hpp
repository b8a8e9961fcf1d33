#pragma once
// A group of cooperating processes (MPI ranks under `mpirun`; docs/scaling.md). The ensemble
// driver splits the stepping of the trajectories across the group and gathers the stepped rows
// before each observation, so every process holds the whole ensemble in trajectory order and
// runs the observers on it; since the draws depend only on (seed, step, trajectory) and every
// reduction runs on the whole ensemble in index order, the results are bitwise those of one
// process for any number of processes and threads. The interface knows nothing of MPI: the
// implementation over MPI_COMM_WORLD lives with the command line (src/cli/mpi_group.cpp), and a
// build without MPI never makes a group.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/types.hpp"

namespace sgdnoise {

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Every process's `mine`, concatenated in rank order, on every process (the lengths may differ).
  virtual std::vector<double> all_gather(const std::vector<double>& mine) const = 0;
  /// Every process's string, indexed by rank, on every process.
  virtual std::vector<std::string> all_gather_strings(const std::string& mine) const = 0;
  /// True on every process when `flag` is true on any.
  virtual bool any(bool flag) const = 0;
  /// Collective: the processes with the same `color` form a new group, ranked as in this one.
  virtual std::unique_ptr<ProcessGroup> split(int color) const = 0;
};

/// The slice [begin, end) of n items that process `rank` of `size` owns: contiguous, in rank
/// order, sizes differing by at most one.
std::pair<Index, Index> slice_of(Index n, int rank, int size);

/// Runs `work` on every process of the group (or alone when the group is null). When it throws
/// on any process, every process throws the error of the lowest failing rank, as that rank saw
/// it: an InputError or IoError stays one (exit codes 2 and 4), anything else becomes a
/// std::runtime_error naming the rank. So an error that only one rank can see (a data file
/// missing on its node) ends every rank with one message instead of leaving the others waiting.
void on_every_process(const ProcessGroup* group, const std::function<void()>& work);

}  // namespace sgdnoise
