#include "dynamics/ensemble.hpp"

#include <algorithm>
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

// The working copy of the running rows, in tiles: tile t holds rows t B .. t B + B - 1 (B the
// block, a multiple of kLineRows), column-major with leading dimension B, contiguous, 128-byte
// aligned. A thread steps one tile at a time, so what it touches is one dense block: in a
// column-major N x d matrix the block's columns lie N rows apart, and with N a multiple of 512
// they all fall into a few cache sets (W1 d = 100: N = 4096, a 32 KiB stride), while
// neighbouring blocks stepped by two threads shared a cache line at every boundary. With tiles a
// second thread gives W1 d = 100 1.6x-1.8x, W2 1.9x and W3 2.0x, against 1.2x-1.4x, 1.5x-1.65x
// and 1.6x before (2026-12-08; README, thread scaling).
constexpr Index kLineRows = 16;  // 128 bytes: a cache line and the adjacent line the L2 prefetcher pairs with it
constexpr std::size_t kLineBytes = kLineRows * sizeof(double);

Index round_up(Index n, Index m) { return (n + m - 1) / m * m; }

class WorkingRows {
 public:
  void assign(const Mat& X, Index tile_rows) {
    allocate(X.rows(), X.cols(), tile_rows);
    for (Index r0 = 0; r0 < X.rows(); r0 += B_)
      rows(r0, std::min(B_, X.rows() - r0)) = X.middleRows(r0, std::min(B_, X.rows() - r0));
  }
  /// Rows r0 .. r0 + rows, within one tile.
  BlockRef rows(Index r0, Index rows) {
    return Eigen::Map<Mat, 0, Eigen::OuterStride<>>(row(r0), rows, cols_, Eigen::OuterStride<>(B_));
  }
  double& at(Index i, Index c) { return row(i)[c * B_]; }
  Index tile_rows() const { return B_; }
  /// Row i's entry of column 0; column c is c * tile_rows() further.
  double* row(Index i) { return data_.get() + i / B_ * tile_size_ + i % B_; }
  /// Keeps, in order, the rows i < n for which keep(i) (called once for each i, ascending) is
  /// true, at the front, in place; returns how many. Walks the tiles with two cursors: no
  /// division per row.
  template <class Keep>
  Index compact(Index n, Keep keep) {
    Index w = 0, wo = 0, io = 0;                  // rows kept, and the offsets of rows w and i in their tiles
    double *wp = data_.get(), *ip = data_.get();  // row w's and row i's entry of column 0
    for (Index i = 0; i < n; ++i) {
      if (keep(i)) {
        if (wp != ip)
          for (Index c = 0; c < cols_; ++c) wp[c * B_] = ip[c * B_];
        ++w;
        wp = ++wo == B_ ? (wo = 0, wp + tile_size_ - B_ + 1) : wp + 1;
      }
      ip = ++io == B_ ? (io = 0, ip + tile_size_ - B_ + 1) : ip + 1;
    }
    return w;
  }

 private:
  void allocate(Index rows, Index cols, Index tile_rows) {
    cols_ = cols, B_ = tile_rows;
    const Index tiles = std::max<Index>((rows + B_ - 1) / B_, 1);
    tile_size_ = B_ * std::max<Index>(cols_, 1);
    // A multiple of 128 bytes, as aligned_alloc requires: B is a multiple of kLineRows.
    const auto bytes = static_cast<std::size_t>(tiles * tile_size_) * sizeof(double);
    data_.reset(static_cast<double*>(std::aligned_alloc(kLineBytes, bytes)));
    if (!data_) throw std::bad_alloc();
  }
  struct Free {
    void operator()(double* p) const { std::free(p); }
  };
  std::unique_ptr<double, Free> data_;
  Index B_ = 1, cols_ = 0, tile_size_ = 0;
};

}  // namespace

RunRecord run_ensemble(const Stepper& stepper, Mat X, const EnsembleSpec& spec, const std::vector<Observer*>& observers,
                       const RunHooks& hooks, RunRecord resume) {
  RunRecord rec = std::move(resume);
  const bool resuming = !rec.series.empty();
  const Index N = X.rows();
  // Blocks of whole cache lines (WorkingRows); the block size never changes results.
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

  // Stopped trajectories leave the batch for good: `running` lists the others (ascending). On
  // one process they are stepped in W, a working copy whose first rows are those of `running`
  // in that order. Each block of W takes the steps of an observation interval, then, in the
  // same parallel loop, its rows are tested for divergence and written back to X, so X is
  // whole for the observers; as more stop, W is compacted in place, so the work follows the
  // live trajectories, not N. (In a group of processes, step_slice below steps X instead.)
  std::vector<char> stop(static_cast<std::size_t>(N), 0);
  std::vector<std::uint64_t> running(static_cast<std::size_t>(N));
  std::iota(running.begin(), running.end(), std::uint64_t{0});
  WorkingRows W;
  if (!distributed) W.assign(X, block);
  rec.n_stopped = 0;
  if (!resuming) rec.trajectory_steps = 0.0;  // a resumed record carries the count so far
  auto drop_stopped = [&]() {
    // Stable and in place, in one pass: the ids and the rows of W.
    Index kept = 0;
    auto keep = [&](Index i) {
      const std::uint64_t id = running[static_cast<std::size_t>(i)];
      if (stop[id]) return false;
      running[static_cast<std::size_t>(kept++)] = id;
      return true;
    };
    const auto live = static_cast<Index>(running.size());
    if (distributed) {
      for (Index i = 0; i < live; ++i) (void)keep(i);
    } else {
      (void)W.compact(live, keep);
    }
    running.resize(static_cast<std::size_t>(kept));
    rec.n_stopped = N - kept;
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
    for (const Observer* o : observers) o->stopped(running, stop);
    drop_stopped();
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
    for (const Observer* o : observers) o->stopped(running, stop);
    drop_stopped();
  } else {
    test_running_rows_of_X(0);
    if (screen(0)) observe(0);
  }
  std::vector<char> unit_runaway;  // per unit of work of an interval: a runaway row seen
  for (bool first = true; k0 < spec.steps && rec.status != RunStatus::diverged; first = false) {
    if (spec.end_when_all_stopped && running.empty()) break;
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
      // The running rows of W in blocks; each row draws as its trajectory (RowIds), the ids
      // r0, r0 + 1, ... while nothing is stopped.
      const auto live = static_cast<Index>(running.size());
      const bool contiguous = rec.n_stopped == 0;
      // Units of work: the tiles, each cut into `split` parts of whole cache lines when there
      // are too few tiles to keep every thread busy to the end (late in an escape run).
      const int team = threads_for(static_cast<double>(live) * cols * steps_here, spec.threads);
      const Index tiles = (live + block - 1) / block;
      const Index split = team == 1 ? 1 : std::clamp<Index>((4 * team + tiles - 1) / tiles, 1, block / kLineRows);
      const Index unit = round_up((block + split - 1) / split, kLineRows), per_tile = (block + unit - 1) / unit;
      const Index units = tiles * per_tile;
      unit_runaway.assign(static_cast<std::size_t>(units), 0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
      for (Index u = 0; u < units; ++u) {
        const Index r0 = u / per_tile * block + u % per_tile * unit;
        const Index rows = std::min({unit, block - u % per_tile * unit, live - r0});
        if (rows <= 0) continue;
        BlockRef Wb = W.rows(r0, rows);
        const std::uint64_t* ids = running.data() + r0;
        const RowIds row_ids = contiguous ? RowIds(static_cast<std::uint64_t>(r0)) : RowIds::mapped(ids);
        for (std::int64_t k = k0; k < k1; ++k) {
          stepper.advance(spec.seed, static_cast<std::uint64_t>(k), row_ids, Wb);
          if (hook) hook->after_step(k + 1, Wb.leftCols(d), ids);
        }
        unit_runaway[static_cast<std::size_t>(u)] = finish_block(Wb, r0, ids, contiguous) ? 1 : 0;
      }
      rec.trajectory_steps += static_cast<double>(live) * static_cast<double>(k1 - k0);
      for (Index u = 0; u < units; ++u)
        if (unit_runaway[static_cast<std::size_t>(u)])
          for (Index i = u / per_tile * block + u % per_tile * unit,
                     i1 = std::min({live, i + unit, (u / per_tile + 1) * block});
               i < i1; ++i)
            for (Index c = 0; c < d; ++c)
              if (runaway(W.at(i, c))) {
                diverged_now(running[static_cast<std::size_t>(i)], k1);
                break;
              }
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
