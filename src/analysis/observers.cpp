#include "analysis/observers.hpp"

#include <algorithm>

namespace sgdnoise {

Vec per_trajectory(const Mat& X, int threads, const std::function<void(ConstBlockRef, Eigen::Ref<Vec>)>& f) {
  const Index N = X.rows();
  constexpr Index kBlock = 512;
  const Index nblocks = (N + kBlock - 1) / kBlock;
  Vec out(N);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index b = 0; b < nblocks; ++b) {
    const Index r0 = b * kBlock, rows = std::min(kBlock, N - r0);
    f(X.middleRows(r0, rows), out.segment(r0, rows));
  }
  return out;
}

void LossObserver::observe(std::int64_t, const Mat& X, int threads, std::vector<Observation>& out) const {
  const Vec v = per_trajectory(X, threads, [&](ConstBlockRef B, Eigen::Ref<Vec> o) { loss_->value(B, o); });
  out.push_back({"loss", mean_estimate(v)});
}

}  // namespace sgdnoise
