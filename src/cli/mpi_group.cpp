#include "cli/mpi_group.hpp"

#include <cstdlib>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.hpp"

#ifdef SGDNOISE_WITH_MPI
#include <mpi.h>
#endif

namespace sgdnoise {

namespace {
int launcher_size() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"})
    if (const char* s = std::getenv(v)) return std::atoi(s);
  return 0;
}
}  // namespace

bool launched_by_mpi() {
  return launcher_size() > 0 || std::getenv("OMPI_COMM_WORLD_RANK") || std::getenv("PMIX_RANK");
}

#ifdef SGDNOISE_WITH_MPI

namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

// Counts and displacements of an all-gather of `mine` values per rank.
std::vector<int> gather_counts(MPI_Comm comm, int mine, int size, std::vector<int>& displs) {
  std::vector<int> counts(static_cast<std::size_t>(size));
  check(MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm), "MPI_Allgather");
  displs.assign(static_cast<std::size_t>(size), 0);
  for (std::size_t r = 1; r < counts.size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
  return counts;
}

// A communicator behind ProcessGroup: the world (which initialises and finalises MPI) or a
// part of it made by split (which frees its communicator).
class MpiGroup : public ProcessGroup {
 public:
  explicit MpiGroup(MPI_Comm comm) : comm_(comm) {
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  ~MpiGroup() override {
    if (comm_ != MPI_COMM_WORLD) MPI_Comm_free(&comm_);
  }
  MpiGroup(const MpiGroup&) = delete;
  MpiGroup& operator=(const MpiGroup&) = delete;

  std::unique_ptr<ProcessGroup> split(int color) const override {
    MPI_Comm part = MPI_COMM_NULL;
    check(MPI_Comm_split(comm_, color, rank_, &part), "MPI_Comm_split");
    return std::make_unique<MpiGroup>(part);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  std::vector<double> all_gather(const std::vector<double>& mine) const override {
    if (mine.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      throw std::runtime_error("MPI: a rank's share exceeds 2^31 values: use more ranks");
    std::vector<int> displs;
    const std::vector<int> counts = gather_counts(comm_, static_cast<int>(mine.size()), size_, displs);
    const long long total = std::accumulate(counts.begin(), counts.end(), 0LL);
    if (total > std::numeric_limits<int>::max())
      throw std::runtime_error("MPI: the gathered ensemble exceeds 2^31 values (docs/scaling.md)");
    std::vector<double> all(static_cast<std::size_t>(total));
    check(MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, all.data(), counts.data(),
                         displs.data(), MPI_DOUBLE, comm_),
          "MPI_Allgatherv");
    return all;
  }

  std::vector<std::string> all_gather_strings(const std::string& mine) const override {
    std::vector<int> displs;
    const std::vector<int> counts = gather_counts(comm_, static_cast<int>(mine.size()), size_, displs);
    std::string all(static_cast<std::size_t>(displs.back() + counts.back()), '\0');
    check(MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_CHAR, all.data(), counts.data(), displs.data(),
                         MPI_CHAR, comm_),
          "MPI_Allgatherv");
    std::vector<std::string> out;
    for (int r = 0; r < size_; ++r)
      out.push_back(all.substr(static_cast<std::size_t>(displs[static_cast<std::size_t>(r)]),
                               static_cast<std::size_t>(counts[static_cast<std::size_t>(r)])));
    return out;
  }

  bool any(bool flag) const override {
    int in = flag ? 1 : 0, out = 0;
    check(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, comm_), "MPI_Allreduce");
    return out != 0;
  }

 private:
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
};

// MPI_COMM_WORLD, from MPI_Init_thread (funneled: only the main thread communicates) to
// MPI_Finalize.
struct MpiInit {
  MpiInit(int* argc, char*** argv) {
    int provided = 0;
    check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  }
  ~MpiInit() { MPI_Finalize(); }
  MpiInit(const MpiInit&) = delete;
  MpiInit& operator=(const MpiInit&) = delete;
};

class MpiWorld final : private MpiInit, public MpiGroup {
 public:
  MpiWorld(int* argc, char*** argv) : MpiInit(argc, argv), MpiGroup(MPI_COMM_WORLD) {}
};

}  // namespace

std::unique_ptr<ProcessGroup> start_process_group(int* argc, char*** argv) {
  if (!launched_by_mpi()) return nullptr;
  return std::make_unique<MpiWorld>(argc, argv);
}

#else

std::unique_ptr<ProcessGroup> start_process_group(int*, char***) {
  if (launcher_size() > 1)
    throw InputError("mpirun", "",
                     "this sgdnoise was built without MPI, so its " + std::to_string(launcher_size()) +
                         " ranks would each compute and write the whole run: rebuild with Debian's libopenmpi-dev "
                         "installed (docs/scaling.md), or run it without mpirun");
  return nullptr;
}

#endif

}  // namespace sgdnoise
