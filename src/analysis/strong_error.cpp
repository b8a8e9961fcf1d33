#include "analysis/strong_error.hpp"

#include <stdexcept>

namespace sgdnoise {

std::vector<std::string> StrongErrorObserver::names() const {
  std::vector<std::string> n = {"strong_error", "strong_error_sq"};
  if (half_) n.insert(n.end(), {"reference_error", "reference_error_sq"});
  return n;
}

void StrongErrorObserver::observe(std::int64_t, ConstBlockRef X, const TrajectoryIds&, int threads,
                                  std::vector<Observation>& out) const {
  if (X.cols() != 3 * d_) throw std::logic_error("strong error: the state is not [theta, X, Y]");
  auto pairwise = [&](Index a, Index b, const char* name, const char* name_sq) {
    const Vec sq = per_trajectory(X, threads, [&](ConstBlockRef B, Eigen::Ref<Vec> o) {
      o = (B.middleCols(a, d_) - B.middleCols(b, d_)).rowwise().squaredNorm();
    });
    out.push_back({name, mean_estimate(sq.cwiseSqrt())});
    out.push_back({name_sq, mean_estimate(sq)});
  };
  pairwise(0, d_, "strong_error", "strong_error_sq");
  if (half_) pairwise(d_, 2 * d_, "reference_error", "reference_error_sq");
}

}  // namespace sgdnoise
