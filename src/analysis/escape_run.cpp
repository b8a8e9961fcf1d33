#include "analysis/escape_run.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "core/openmp_env.hpp"

namespace sgdnoise {

EscapeRunResult run_until_escaped(const Stepper& stepper, const Mat& X0, const Region& target,
                                  const EscapeRunSpec& spec) {
  if (!(spec.fraction > 0.0 && spec.fraction <= 1.0)) throw std::invalid_argument("escape run: fraction in (0, 1]");
  const Index N = X0.rows(), block = std::max<Index>(spec.block, 1);
  const std::int64_t sync = std::max<std::int64_t>(spec.sync_every, 1);
  const auto need_left = N - static_cast<Index>(std::ceil(spec.fraction * static_cast<double>(N)));
  const Index d = X0.cols() - stepper.extra_columns();
  EscapeRunResult res;
  res.first_passage.assign(static_cast<std::size_t>(N), -1);
  auto& fp = res.first_passage;

  Mat X = X0;
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(N));
  std::iota(ids.begin(), ids.end(), std::uint64_t{0});
  std::vector<char> inside;
  target.inside(X.leftCols(d), inside);
  for (Index i = 0; i < N; ++i)
    if (inside[static_cast<std::size_t>(i)]) fp[static_cast<std::size_t>(i)] = 0;

  // Removes the rows whose trajectory has escaped, keeping the order (stable, in place).
  Index live = N;
  auto compact = [&]() {
    Index w = 0;
    for (Index i = 0; i < live; ++i) {
      const std::uint64_t id = ids[static_cast<std::size_t>(i)];
      if (fp[id] >= 0) continue;
      if (w != i) {
        X.row(w) = X.row(i);
        ids[static_cast<std::size_t>(w)] = id;
      }
      ++w;
    }
    live = w;
  };
  compact();

  std::int64_t k = 0;
  double executed = 0.0;
  while (k < spec.cap && live > need_left) {
    const std::int64_t k1 = std::min<std::int64_t>(k + sync, spec.cap);
    const Index nblocks = (live + block - 1) / block;
    executed += static_cast<double>(live) * static_cast<double>(k1 - k);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_for( \
    static_cast <double>(live) * static_cast <double>(X.cols()) * static_cast <double>(k1 - k), spec.threads))
    for (Index b = 0; b < nblocks; ++b) {
      const Index r0 = b * block, rows = std::min(block, live - r0);
      auto Xb = X.middleRows(r0, rows);
      const std::uint64_t* bid = ids.data() + r0;
      for (std::int64_t kk = k; kk < k1; ++kk) {
        stepper.advance(spec.seed, static_cast<std::uint64_t>(kk), RowIds::mapped(bid), Xb);
        // Each trajectory belongs to one row of one block: no two threads write one entry.
        target.record_entries(Xb.leftCols(d), bid, kk + 1, fp.data());
      }
    }
    compact();
    k = k1;
  }
  // The stop step: the first k at which at most need_left were running (or the last step
  // run); first passages after it are censored there, as in a run stopped exactly.
  std::vector<std::int64_t> times;
  times.reserve(static_cast<std::size_t>(N));
  for (const std::int64_t t : fp)
    if (t >= 0) times.push_back(t);
  std::sort(times.begin(), times.end());
  const auto must_escape = static_cast<std::size_t>(N - need_left);
  res.stop_step = must_escape == 0 ? 0 : (times.size() >= must_escape ? times[must_escape - 1] : k);
  res.stop_step = std::min(res.stop_step, k);
  double useful = 0.0;
  for (auto& t : fp) {
    if (t > res.stop_step) t = -1;
    if (t >= 0) ++res.escaped;
    useful += static_cast<double>(t >= 0 ? t : res.stop_step);
  }
  res.useful_steps = useful;
  res.executed_steps = executed;
  return res;
}

std::vector<TrajectoryEscape> escape_outcomes(const EscapeRunResult& r, double eta) {
  std::vector<TrajectoryEscape> out(r.first_passage.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t t = r.first_passage[i];
    auto& o = out[i];
    o.state = t >= 0 ? EscapeState::escaped : EscapeState::censored;
    o.destination = t >= 0 ? 0 : -1;
    o.steps = static_cast<double>(t >= 0 ? t : r.stop_step);
    o.tau = o.steps * eta;
    o.detected_at = t >= 0 ? t : r.stop_step;
  }
  return out;
}

}  // namespace sgdnoise
