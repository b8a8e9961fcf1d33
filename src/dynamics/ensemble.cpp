#include "dynamics/ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
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

}  // namespace

RunRecord run_ensemble(const Stepper& stepper, Mat X, const EnsembleSpec& spec, const std::vector<Observer*>& observers,
                       const RunHooks& hooks, RunRecord resume) {
  RunRecord rec = std::move(resume);
  const bool resuming = !rec.series.empty();
  const Index N = X.rows();
  const Index block = std::max<Index>(spec.block, 1);
  const Index nblocks = (N + block - 1) / block;
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

  // Stopped trajectories leave the batch for good: `running` lists the others (ascending). Once
  // some are stopped (on one process), live_X holds the rows of `running` in that order: they are
  // stepped there, written back to X for the observers, and compacted in place as more stop, so
  // the work of an observation follows the live trajectories, not N.
  std::vector<char> stop(static_cast<std::size_t>(N), 0);
  std::vector<std::uint64_t> running(static_cast<std::size_t>(N));
  std::iota(running.begin(), running.end(), std::uint64_t{0});
  Mat live_X;
  rec.n_stopped = 0;
  if (!resuming) rec.trajectory_steps = 0.0;  // a resumed record carries the count so far
  std::vector<double*> live_cols;             // drop_stopped: the columns of live_X
  auto drop_stopped = [&]() {
    const bool compacted = rec.n_stopped > 0 && !distributed;
    const auto live = static_cast<Index>(running.size());
    live_cols.clear();
    if (compacted)
      for (Index c = 0; c < live_X.cols(); ++c) live_cols.push_back(live_X.col(c).data());
    // Stable and in place (w <= i), in one pass: the ids and, compacted, their rows.
    Index w = 0;
    for (Index i = 0; i < live; ++i) {
      const std::uint64_t id = running[static_cast<std::size_t>(i)];
      if (stop[id]) continue;
      if (w != i) {
        running[static_cast<std::size_t>(w)] = id;
        for (double* x : live_cols) x[w] = x[i];
      }
      ++w;
    }
    if (w == live) return;
    running.resize(static_cast<std::size_t>(w));
    rec.n_stopped = N - w;
    if (!compacted && !distributed) {
      // Rows rounded up to 8 (64 bytes), so every column keeps the alignment of the first for
      // the vectorized kernels; the rows past `running` are never read.
      live_X.resize((w + 7) / 8 * 8, X.cols());
      for (Index c = 0; c < X.cols(); ++c)
        for (Index i = 0; i < w; ++i) live_X(i, c) = X(static_cast<Index>(running[static_cast<std::size_t>(i)]), c);
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
  // (docs/conventions.md, divergence). Returns false when none is left. Only running rows need
  // the coordinate test: a stopped one keeps the state an earlier observation tested.
  // |v| <= lim is false exactly when v is non-finite or beyond the bound (one comparison).
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
  // Tests the first d columns of M, whose row i is trajectory id_of(i), 16 rows at a time (a
  // runaway row is rare). With to_X, also writes every column of those rows into X: the
  // compacted rows go back to their trajectories in the same pass.
  auto test_rows = [&](const Mat& M, Index rows, std::int64_t k, auto id_of, bool to_X) {
    constexpr Index kGroup = 16;
    for (Index c = 0; c < (to_X ? M.cols() : d); ++c) {
      const double* x = M.col(c).data();
      double* y = X.col(c).data();
      if (c >= d) {  // an extra column (optimizer state): written back, not tested
        for (Index i = 0; i < rows; ++i) y[id_of(i)] = x[i];
        continue;
      }
      for (Index i0 = 0; i0 < rows; i0 += kGroup) {
        const Index i1 = std::min(rows, i0 + kGroup);
        bool any = false;
        for (Index i = i0; i < i1; ++i) {
          if (to_X) y[id_of(i)] = x[i];
          any |= runaway(x[i]);
        }
        if (any)
          for (Index i = i0; i < i1; ++i)
            if (runaway(x[i])) diverged_now(static_cast<std::size_t>(id_of(i)), k);
      }
    }
  };
  std::vector<char> bad;
  // live_stepped: live_X holds the running rows one interval ahead of X (stepped compacted).
  auto mark_diverged = [&](std::int64_t k, bool live_stepped = false) {
    if (live_stepped) {
      test_rows(
          live_X, static_cast<Index>(running.size()), k,
          [&](Index i) { return static_cast<Index>(running[static_cast<std::size_t>(i)]); }, true);
    } else if (rec.n_stopped == 0) {
      test_rows(
          X, N, k, [](Index i) { return i; }, false);
    } else {
      for (const std::uint64_t id : running)
        for (Index c = 0; c < d; ++c)
          if (runaway(X(static_cast<Index>(id), c))) {
            diverged_now(id, k);
            break;
          }
    }
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
  } else if (mark_diverged(0)) {
    observe(0);
  }
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
    } else if (rec.n_stopped == 0) {
#pragma omp parallel for schedule(dynamic, 1) \
    num_threads(threads_for(static_cast <double>(N) * cols * steps_here, spec.threads))
      for (Index b = 0; b < nblocks; ++b) {
        const Index r0 = b * block, rows = std::min(block, N - r0);
        auto Xb = X.middleRows(r0, rows);
        const std::uint64_t* ids = running.data() + r0;  // r0, r0 + 1, ...: nothing is stopped
        for (std::int64_t k = k0; k < k1; ++k) {
          stepper.advance(spec.seed, static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(r0), Xb);
          if (hook) hook->after_step(k + 1, Xb.leftCols(d), ids);
        }
      }
      rec.trajectory_steps += static_cast<double>(N) * static_cast<double>(k1 - k0);
    } else {
      // The running rows, compacted in order; each row draws as its trajectory (RowIds).
      const auto live = static_cast<Index>(running.size());
      const Index lblocks = (live + block - 1) / block;
#pragma omp parallel for schedule(dynamic, 1) \
    num_threads(threads_for(static_cast <double>(live) * cols * steps_here, spec.threads))
      for (Index b = 0; b < lblocks; ++b) {
        const Index r0 = b * block, rows = std::min(block, live - r0);
        auto Xb = live_X.middleRows(r0, rows);
        const std::uint64_t* ids = running.data() + r0;
        for (std::int64_t k = k0; k < k1; ++k) {
          stepper.advance(spec.seed, static_cast<std::uint64_t>(k), RowIds::mapped(ids), Xb);
          if (hook) hook->after_step(k + 1, Xb.leftCols(d), ids);
        }
      }
      rec.trajectory_steps += static_cast<double>(live) * static_cast<double>(k1 - k0);
    }
    // Compacted rows go back into X as their coordinates are tested.
    if (!mark_diverged(k1, !distributed && rec.n_stopped > 0)) break;
    observe(k1);
    k0 = k1;
  }
  rec.final_state = X.leftCols(d);
  if (rec.status == RunStatus::interrupted) rec.state = std::move(X);
  return rec;
}

}  // namespace sgdnoise
