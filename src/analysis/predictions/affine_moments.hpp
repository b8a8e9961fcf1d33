#pragma once
// Exact first two moments of plain noisy GD with state-dependent sampling noise on a loss
// with an affine gradient (sums of quadratics, least squares; docs/theory.md 1.3, 1.5, [DERIVED]).
//
// Steps independent of the past (SGD with replacement, i.i.d. batches without, Gaussian noise
// of SGD's covariance, ...): theta' = A theta + eta bbar - eta xi, A = I - eta H,
// E[xi | theta] = 0, Cov[xi | theta] = C_k(theta), hence
//   m' = A m + eta bbar   (the GD iterate, docs/theory.md 1.5),   S' = A S A^T + eta^2 E C_k(theta),
// and E C_k(theta) over theta ~ (m, S) is exact with 2d + 1 evaluations when C_k is a quadratic
// function of theta, as every sampling noise G(theta) V of docs/theory.md 1.2 is for an affine G:
// with S = sum_j s_j s_j^T,  E C = C(m) + 1/2 sum_j [C(m + s_j) + C(m - s_j) - 2 C(m)].
//
// Random reshuffling on a sum of quadratics (constant batch b): a batch step is the affine map
// theta -> A_B theta + a_B, A_B = I - eta H_B, a_B = eta (1/b) sum_{i in B} H_i c_i; the
// epochs are independent uniform permutations cut into floor(n/b) consecutive batches, so after
// j batches of an epoch the moments are the average over the n! permutations of the composed
// prefix map (P_j, p_j) applied to the epoch-start moments (m0, M0 = S0 + m0 m0^T):
//   m = avg(P_j m0 + p_j),   M = avg(P_j M0 P_j^T + P_j m0 p_j^T + p_j m0^T P_j^T + p_j p_j^T),
// exact by enumeration; its first two steps are docs/theory.md 1.5's two-step formula.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "analysis/predictions/quadratic_moments.hpp"
#include "losses/loss.hpp"
#include "noise/noise.hpp"

namespace sgdnoise {

/// The moments along the run, computed once step by step and kept (checks and the series
/// ask for many steps of the same run).
class AffineMoments {
 public:
  /// Unavailable (reason()) unless the loss has an affine gradient and the noise is one whose
  /// covariance is quadratic in theta (sgd, multiplicative, gld gaussian_sgd / gaussian_fisher
  /// / gaussian_fisher_diag / diag without a trace, or constant), or reshuffling on a sum of
  /// quadratics with a constant batch and n <= 8; and when the work would be excessive.
  AffineMoments(const Loss& loss, const NoiseModel* noise, double eta, Vec theta0, std::int64_t max_steps);

  bool available() const { return reason_.empty(); }
  const std::string& reason() const { return reason_; }
  const char* source() const;
  /// The moments at step k (0 <= k <= max_steps).
  const Moments& at(std::int64_t k);

 private:
  void step_independent();
  void epoch_reshuffled();

  const Loss& loss_;
  const NoiseModel* noise_;
  double eta_;
  std::int64_t max_steps_;
  bool reshuffle_ = false;
  Mat A_;      // I - eta H
  Vec shift_;  // -eta grad L(0): theta' = A theta + shift in mean
  std::vector<Moments> m_;
  // Reshuffling, per batch j of an epoch, averages over the orders of the prefix map (P, p):
  // avg P, avg p, avg P (x) P (vec(P M P^T) = (P (x) P) vec M), avg p (x) P (vec(P m p^T) =
  // (p (x) P) m) and avg vec(p p^T), so an epoch costs no enumeration.
  struct PrefixAverages {
    Mat P, PP, pP;
    Vec p, pp;
  };
  std::vector<PrefixAverages> prefix_;
  std::string reason_;
};

}  // namespace sgdnoise
