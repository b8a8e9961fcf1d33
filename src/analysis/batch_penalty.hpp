#pragma once
// Paper 5 (Gupta 2020; docs/theory.md 1.6 and 6.2): the penalty of the simultaneous update, measured
// on the batch that made the step ("current batch"), on an independent batch and on the full loss.
//
// One SGD step from theta on a batch B moves every weight at once: w = theta - eta g_B with
// g_B = grad L_B(theta). Measured on a loss L_X, the penalty is what the simultaneous step loses
// against the sum of the moves each weight would make alone,
//   P_X(B) = [L_X(w) - L_X(theta)] - sum_i [L_X(theta - eta g_{B,i} e_i) - L_X(theta)]
//          = 1/2 eta^2 sum_{i != j} (H_X)_ij g_{B,i} g_{B,j} + O(eta^3),
// the cross term of docs/theory.md 1.6 ([DERIVED+CHECKED]; here H comes from L_X and g from L_B, the
// same Taylor expansion of L_X around theta), exact when every sample loss l_i is quadratic.
// Averaged over uniform batches (B' independent of B, E H_{B'} = Hbar):
//   current  E_B [1/2 eta^2 sum_{i != j} (H_B)_ij (g_B)_i (g_B)_j]
//   another  1/2 eta^2 sum_{i != j} Hbar_ij E_B[(g_B)_i (g_B)_j]
//   full     the same expectation as another (X = all samples).
// The current batch pays more where H_B and g_B g_B^T co-vary over batches: paper 5's
// "penalties are most pronounced for batches that are currently being used to update"
// (abstract, docs/theory.md 6.1), in our formalisation (docs/theory.md 6.2), not the paper's estimator.
// The expectations are exact moments of batch means (batch_mean_moment2/3, [DERIVED]).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/stats.hpp"
#include "noise/sampling.hpp"

namespace sgdnoise {

/// E[(mean_B u)(mean_B v)] over a uniform batch B of b of the n = u.size() samples: b
/// i.i.d. indices (with replacement) or a uniform b-subset (without). [DERIVED] by counting
/// the positions of B that hold the same sample: b terms on one position, b(b - 1) on two.
/// Throws std::invalid_argument on sizes that differ, b < 1, or b > n without replacement.
double batch_mean_moment2(const Vec& u, const Vec& v, Index b, SgdSampling::Scheme scheme);
/// E[(mean_B h)(mean_B u)(mean_B v)], likewise: b terms on one position, b(b - 1) on each of
/// the three ways two positions coincide, b(b - 1)(b - 2) on three distinct positions, whose
/// samples are distinct without replacement (inclusion-exclusion over the coincidences).
double batch_mean_moment3(const Vec& h, const Vec& u, const Vec& v, Index b, SgdSampling::Scheme scheme);

/// A measured mean over batches against its exact expectation: pass iff
/// |measured - predicted| <= sigmas se + allowance, the allowance being the largest
/// |P_X(B) - 1/2 eta^2 sum_{i != j} (H_X)_ij g_{B,i} g_{B,j}| over the batches (the O(eta^3)
/// remainder: rounding only when every l_i is quadratic) plus 1e-12 max_a |l_a(theta)| for the
/// rounding of the loss differences.
struct PenaltyEstimate {
  Estimate measured;
  double predicted = 0.0;
  double allowance = 0.0;
  double z = 0.0;
  bool passed = false;
};

struct BatchPenaltyRow {
  Index batch = 0;
  PenaltyEstimate current, another, full;
  PenaltyEstimate current_minus_another;  // paired over the same batches B
};

struct BatchPenaltyReport {
  Vec theta;
  double eta = 0.0;
  std::string sampling;
  Index n = 0, d = 0, batches = 0;
  std::uint64_t seed = 0;
  double sigmas = 5.0;
  std::vector<BatchPenaltyRow> rows;
  bool all_passed() const;
};

/// For each batch size: `batches` batches B (the batch SGD trajectory m would draw at step 0
/// with `seed`) and B' (its step-1 batch, independent of B), the three measured penalties per
/// batch from loss values, their means with standard errors, and the exact expectations.
/// Throws std::invalid_argument when the loss gives no sample values or Hessians, on random
/// reshuffling (B and B' of one epoch are dependent), batches < 2, a batch size < 1 (or > n
/// without replacement), eta not finite and > 0, or theta of the wrong size.
BatchPenaltyReport batch_penalty(const std::shared_ptr<const FiniteSumLoss>& loss, const Vec& theta, double eta,
                                 SgdSampling::Scheme scheme, const std::vector<Index>& batch_sizes, Index batches,
                                 std::uint64_t seed, double sigmas = 5.0);

}  // namespace sgdnoise
