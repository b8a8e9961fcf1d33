// The ensemble driver split across a group of processes (core/process_group.hpp; MPI under
// mpirun, tests/mpi/run_mpi_tests.sh): here the "processes" are threads of this test sharing
// memory through a small ProcessGroup of their own, so the split path of run_ensemble runs in
// every build, the sanitizer build included (which has no MPI). Each rank builds its own
// experiment, steps its slice and gathers; every rank must end with the record of one process,
// bit for bit, for 1 to 4 ranks, with and without trajectories leaving the batch. Also the
// slices and the error broadcast of on_every_process.
#include <gtest/gtest.h>

#include <barrier>
#include <memory>
#include <stdexcept>
#include <thread>

#include "core/errors.hpp"
#include "core/process_group.hpp"
#include "scenario/runner.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {

// Ranks as threads: each collective writes this rank's slot, waits for all, reads, and waits
// again before the slots can be written anew.
struct Shared {
  explicit Shared(int n) : size(n), bar(n), doubles(n), strings(n), flags(n) {}
  int size;
  std::barrier<> bar;
  std::vector<std::vector<double>> doubles;
  std::vector<std::string> strings;
  std::vector<char> flags;
};

class ThreadRank final : public ProcessGroup {
 public:
  ThreadRank(Shared& s, int rank) : s_(s), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return s_.size; }
  std::vector<double> all_gather(const std::vector<double>& mine) const override {
    s_.doubles[static_cast<std::size_t>(rank_)] = mine;
    s_.bar.arrive_and_wait();
    std::vector<double> all;
    for (const auto& d : s_.doubles) all.insert(all.end(), d.begin(), d.end());
    s_.bar.arrive_and_wait();
    return all;
  }
  std::vector<std::string> all_gather_strings(const std::string& mine) const override {
    s_.strings[static_cast<std::size_t>(rank_)] = mine;
    s_.bar.arrive_and_wait();
    std::vector<std::string> all = s_.strings;
    s_.bar.arrive_and_wait();
    return all;
  }
  bool any(bool flag) const override {
    s_.flags[static_cast<std::size_t>(rank_)] = flag ? 1 : 0;
    s_.bar.arrive_and_wait();
    bool out = false;
    for (const char f : s_.flags) out = out || f != 0;
    s_.bar.arrive_and_wait();
    return out;
  }
  std::unique_ptr<ProcessGroup> split(int) const override {
    throw std::logic_error("ThreadRank: split is not needed by these tests");
  }

 private:
  Shared& s_;
  int rank_;
};

// Runs `work(group)` on n threads, one per rank; returns each rank's result.
template <typename T, typename F>
std::vector<T> on_ranks(int n, F work) {
  Shared shared(n);
  std::vector<T> out(static_cast<std::size_t>(n));
  std::vector<std::string> errors(static_cast<std::size_t>(n));
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r)
    threads.emplace_back([&, r] {
      const ThreadRank g(shared, r);
      try {
        out[static_cast<std::size_t>(r)] = work(g);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(r)] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (int r = 0; r < n; ++r) EXPECT_EQ(errors[static_cast<std::size_t>(r)], "") << "rank " << r;
  return out;
}

// Everything a run records that reaches its outputs: the series (every observation's value,
// standard error and count), the final states, divergences and the stopped count.
void expect_same_record(const RunRecord& a, const RunRecord& b, int rank) {
  ASSERT_EQ(a.series.size(), b.series.size()) << "rank " << rank;
  for (std::size_t i = 0; i < a.series.size(); ++i) {
    const auto& ra = a.series[i];
    const auto& rb = b.series[i];
    ASSERT_EQ(ra.k, rb.k);
    ASSERT_EQ(ra.n_alive, rb.n_alive);
    ASSERT_EQ(ra.values.size(), rb.values.size());
    for (std::size_t j = 0; j < ra.values.size(); ++j) {
      EXPECT_EQ(ra.values[j].name, rb.values[j].name);
      // Bitwise: the same doubles, not merely close ones.
      EXPECT_EQ(ra.values[j].est.value, rb.values[j].est.value)
          << ra.values[j].name << " k " << ra.k << " rank " << rank;
      EXPECT_EQ(ra.values[j].est.se, rb.values[j].est.se) << ra.values[j].name << " k " << ra.k << " rank " << rank;
      EXPECT_EQ(ra.values[j].est.n, rb.values[j].est.n);
    }
  }
  EXPECT_TRUE(a.final_state.cwiseEqual(b.final_state).all()) << "rank " << rank;
  EXPECT_EQ(a.diverged_at, b.diverged_at);
  EXPECT_EQ(a.n_stopped, b.n_stopped);
  EXPECT_EQ(a.trajectory_steps, b.trajectory_steps);
}

void expect_split_equals_one_process(const std::string& scenario, const std::vector<std::string>& sets) {
  const Scenario sc = Scenario::load(test::source_path(scenario), sets);
  const RunResult one = run_experiment(build_experiment(sc, 1));
  for (int n = 1; n <= 4; ++n) {
    const auto records = on_ranks<RunRecord>(n, [&](const ProcessGroup& g) {
      Experiment ex = build_experiment(sc, 1);
      ex.spec.group = &g;
      ex.spec.block = 7;  // blocks that do not divide the slices
      return run_experiment(ex).record;
    });
    for (int r = 0; r < n; ++r) expect_same_record(one.record, records[static_cast<std::size_t>(r)], r);
  }
}

}  // namespace

TEST(ProcessGroup, SlicesCoverTheItemsInOrder) {
  for (const Index n : {0, 1, 5, 100, 101})
    for (int size = 1; size <= 7; ++size) {
      Index next = 0;
      for (int r = 0; r < size; ++r) {
        const auto [b, e] = slice_of(n, r, size);
        EXPECT_EQ(b, next);
        EXPECT_GE(e, b);
        EXPECT_LE(e - b, n / size + 1);
        next = e;
      }
      EXPECT_EQ(next, n);
    }
  EXPECT_THROW((void)slice_of(10, 3, 3), std::invalid_argument);
}

TEST(ProcessGroup, SplitRunEqualsOneProcessBitwise) {
  expect_split_equals_one_process("scenarios/quadratic_isotropic.toml", {"dynamics.trajectories=53"});
}

TEST(ProcessGroup, SplitEscapeRunWithCompactionEqualsOneProcessBitwise) {
  // Escaped trajectories leave the batch (stop_escaped): the ranks split the live ones.
  expect_split_equals_one_process("scenarios/double_well_escape.toml",
                                  {"dynamics.trajectories=61", "dynamics.steps=600"});
}

TEST(ProcessGroup, AnErrorOnOneRankReachesEveryRank) {
  const auto messages = on_ranks<std::string>(3, [](const ProcessGroup& g) -> std::string {
    try {
      on_every_process(&g, [&] {
        if (g.rank() == 1) throw InputError("data.csv", "loss.data", "cannot open the file");
        if (g.rank() == 2) throw std::runtime_error("a later rank's own failure");
      });
    } catch (const InputError& e) {  // rank 1's error, as an InputError, on every rank
      return e.where() + "|" + e.key() + "|" + e.reason();
    }
    return "no error";
  });
  for (const auto& m : messages) EXPECT_EQ(m, "data.csv|loss.data|cannot open the file");
}
