#pragma once
// Gaussian multiplicative SGD and its SDE driven by one Brownian path (paper 1's path-wise
// claim; docs/theory.md 2, row P1-1 of 7): the strong error E|theta_k - X(k eta)|.
//
// Paper 1's Gaussian multiplicative noise (docs/theory.md 1.2) draws z ~ N(0, I_n) per step and
// weights W = 1/n + F z, F = Cov(V)^{1/2} = (sigma / n) P (Cov type, P = I - 1 1^T / n, a
// projector) or (sigma / n) I (Fisher type), so that
//   theta_{k+1} = theta_k - eta G(theta_k) W_k = theta_k - eta grad L(theta_k) - eta G(theta_k) F z_k.
// Its SDE (paper 1, v1 abstract; docs/theory.md 2) in tau = k eta, with an n-dimensional W:
//   dX = -grad L(X) dtau - sqrt(eta) G(X) F dW_tau,      b b^T = eta G F F^T G^T = eta C = D.
// The factor is the sampling one, G F (d x n), not D^{1/2}: the same law, but only this factor
// makes the discrete step the Euler-Maruyama step of the SDE with dt = eta on the same n
// Gaussians (the minus sign too: the step subtracts eta times the noisy gradient).
//
// Coupling: over [k eta, (k+1) eta] the reference draws the M sub-step increments
// dW_s = sqrt(dt) xi_s, xi_s the normals of purpose sde_increment at sub-step k M + s (draw j =
// component j, as every SDE scheme of sde_schemes.hpp), dt = eta / M; the discrete step uses
// z_k = (W((k+1) eta) - W(k eta)) / sqrt(eta) = sum_s xi_s / sqrt(M), exactly N(0, I_n).
//
// The reference is Euler-Maruyama with M sub-steps (Kloeden & Platen 1992, 10.2): one
// sub-step is a multiplicative step of size dt with sigma sqrt(M), since
// dt (sigma sqrt(M) / n) = sqrt(eta) sqrt(dt) (sigma / n). With M = 1 it is the discrete
// chain itself, to the bit. Its own error is measured on the same path by a half reference
// (M / 2 sub-steps on the pairwise sums (xi_{2j} + xi_{2j+1}) / sqrt 2; M even).
//
// Expected strong order of the discrete chain (the derivation; Kloeden & Platen 1992, 10.2
// and 5.5 for the Ito-Taylor terms): EM's local error is the sum of the terms it drops,
//   L^0 a I_(0,0) ~ h^2 (not mean zero)            -> global O(h)
//   L^j1 b^j2 I_(j1,j2) ~ |L b| h (mean zero)      -> global O(|L b| h^{1/2})
//   L^j a I_(j,0), L^0 b^j I_(0,j) ~ |b| h^{3/2}    -> global O(|b| h)
// with h = eta. Generic multiplicative noise has |L b| = O(1): strong order 1/2. Here
// b = sqrt(eta) G F, so L^j1 b^j2 = (b^j1 . grad) b^j2 = O(eta): that term is O(eta^{3/2}),
// and the drift's O(eta) dominates: strong order 1 in eta. Its leading term is the noise-free
// error of GD against gradient flow along the path, so E|theta_k - X(k eta)| = eta |c(tau)| +
// O(eta^2) with c the deterministic error coefficient (the O(eta^{3/2}) part is mean zero to
// leading order). Where c vanishes (from the minimizer of a loss with an affine gradient,
// where the flow stays put) the order is 3/2.
#include <memory>

#include "dynamics/stepper.hpp"
#include "noise/sampling.hpp"

namespace sgdnoise {

class StrongCoupling final : public Stepper {
 public:
  /// Columns of the state: theta (the discrete chain), X (reference, M sub-steps), and Y
  /// (half reference, M / 2 sub-steps; left at theta_0 when M is odd), all starting at theta_0. Throws
  /// std::invalid_argument when the noise is not Gaussian or M < 1.
  StrongCoupling(std::shared_ptr<const FiniteSumLoss> loss, std::shared_ptr<const MultiplicativeNoise> noise,
                 double eta, int substeps);
  std::string kind() const override { return "strong_coupling"; }
  double eta() const override { return eta_; }
  int substeps() const { return m_; }
  /// Whether the half reference runs (M even).
  bool half_reference() const { return m_ % 2 == 0; }
  Index extra_columns() const override { return 2 * loss_->dim(); }
  /// X and Y start at theta_0.
  Vec initial_extra(const Vec& theta0) const override { return theta0.replicate(2, 1); }
  void advance(std::uint64_t seed, std::uint64_t k, RowIds traj, BlockRef X) const override;
  const MultiplicativeNoise& noise() const { return *noise_; }

 private:
  /// Y <- Y - h G(Y) W(Z) with W from the normals Z at strength sigma (Z is overwritten).
  void multiplicative_step(double h, double sigma, Mat& Z, BlockRef Y) const;
  std::shared_ptr<const FiniteSumLoss> loss_;
  std::shared_ptr<const MultiplicativeNoise> noise_;
  double eta_;
  int m_;
};

}  // namespace sgdnoise
