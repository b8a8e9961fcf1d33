#include "dynamics/ensemble.hpp"

#include <algorithm>
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

RunRecord run_ensemble(const Stepper& stepper, Mat X, const EnsembleSpec& spec,
                       const std::vector<const Observer*>& observers, const RunHooks& hooks, RunRecord resume) {
  RunRecord rec = std::move(resume);
  const bool resuming = !rec.series.empty();
  const Index N = X.rows();
  const Index block = std::max<Index>(spec.block, 1);
  const Index nblocks = (N + block - 1) / block;
  const double eta = stepper.eta();
  const Index d = X.cols() - stepper.extra_columns();  // theta; optimizer state follows
  if (!resuming) {
    rec.diverged_at.assign(static_cast<std::size_t>(N), -1);
    rec.n_diverged = 0;
  } else if (static_cast<Index>(rec.diverged_at.size()) != N) {
    throw std::invalid_argument("resume: the checkpoint's ensemble size does not match");
  }

  std::vector<char> stop(static_cast<std::size_t>(N), 0);
  std::vector<std::uint64_t> live_ids;  // rows still stepped, when some are stopped
  Mat live_X;
  rec.n_stopped = 0;
  if (!resuming) rec.trajectory_steps = 0.0;  // a resumed record carries the count so far

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
  // (docs/conventions.md, divergence). Returns false when none is left.
  auto mark_diverged = [&](std::int64_t k) {
    for (Index i = 0; i < N; ++i) {
      auto& at = rec.diverged_at[static_cast<std::size_t>(i)];
      if (at >= 0) continue;
      const auto row = X.row(i).head(d);
      if (!row.allFinite() || row.cwiseAbs().maxCoeff() > spec.divergence_bound) {
        at = k;
        ++rec.n_diverged;
      }
    }
    if (rec.n_diverged < N) {
      const ConstBlockRef view = alive_view();
      std::vector<char> bad(static_cast<std::size_t>(view.rows()), 0);
      for (const Observer* o : observers)
        o->screen(k, o->whole_state() ? view : view.leftCols(d), alive_ids, spec.threads, bad);
      for (Index r = 0; r < view.rows(); ++r)
        if (bad[static_cast<std::size_t>(r)]) {
          rec.diverged_at[static_cast<std::size_t>(alive_ids.empty() ? r : alive_ids[static_cast<std::size_t>(r)])] = k;
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
      for (const Observer* o : observers)
        o->observe(k, o->whole_state() ? view : view.leftCols(d), alive_ids, spec.threads, row.values);
    rec.series.push_back(std::move(row));
    // Trajectories the observers stop leave the batch from here on.
    const Index before = rec.n_stopped;
    for (const Observer* o : observers) o->stopped(stop);
    rec.n_stopped = static_cast<Index>(std::count(stop.begin(), stop.end(), char{1}));
    if (rec.n_stopped != before) {
      live_ids.clear();
      for (Index i = 0; i < N; ++i)
        if (!stop[static_cast<std::size_t>(i)]) live_ids.push_back(static_cast<std::uint64_t>(i));
    }
    if (hooks.progress) hooks.progress(k, spec.steps);
  };

  // In a group each process steps its slice of the running trajectories (all of them, or the
  // live ones), in blocks, each row drawing as its trajectory; the stepped rows of every
  // process are then gathered into X, so X is whole on every process again.
  const bool distributed = spec.group && spec.group->size() > 1;
  std::vector<std::uint64_t> slice_ids;
  auto step_slice = [&](std::int64_t k0, std::int64_t k1) {
    const Index running = rec.n_stopped == 0 ? N : static_cast<Index>(live_ids.size());
    auto id_of = [&](Index i) {
      return rec.n_stopped == 0 ? static_cast<std::uint64_t>(i) : live_ids[static_cast<std::size_t>(i)];
    };
    const auto [b0, b1] = slice_of(running, spec.group->rank(), spec.group->size());
    const Index mine = b1 - b0, cols = X.cols();
    // Nothing stopped: the slice is the rows b0..b1 of X, stepped in place with their own ids;
    // else its live rows, copied out and stepped as the trajectories they are (RowIds).
    const bool contiguous = rec.n_stopped == 0;
    if (!contiguous) {
      slice_ids.resize(static_cast<std::size_t>(mine));
      live_X.resize(mine, cols);
      for (Index i = 0; i < mine; ++i) {
        slice_ids[static_cast<std::size_t>(i)] = id_of(b0 + i);
        live_X.row(i) = X.row(static_cast<Index>(slice_ids[static_cast<std::size_t>(i)]));
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
        auto Xb = live_X.middleRows(r0, rows);
        const RowIds ids = RowIds::mapped(slice_ids.data() + r0);
        for (std::int64_t k = k0; k < k1; ++k) stepper.advance(spec.seed, static_cast<std::uint64_t>(k), ids, Xb);
      }
    }
    std::vector<double> packed(static_cast<std::size_t>(mine * cols));
    for (Index i = 0; i < mine; ++i)
      for (Index c = 0; c < cols; ++c)
        packed[static_cast<std::size_t>(i * cols + c)] = contiguous ? X(b0 + i, c) : live_X(i, c);
    const std::vector<double> all = spec.group->all_gather(packed);
    if (static_cast<Index>(all.size()) != running * cols)
      throw std::runtime_error("run_ensemble: the processes of the group gathered " + std::to_string(all.size()) +
                               " values, expected " + std::to_string(running * cols));
    for (Index i = 0; i < running; ++i)
      for (Index c = 0; c < cols; ++c) X(static_cast<Index>(id_of(i)), c) = all[static_cast<std::size_t>(i * cols + c)];
    rec.trajectory_steps += static_cast<double>(running) * static_cast<double>(k1 - k0);
  };

  const auto ks = observation_steps(spec.steps, spec.every);
  std::size_t first = 1;
  if (resuming) {
    const auto at = std::find(ks.begin(), ks.end(), rec.series.back().k);
    if (at == ks.end()) throw std::invalid_argument("resume: the checkpoint's step is not an observation step");
    first = static_cast<std::size_t>(at - ks.begin()) + 1;
    rec.status = RunStatus::completed;
    // Trajectories the (restored) observers had stopped stay out of the batch.
    for (const Observer* o : observers) o->stopped(stop);
    rec.n_stopped = static_cast<Index>(std::count(stop.begin(), stop.end(), char{1}));
    for (Index i = 0; i < N && rec.n_stopped > 0; ++i)
      if (!stop[static_cast<std::size_t>(i)]) live_ids.push_back(static_cast<std::uint64_t>(i));
  } else if (mark_diverged(0)) {
    observe(0);
  }
  for (std::size_t t = first; t < ks.size() && rec.status != RunStatus::diverged; ++t) {
    if (t > first || !resuming) {
      if (hooks.checkpoint) hooks.checkpoint(rec, X);
      bool stop_now = hooks.stop && hooks.stop->load();
      if (distributed) stop_now = spec.group->any(stop_now);
      if (stop_now) {
        rec.status = RunStatus::interrupted;
        rec.failure = "interrupted at step " + std::to_string(ks[t - 1]) + " (resumable)";
        break;
      }
    }
    const std::int64_t k0 = ks[t - 1], k1 = ks[t];
    const double steps_here = static_cast<double>(k1 - k0), cols = static_cast<double>(X.cols());
    if (distributed) {
      step_slice(k0, k1);
    } else if (rec.n_stopped == 0) {
#pragma omp parallel for schedule(dynamic, 1) \
    num_threads(threads_for(static_cast <double>(N) * cols * steps_here, spec.threads))
      for (Index b = 0; b < nblocks; ++b) {
        const Index r0 = b * block, rows = std::min(block, N - r0);
        auto Xb = X.middleRows(r0, rows);
        for (std::int64_t k = k0; k < k1; ++k)
          stepper.advance(spec.seed, static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(r0), Xb);
      }
      rec.trajectory_steps += static_cast<double>(N) * static_cast<double>(k1 - k0);
    } else {
      // The running rows, compacted in order; each row draws as its trajectory (RowIds).
      const Index live = static_cast<Index>(live_ids.size());
      live_X.resize(live, X.cols());
      for (Index i = 0; i < live; ++i) live_X.row(i) = X.row(static_cast<Index>(live_ids[static_cast<std::size_t>(i)]));
      const Index lblocks = (live + block - 1) / block;
#pragma omp parallel for schedule(dynamic, 1) \
    num_threads(threads_for(static_cast <double>(live) * cols * steps_here, spec.threads))
      for (Index b = 0; b < lblocks; ++b) {
        const Index r0 = b * block, rows = std::min(block, live - r0);
        auto Xb = live_X.middleRows(r0, rows);
        const RowIds ids = RowIds::mapped(live_ids.data() + r0);
        for (std::int64_t k = k0; k < k1; ++k) stepper.advance(spec.seed, static_cast<std::uint64_t>(k), ids, Xb);
      }
      for (Index i = 0; i < live; ++i) X.row(static_cast<Index>(live_ids[static_cast<std::size_t>(i)])) = live_X.row(i);
      rec.trajectory_steps += static_cast<double>(live) * static_cast<double>(k1 - k0);
    }
    if (!mark_diverged(k1)) break;
    observe(k1);
  }
  rec.final_state = X.leftCols(d);
  if (rec.status == RunStatus::interrupted) rec.state = std::move(X);
  return rec;
}

}  // namespace sgdnoise
