#pragma once
// One fused step of noisy GD on a diagonal quadratic with diagonal Gaussian weight noise,
//
//   theta_{k+1,j} = (theta_{k,j} - eta lambda_j (theta_{k,j} - theta*_j)) + sigma_j z_{k,j},
//
// (docs/theory.md 1.3; the W1 workload of bench/peers). The generic path runs it as four
// passes over the block (noise buffer zeroed, noise added, gradient, update); here the
// normals of a row chunk and a draw pair are generated into a small buffer (fill_normals,
// the same Philox coordinates: draw j of the step is normal j) and consumed at once by the
// update, so theta is read and written once per step. The arithmetic is the generic
// path's, operation for operation and without contraction:
//   (x - h ((x - c_j) lambda_j)) + (0 + sigma_j z),
// so the result is bitwise that of the generic path, on every instruction set.
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/types.hpp"

namespace sgdnoise {

/// The per-coordinate constants of the step: lambda (the Hessian's diagonal), center (the
/// stationary point theta*), sigma (the noise's standard deviations), all of size d.
struct DiagonalStep {
  const double* lambda;
  const double* center;
  const double* sigma;
  double h;  // the step size of step k
};

/// Advances theta (rows x d, row i trajectory traj[i]) by one step with the normals of
/// stream s (draw j of the step is coordinate j).
void diagonal_noisy_step(const DiagonalStep& p, const StreamCoords& s, RowIds traj, BlockRef theta);

/// The same fusion for any loss whose gradient G (rows x d) is already computed:
/// theta <- (theta - h G) + (0 + sigma_j z), the generic path's operations, so its bits
/// (p.lambda and p.center are not read). The noise buffer's zeroing and its separate
/// pass are gone; the gradient is the loss's own pass.
void weight_noise_step(const DiagonalStep& p, ConstBlockRef G, const StreamCoords& s, RowIds traj, BlockRef theta);

/// The update kernels this CPU can run, the one used first ("avx512", "avx2", "baseline");
/// all give the same bits (no fma). For tests.
std::vector<std::string> diagonal_step_kernels();
/// diagonal_noisy_step with the named update kernel.
void diagonal_noisy_step_with(const std::string& kernel, const DiagonalStep& p, const StreamCoords& s, RowIds traj,
                              BlockRef theta);
/// weight_noise_step with the named update kernel.
void weight_noise_step_with(const std::string& kernel, const DiagonalStep& p, ConstBlockRef G, const StreamCoords& s,
                            RowIds traj, BlockRef theta);

}  // namespace sgdnoise
