#include "dynamics/ensemble.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "core/openmp_env.hpp"
#include "core/rng.hpp"

namespace sgdnoise {

const Observation* SeriesRow::find(const std::string& name) const {
  for (const auto& o : values)
    if (o.name == name) return &o;
  return nullptr;
}

const SeriesRow* RunRecord::at_step(std::int64_t k) const {
  for (const auto& r : series)
    if (r.k == k) return &r;
  return nullptr;
}

std::vector<std::int64_t> observation_steps(std::int64_t steps, std::int64_t every) {
  std::vector<std::int64_t> ks;
  for (std::int64_t k = 0; k < steps; k += std::max<std::int64_t>(every, 1)) ks.push_back(k);
  ks.push_back(steps);
  return ks;
}

std::int64_t next_observation_step(std::int64_t k, std::int64_t steps, std::int64_t every) {
  const std::int64_t e = std::max<std::int64_t>(every, 1);
  return steps - k <= e ? steps : k + e;  // no k + e beyond steps: steps may be the largest int64
}

bool is_observation_step(std::int64_t k, std::int64_t steps, std::int64_t every) {
  return k == steps || (k >= 0 && k < steps && k % std::max<std::int64_t>(every, 1) == 0);
}

namespace {

// Whether any byte is non-zero, a word at a time (the screen flags of a large ensemble).
bool any_flagged(const std::vector<char>& v) {
  std::uint64_t acc = 0;
  std::size_t i = 0;
  for (; i + 8 <= v.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, v.data() + i, 8);
    acc |= w;
  }
  for (; i < v.size(); ++i) acc |= static_cast<unsigned char>(v[i]);
  return acc != 0;
}

// The running trajectories of one process, in tiles: tile t holds up to B rows (B a multiple
// of kLineRows), column-major with leading dimension B, contiguous and 128-byte aligned, with
// the ids of its rows; its live rows are its first live(t), in ascending id order, and the
// tiles follow one another in that order too. A thread steps a tile at a time, so what it
// touches is one dense block: in a column-major N x d matrix a block's columns lie N rows
// apart, and with N a multiple of 512 they all fall into a few cache sets (W1 d = 100: N =
// 4096, a 32 KiB stride), while neighbouring blocks stepped by two threads shared a cache line
// at every boundary. The thread that steps a tile also drops its stopped rows first, in
// place: no serial pass over the live rows between observations. With tiles a second thread
// gives W1 d = 100 1.6x-1.8x, W2 1.9x and W3 2.0x, against 1.2x-1.4x, 1.5x-1.65x and 1.6x
// before (2026-12-08; README, thread scaling).
constexpr Index kLineRows = 16;  // 128 bytes: a cache line and the adjacent line the L2 prefetcher pairs with it
constexpr std::size_t kLineBytes = kLineRows * sizeof(double);

Index round_up(Index n, Index m) { return (n + m - 1) / m * m; }

class Tiles {
 public:
  /// The rows of X, trajectories 0 .. N - 1, in tiles of B rows.
  void assign(const Mat& X, Index B) {
    allocate(X.rows(), X.cols(), B);
    for (Index t = 0; t < T_; ++t) {
      const Index r0 = t * B_;
      live_[static_cast<std::size_t>(t)] = std::min(B_, X.rows() - r0);
      block(t) = X.middleRows(r0, live(t));
      for (Index i = 0; i < live(t); ++i) ids_[static_cast<std::size_t>(r0 + i)] = static_cast<std::uint64_t>(r0 + i);
    }
  }
  Index count() const { return T_; }
  Index tile_rows() const { return B_; }
  Index live(Index t) const { return live_[static_cast<std::size_t>(t)]; }
  /// The ids of tile t's live rows.
  const std::uint64_t* ids(Index t) const { return ids_.data() + t * B_; }
  /// Tile t's live rows, every column.
  BlockRef block(Index t) {
    return Eigen::Map<Mat, 0, Eigen::OuterStride<>>(data_.get() + t * tile_size_, live(t), cols_,
                                                    Eigen::OuterStride<>(B_));
  }
  /// Drops tile t's rows whose trajectory is stopped, in place, keeping their order. Touches
  /// tile t alone: threads may compact different tiles at once.
  void compact(Index t, const std::vector<char>& stop) {
    std::uint64_t* id = ids_.data() + t * B_;
    double* x = data_.get() + t * tile_size_;
    Index w = 0;
    for (Index i = 0; i < live(t); ++i) {
      if (stop[id[i]]) continue;
      if (w != i) {
        id[w] = id[i];
        for (Index c = 0; c < cols_; ++c) x[c * B_ + w] = x[c * B_ + i];
      }
      ++w;
    }
    live_[static_cast<std::size_t>(t)] = w;
  }
  /// The live ids, tile after tile (ascending).
  void running(std::vector<std::uint64_t>& out) const {
    out.clear();
    for (Index t = 0; t < T_; ++t) out.insert(out.end(), ids(t), ids(t) + live(t));
  }
  /// The live rows, packed anew into tiles of B rows (fewer tiles, or smaller ones).
  void repack(Index B) {
    Tiles fresh;
    Index total = 0;
    for (Index t = 0; t < T_; ++t) total += live(t);
    fresh.allocate(total, cols_, B);
    Index r = 0;  // rows copied
    for (Index t = 0; t < T_; ++t)
      for (Index i = 0; i < live(t); ++i, ++r) {
        const Index ft = r / fresh.B_, fi = r % fresh.B_;
        for (Index c = 0; c < cols_; ++c)
          fresh.data_.get()[ft * fresh.tile_size_ + c * fresh.B_ + fi] = data_.get()[t * tile_size_ + c * B_ + i];
        fresh.ids_[static_cast<std::size_t>(ft * fresh.B_ + fi)] = ids(t)[i];
        ++fresh.live_[static_cast<std::size_t>(ft)];
      }
    *this = std::move(fresh);
  }

 private:
  void allocate(Index rows, Index cols, Index B) {
    cols_ = cols, B_ = B;
    T_ = (rows + B_ - 1) / B_;
    tile_size_ = B_ * std::max<Index>(cols_, 1);
    // A multiple of 128 bytes, as aligned_alloc requires: B is a multiple of kLineRows.
    const auto bytes = static_cast<std::size_t>(std::max<Index>(T_, 1) * tile_size_) * sizeof(double);
    data_.reset(static_cast<double*>(std::aligned_alloc(kLineBytes, bytes)));
    if (!data_) throw std::bad_alloc();
    ids_.assign(static_cast<std::size_t>(T_ * B_), 0);
    live_.assign(static_cast<std::size_t>(T_), 0);
  }
  struct Free {
    void operator()(double* p) const { std::free(p); }
  };
  std::unique_ptr<double, Free> data_;
  std::vector<std::uint64_t> ids_;
  std::vector<Index> live_;
  Index B_ = kLineRows, T_ = 0, cols_ = 0, tile_size_ = 0;
};

}  // namespace

RunRecord run_ensemble(const Stepper& stepper, Mat X, const EnsembleSpec& spec, const std::vector<Observer*>& observers,
                       const RunHooks& hooks, RunRecord resume) {
  RunRecord rec = std::move(resume);
  const bool resuming = !rec.series.empty();
  const Index N = X.rows();
  // Blocks of whole cache lines (Tiles); the block size never changes results.
  const Index block = round_up(std::max<Index>(spec.block, 1), kLineRows);
  const double eta = stepper.eta();
  const Index d = X.cols() - stepper.extra_columns();  // theta; optimizer state follows
  const bool distributed = spec.group && spec.group->size() > 1;
  StepHook* const hook = hooks.after_step;
  if (hook && distributed)
    throw std::invalid_argument("run_ensemble: a step hook sees the rows of one process, not of a group of several");
  if (!resuming) {
    rec.diverged_at.assign(static_cast<std::size_t>(N), -1);
    rec.n_diverged = 0;
  } else if (static_cast<Index>(rec.diverged_at.size()) != N) {
    throw std::invalid_argument("resume: the checkpoint's ensemble size does not match");
  }

  // Stopped trajectories leave the batch for good. On one process the running ones are stepped
  // in tiles (Tiles): each tile takes the steps of an observation interval, having first
  // dropped its rows stopped at the last observation, then, in the same parallel loop, its rows
  // are tested for divergence and written back to X, so X is whole for the observers; the work
  // follows the live trajectories, not N. In a group of processes `running` lists them
  // (ascending) and step_slice below steps X.
  std::vector<char> stop(static_cast<std::size_t>(N), 0);
  std::vector<std::uint64_t> running;  // a group: the running ids; one process: gathered for the observers
  Tiles tiles;
  // Tiles of the block, in whole cache lines; with several threads small enough to give every
  // thread four when there are rows enough (the block size never changes results). One thread
  // keeps the block: a block of every trajectory stays one (a Python loss's single call).
  auto tile_rows_for = [&](Index rows) {
    if (spec.threads <= 1) return block;
    const Index per = (rows + 4 * spec.threads - 1) / (4 * static_cast<Index>(spec.threads));
    return std::max(kLineRows, std::min(block, round_up(std::max<Index>(per, 1), kLineRows)));
  };
  if (distributed) {
    running.resize(static_cast<std::size_t>(N));
    std::iota(running.begin(), running.end(), std::uint64_t{0});
  } else {
    tiles.assign(X, tile_rows_for(N));
  }
  bool identity = true;  // the ids of tile t are t B, t B + 1, ...: no row was ever dropped
  bool pending = false;  // trajectories stopped since the tiles last dropped theirs
  rec.n_stopped = 0;
  if (!resuming) rec.trajectory_steps = 0.0;  // a resumed record carries the count so far
  // Asks the observers which running trajectories stop (Observer::stopped). In a group the
  // stopped ids leave `running` at once; on one process the tiles drop their rows before
  // their next steps, in the parallel loop.
  auto collect_stops = [&]() {
    if (!distributed) tiles.running(running);
    Index newly = 0;
    for (const Observer* o : observers) newly += o->stopped(running, stop);
    if (newly == 0) return;
    rec.n_stopped += newly;
    if (distributed) {
      std::size_t kept = 0;
      for (const std::uint64_t id : running)
        if (!stop[id]) running[kept++] = id;
      running.resize(kept);
    } else {
      pending = true;
      identity = false;
    }
  };

  // Observers see the trajectories still alive, in original order.
  Mat alive;
  TrajectoryIds alive_ids;
  auto alive_view = [&]() -> ConstBlockRef {
    if (rec.n_diverged == 0) {
      alive_ids.clear();
      return X;
    }
    alive.resize(N - rec.n_diverged, X.cols());
    alive_ids.clear();
    for (Index i = 0; i < N; ++i)
      if (rec.diverged_at[static_cast<std::size_t>(i)] < 0) {
        alive.row(static_cast<Index>(alive_ids.size())) = X.row(i);
        alive_ids.push_back(i);
      }
    return alive;
  };
  // A trajectory diverges when a coordinate is non-finite or beyond the stated bound, or when
  // a value an observer averages is non-finite or beyond kValueBound (Observer::screen); it is
  // marked at the first observation step that sees it, counted, and excluded from then on
  // (docs/conventions.md, divergence). Only running rows need the coordinate test: a stopped one
  // keeps the state an earlier observation tested. |v| <= lim is false exactly when v is
  // non-finite or beyond the bound (one comparison).
  const double lim = spec.divergence_bound < std::numeric_limits<double>::max() ? spec.divergence_bound
                                                                                : std::numeric_limits<double>::max();
  auto runaway = [lim](double v) { return !(std::abs(v) <= lim); };
  auto diverged_now = [&](std::size_t id, std::int64_t k) {
    auto& at = rec.diverged_at[id];
    if (at < 0) {
      at = k;
      ++rec.n_diverged;
    }
  };
  // The coordinate test on X, for step 0 and for a group's gathered rows (on one process the
  // block loop tests the rows it has stepped: finish_block).
  auto test_running_rows_of_X = [&](std::int64_t k) {
    constexpr Index kGroup = 16;  // a runaway row is rare: test 16 rows at a time
    for (Index c = 0; c < d; ++c) {
      const double* x = X.col(c).data();
      if (rec.n_stopped == 0) {
        for (Index i0 = 0; i0 < N; i0 += kGroup) {
          const Index i1 = std::min(N, i0 + kGroup);
          bool any = false;
          for (Index i = i0; i < i1; ++i) any |= runaway(x[i]);
          if (any)
            for (Index i = i0; i < i1; ++i)
              if (runaway(x[i])) diverged_now(static_cast<std::size_t>(i), k);
        }
      } else {
        for (const std::uint64_t id : running)
          if (runaway(x[id])) diverged_now(id, k);
      }
    }
  };
  // In the block loop, after a block's steps: writes its rows (every column) back to X, row i
  // to trajectory ids[i] (to row r0 + i when nothing is stopped), and tests their coordinates in
  // the same pass; true when one is runaway (the caller marks it, serially: it is rare).
  auto finish_block = [&](ConstBlockRef Wb, Index r0, const std::uint64_t* ids, bool contiguous) {
    bool any = false;
    for (Index c = 0; c < Wb.cols(); ++c) {
      const double* x = Wb.col(c).data();
      double* y = X.col(c).data();
      const Index rows = Wb.rows();
      if (contiguous)
        std::copy_n(x, rows, y + r0);
      else
        for (Index i = 0; i < rows; ++i) y[ids[i]] = x[i];
      if (c < d)
        for (Index i = 0; i < rows; ++i) any |= runaway(x[i]);
    }
    return any;
  };
  std::vector<char> bad;
  // The observers' screen of the alive trajectories at k; false (status diverged) when none is
  // left.
  auto screen = [&](std::int64_t k) {
    if (rec.n_diverged < N) {
      const ConstBlockRef view = alive_view();
      // All zero between calls: a flagged entry is cleared once read.
      if (static_cast<Index>(bad.size()) != view.rows()) bad.assign(static_cast<std::size_t>(view.rows()), 0);
      for (Observer* o : observers)
        o->screen(k, o->whole_state() ? view : view.leftCols(d), alive_ids, spec.threads, bad);
      if (any_flagged(bad))
        for (Index r = 0; r < view.rows(); ++r)
          if (bad[static_cast<std::size_t>(r)]) {
            bad[static_cast<std::size_t>(r)] = 0;
            rec.diverged_at[static_cast<std::size_t>(alive_ids.empty() ? r : alive_ids[static_cast<std::size_t>(r)])] =
                k;
            ++rec.n_diverged;
          }
    }
    if (rec.n_diverged < N) return true;
    rec.status = RunStatus::diverged;
    std::ostringstream m;
    m << "all " << N << " trajectories diverged (non-finite or |theta_i| > " << spec.divergence_bound
      << ", or an observed value non-finite or beyond " << kValueBound << ") by step " << k;
    rec.failure = m.str();
    return false;
  };
  auto observe = [&](std::int64_t k) {
    SeriesRow row;
    row.k = k;
    row.tau = static_cast<double>(k) * eta;
    const ConstBlockRef view = alive_view();
    row.n_alive = view.rows();
    if (row.n_alive > 0)
      for (Observer* o : observers)
        o->observe(k, o->whole_state() ? view : view.leftCols(d), alive_ids, spec.threads, row.values);
    rec.series.push_back(std::move(row));
    // Trajectories the observers stop leave the batch from here on.
    collect_stops();
    if (hooks.progress) hooks.progress(k, spec.steps);
  };

  // In a group each process steps its slice of the running trajectories (all of them, or the
  // live ones), in blocks, each row drawing as its trajectory; the stepped rows of every
  // process are then gathered into X, so X is whole on every process again.
  std::vector<std::uint64_t> slice_ids;
  Mat slice_X;
  auto step_slice = [&](std::int64_t k0, std::int64_t k1) {
    const auto live = static_cast<Index>(running.size());
    auto id_of = [&](Index i) { return running[static_cast<std::size_t>(i)]; };
    const auto [b0, b1] = slice_of(live, spec.group->rank(), spec.group->size());
    const Index mine = b1 - b0, cols = X.cols();
    // Nothing stopped: the slice is the rows b0..b1 of X, stepped in place with their own ids;
    // else its live rows, copied out and stepped as the trajectories they are (RowIds).
    const bool contiguous = rec.n_stopped == 0;
    if (!contiguous) {
      slice_ids.resize(static_cast<std::size_t>(mine));
      slice_X.resize(mine, cols);
      for (Index i = 0; i < mine; ++i) {
        slice_ids[static_cast<std::size_t>(i)] = id_of(b0 + i);
        slice_X.row(i) = X.row(static_cast<Index>(slice_ids[static_cast<std::size_t>(i)]));
      }
    }
    const Index sblocks = (mine + block - 1) / block;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_for( \
    static_cast <double>(mine) * static_cast <double>(cols) * static_cast <double>(k1 - k0), spec.threads))
    for (Index b = 0; b < sblocks; ++b) {
      const Index r0 = b * block, rows = std::min(block, mine - r0);
      if (contiguous) {
        auto Xb = X.middleRows(b0 + r0, rows);
        for (std::int64_t k = k0; k < k1; ++k)
          stepper.advance(spec.seed, static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(b0 + r0), Xb);
      } else {
        auto Xb = slice_X.middleRows(r0, rows);
        const RowIds ids = RowIds::mapped(slice_ids.data() + r0);
        for (std::int64_t k = k0; k < k1; ++k) stepper.advance(spec.seed, static_cast<std::uint64_t>(k), ids, Xb);
      }
    }
    std::vector<double> packed(static_cast<std::size_t>(mine * cols));
    for (Index i = 0; i < mine; ++i)
      for (Index c = 0; c < cols; ++c)
        packed[static_cast<std::size_t>(i * cols + c)] = contiguous ? X(b0 + i, c) : slice_X(i, c);
    const std::vector<double> all = spec.group->all_gather(packed);
    if (static_cast<Index>(all.size()) != live * cols)
      throw std::runtime_error("run_ensemble: the processes of the group gathered " + std::to_string(all.size()) +
                               " values, expected " + std::to_string(live * cols));
    for (Index i = 0; i < live; ++i)
      for (Index c = 0; c < cols; ++c) X(static_cast<Index>(id_of(i)), c) = all[static_cast<std::size_t>(i * cols + c)];
    rec.trajectory_steps += static_cast<double>(live) * static_cast<double>(k1 - k0);
  };

  // Observation steps follow one another (next_observation_step), never listed: with
  // end_when_all_stopped, steps may be as large as std::int64_t allows.
  std::int64_t k0 = 0;
  if (resuming) {
    k0 = rec.series.back().k;
    if (!is_observation_step(k0, spec.steps, spec.every))
      throw std::invalid_argument("resume: the checkpoint's step is not an observation step");
    rec.status = RunStatus::completed;
    // Trajectories the (restored) observers had stopped stay out of the batch.
    collect_stops();
  } else {
    test_running_rows_of_X(0);
    if (screen(0)) observe(0);
  }
  std::vector<char> tile_runaway;  // per tile, in an interval: a runaway row seen
  ThreadGovernor governor;
  for (bool first = true; k0 < spec.steps && rec.status != RunStatus::diverged; first = false) {
    if (spec.end_when_all_stopped && rec.n_stopped == N) break;
    if (!first || !resuming) {
      if (hooks.checkpoint) hooks.checkpoint(rec, X);
      bool stop_now = hooks.stop && hooks.stop->load();
      if (distributed) stop_now = spec.group->any(stop_now);
      if (stop_now) {
        rec.status = RunStatus::interrupted;
        rec.failure = "interrupted at step " + std::to_string(k0) + " (resumable)";
        break;
      }
    }
    const std::int64_t k1 = next_observation_step(k0, spec.steps, spec.every);
    const double steps_here = static_cast<double>(k1 - k0), cols = static_cast<double>(X.cols());
    if (distributed) {
      step_slice(k0, k1);
      test_running_rows_of_X(k1);
    } else {
      // Tile by tile: drop the rows stopped at the last observation, take the steps (each row
      // draws as its trajectory: RowIds), write back and test.
      const Index T = tiles.count(), live = N - rec.n_stopped;
      const bool drop = pending;
      pending = false;
      tile_runaway.assign(static_cast<std::size_t>(T), 0);
      // The governor keeps a team that did not pay (a loaded machine) off the next regions.
      const int team = governor.team(threads_for(static_cast<double>(live) * cols * steps_here, spec.threads));
      const auto wall0 = std::chrono::steady_clock::now();
      double cpu = 0.0;  // the team's CPU time in the region
#pragma omp parallel num_threads(team) reduction(+ : cpu)
      {
        const double cpu0 = team > 1 ? thread_cpu_seconds() : 0.0;
#pragma omp for schedule(dynamic, 1) nowait
        for (Index t = 0; t < T; ++t) {
          if (drop) tiles.compact(t, stop);
          if (tiles.live(t) == 0) continue;
          BlockRef Wb = tiles.block(t);
          const std::uint64_t* ids = tiles.ids(t);
          const Index r0 = t * tiles.tile_rows();
          const RowIds row_ids = identity ? RowIds(static_cast<std::uint64_t>(r0)) : RowIds::mapped(ids);
          for (std::int64_t k = k0; k < k1; ++k) {
            stepper.advance(spec.seed, static_cast<std::uint64_t>(k), row_ids, Wb);
            if (hook) hook->after_step(k + 1, Wb.leftCols(d), ids);
          }
          tile_runaway[static_cast<std::size_t>(t)] = finish_block(Wb, r0, ids, identity) ? 1 : 0;
        }
        if (team > 1) cpu += thread_cpu_seconds() - cpu0;
      }
      governor.record(team, std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count(), cpu);
      Index stepped = 0;
      for (Index t = 0; t < T; ++t) {
        stepped += tiles.live(t);
        if (tile_runaway[static_cast<std::size_t>(t)]) {
          const BlockRef Wb = tiles.block(t);
          for (Index i = 0; i < Wb.rows(); ++i)
            for (Index c = 0; c < d; ++c)
              if (runaway(Wb(i, c))) {
                diverged_now(tiles.ids(t)[i], k1);
                break;
              }
        }
      }
      if (stepped != live)
        throw std::logic_error("run_ensemble: the observers reported " + std::to_string(rec.n_stopped) +
                               " stopped trajectories, the tiles hold " + std::to_string(N - stepped) +
                               " fewer rows (Observer::stopped must count what it stops)");
      rec.trajectory_steps += static_cast<double>(live) * static_cast<double>(k1 - k0);
      // Packed anew once three quarters of the tiles' rows are gone: the live rows shrink 4x
      // between two packings, so each row is copied a bounded number of times.
      if (T > 1 && 4 * live < T * tiles.tile_rows()) tiles.repack(tile_rows_for(live));
    }
    if (!screen(k1)) break;
    observe(k1);
    k0 = k1;
  }
  rec.final_state = X.leftCols(d);
  if (rec.status == RunStatus::interrupted) rec.state = std::move(X);
  return rec;
}

}  // namespace sgdnoise
