#include "dynamics/ensemble.hpp"

#include <algorithm>
#include <sstream>

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

namespace {
Index count_nonfinite_rows(const Mat& X) {
  Index bad = 0;
  for (Index i = 0; i < X.rows(); ++i)
    if (!X.row(i).allFinite()) ++bad;
  return bad;
}
}  // namespace

RunRecord run_ensemble(const Stepper& stepper, Mat X, const EnsembleSpec& spec,
                       const std::vector<const Observer*>& observers, const ProgressFn& progress) {
  RunRecord rec;
  const Index N = X.rows();
  const Index block = std::max<Index>(spec.block, 1);
  const Index nblocks = (N + block - 1) / block;
  const double eta = stepper.eta();

  auto observe = [&](std::int64_t k) {
    SeriesRow row;
    row.k = k;
    row.tau = static_cast<double>(k) * eta;
    for (const Observer* o : observers) o->observe(k, X, spec.threads, row.values);
    rec.series.push_back(std::move(row));
    if (progress) progress(k, spec.steps);
  };

  const auto ks = observation_steps(spec.steps, spec.every);
  observe(0);
  for (std::size_t t = 1; t < ks.size(); ++t) {
    const std::int64_t k0 = ks[t - 1], k1 = ks[t];
#pragma omp parallel for schedule(dynamic, 1) num_threads(spec.threads)
    for (Index b = 0; b < nblocks; ++b) {
      const Index r0 = b * block, rows = std::min(block, N - r0);
      auto Xb = X.middleRows(r0, rows);
      for (std::int64_t k = k0; k < k1; ++k)
        stepper.advance(spec.seed, static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(r0), Xb);
    }
    if (const Index bad = count_nonfinite_rows(X); bad > 0) {
      rec.status = RunStatus::diverged;
      rec.n_nonfinite = bad;
      std::ostringstream m;
      m << bad << " of " << N << " trajectories became non-finite between steps " << k0 << " and " << k1;
      rec.failure = m.str();
      break;
    }
    observe(k1);
  }
  rec.final_state = std::move(X);
  return rec;
}

}  // namespace sgdnoise
