#pragma once
// The covariance contract every noise model meets (STYLE.md: one property suite for every
// model): draws at a point have mean grad L (gradient noise) or 0 (weight noise) and the
// model's stated covariance C(theta). Each mean coordinate and each covariance entry is
// checked within `sigmas` standard errors: the CLT standard error of a sample mean, and of
// a sample covariance entry (the standard error of the mean of the centred products).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "losses/least_squares.hpp"
#include "noise/noise.hpp"

namespace sgdnoise::test {

/// Rows of G are independent draws; checks their mean against `mean` and their covariance
/// against C, entry-wise within sigmas standard errors; `what` labels failures.
inline void expect_sample_moments(const Mat& G, const Vec& mean, const Mat& C, double sigmas,
                                  const std::string& what = "") {
  const Index d = G.cols();
  const double N = static_cast<double>(G.rows());
  const Vec m = G.colwise().mean().transpose();
  const Mat Y = G.rowwise() - m.transpose();
  for (Index i = 0; i < d; ++i) {
    const double se = std::sqrt(Y.col(i).squaredNorm() / (N - 1.0) / N);
    EXPECT_NEAR(m[i], mean[i], sigmas * se + 1e-14) << what << " mean coordinate " << i;
    for (Index j = 0; j <= i; ++j) {
      const Vec prod = Y.col(i).cwiseProduct(Y.col(j));
      const double c = prod.sum() / (N - 1.0);
      const double se_c = std::sqrt((prod.array() - prod.mean()).square().sum() / (N - 1.0) / N);
      EXPECT_NEAR(c, C(i, j), sigmas * se_c + 1e-14) << what << " covariance entry " << i << "," << j;
    }
  }
}

/// N noisy gradients of `noise` at theta (stream seed 123, Purpose gradient_noise, `step`).
inline Mat draw_gradients(const NoiseModel& noise, const Loss& loss, const Vec& theta, Index N,
                          std::uint64_t step = 3) {
  const Mat X = theta.transpose().replicate(N, 1);
  Mat G(N, theta.size());
  noise.noisy_gradient(loss, {123, Purpose::gradient_noise, step}, 0, X, G);
  return G;
}

/// N_each draws at each point of `thetas`, all in one block (rows [q N_each, (q+1) N_each)
/// at thetas[q], so a model's per-row state is exercised), each group checked against the
/// model's stated C(theta_q) within 5 standard errors. Weight noise: mean 0.
inline void expect_contract(const NoiseModel& noise, const Loss& loss, const std::vector<Vec>& thetas, Index N_each) {
  const Index d = loss.dim(), m = static_cast<Index>(thetas.size());
  Mat X(m * N_each, d);
  for (Index q = 0; q < m; ++q)
    X.middleRows(q * N_each, N_each) = thetas[static_cast<std::size_t>(q)].transpose().replicate(N_each, 1);
  Mat G(X.rows(), d);
  const StreamCoords s{123, Purpose::gradient_noise, 3};
  const bool gradient = noise.target() == NoiseTarget::gradient;
  if (gradient) {
    noise.noisy_gradient(loss, s, 0, X, G);
  } else {
    G.setZero();
    noise.add_sample(s, 0, X, 1.0, G);
  }
  for (Index q = 0; q < m; ++q) {
    const Vec& theta = thetas[static_cast<std::size_t>(q)];
    expect_sample_moments(G.middleRows(q * N_each, N_each), gradient ? loss.gradient_at(theta) : Vec::Zero(d),
                          *noise.covariance(theta), 5.0, "theta " + std::to_string(q));
  }
}

/// The small least-squares problem of the noise suites: n = 12, d = 3, condition 4.
inline std::shared_ptr<const LeastSquares> small_least_squares(Index n = 12, Index d = 3) {
  LeastSquares::Synthetic s;
  s.n = n;
  s.d = d;
  s.n_test = 0;
  s.condition = 4.0;
  s.label_noise = 0.7;
  s.seed = 9;
  return std::make_shared<LeastSquares>(LeastSquares::synthetic(s));
}

/// Two points away from small_least_squares' minimizer (the Fisher differs from Sigma_1 there).
inline std::vector<Vec> two_points() { return {Vec::LinSpaced(3, 0.8, -0.4), Vec::LinSpaced(3, -1.1, 0.6)}; }

}  // namespace sgdnoise::test
