#pragma once
// The strong (path-wise) error of a coupled run (dynamics/strong_coupling.hpp): per
// trajectory, e = theta_k - X(k eta) with X the reference SDE on the same Brownian path.
//   "strong_error"        E|e|, the strong error of Kloeden & Platen 1992, 9.6 (mean +- se)
//   "strong_error_sq"     E|e|^2 (its exact value is predicted for losses with an affine
//                         gradient: analysis/predictions/strong_coupling_moments.hpp)
//   "reference_error"     E|X - Y|, Y the half reference (M / 2 sub-steps) on the same path:
//                         the size of the reference's own error (for an order-p reference in
//                         dt, |X - X_exact| ~ |X - Y| / (2^p - 1))
//   "reference_error_sq"  E|X - Y|^2
// Standard errors are the CLT's over trajectories (per-trajectory terms, index order).
#include "analysis/observers.hpp"

namespace sgdnoise {

class StrongErrorObserver final : public Observer {
 public:
  /// dim: d, the width of theta; half: whether the half reference runs.
  StrongErrorObserver(Index dim, bool half) : d_(dim), half_(half) {}
  std::vector<std::string> names() const override;
  void observe(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads,
               std::vector<Observation>& out) override;
  /// Flags the trajectories whose squared errors are non-finite or beyond kValueBound (the
  /// reference columns are not covered by the driver's bound on theta).
  void screen(std::int64_t k, ConstBlockRef X, const TrajectoryIds& ids, int threads, std::vector<char>& bad) override;
  bool whole_state() const override { return true; }

 private:
  Vec squared_distance(ConstBlockRef X, Index a, Index b, int threads) const;
  Index d_;
  bool half_;
};

}  // namespace sgdnoise
