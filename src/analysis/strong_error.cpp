#include "analysis/strong_error.hpp"

#include <stdexcept>

namespace sgdnoise {

std::vector<std::string> StrongErrorObserver::names() const {
  std::vector<std::string> n = {"strong_error", "strong_error_sq"};
  if (half_) n.insert(n.end(), {"reference_error", "reference_error_sq"});
  return n;
}

Vec StrongErrorObserver::squared_distance(ConstBlockRef X, Index a, Index b, int threads) const {
  if (X.cols() != 3 * d_) throw std::logic_error("strong error: the state is not [theta, X, Y]");
  return per_trajectory(X, threads, [&](ConstBlockRef B, Eigen::Ref<Vec> o) {
    o = (B.middleCols(a, d_) - B.middleCols(b, d_)).rowwise().squaredNorm();
  });
}

void StrongErrorObserver::screen(std::int64_t, ConstBlockRef X, const TrajectoryIds&, int threads,
                                 std::vector<char>& bad) {
  flag_unrepresentable(squared_distance(X, 0, d_, threads), bad);
  if (half_) flag_unrepresentable(squared_distance(X, d_, 2 * d_, threads), bad);
}

void StrongErrorObserver::observe(std::int64_t, ConstBlockRef X, const TrajectoryIds&, int threads,
                                  std::vector<Observation>& out) {
  auto pairwise = [&](Index a, Index b, const char* name, const char* name_sq) {
    const Vec sq = squared_distance(X, a, b, threads);
    out.push_back({name, mean_estimate(sq.cwiseSqrt())});
    out.push_back({name_sq, mean_estimate(sq)});
  };
  pairwise(0, d_, "strong_error", "strong_error_sq");
  if (half_) pairwise(d_, 2 * d_, "reference_error", "reference_error_sq");
}

}  // namespace sgdnoise
