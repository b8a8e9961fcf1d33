#include "analysis/predictions/strong_coupling_moments.hpp"

#include <cmath>

namespace sgdnoise {

std::optional<CoupledSecondMoments> coupled_second_moments(const FiniteSumLoss& loss, const MultiplicativeNoise& noise,
                                                           double eta, int substeps, const Vec& theta0,
                                                           std::int64_t steps, std::string* why) {
  if (!loss.affine_gradient()) {
    if (why) *why = "the exact coupled moments need a loss with an affine gradient (least squares, sum of quadratics)";
    return std::nullopt;
  }
  const Index d = loss.dim(), n = loss.n_samples();
  const double nd = static_cast<double>(n);
  // F = Cov(V)^{1/2} from the stated Cov(V) = a P + b I (P the centring projector).
  const SamplingCovariance cv = noise.weight_covariance();
  Mat F = Mat::Constant(n, n, (std::sqrt(cv.uncentred) - std::sqrt(cv.centred + cv.uncentred)) / nd);
  F.diagonal().array() += std::sqrt(cv.centred + cv.uncentred);
  // g_i(theta) = g_i(0) + H_i theta: columns of G(e_j) - G(0) are H_i e_j.
  const Mat G0 = loss.sample_gradients(Vec::Zero(d));
  std::vector<Mat> GjF(static_cast<std::size_t>(d));
  Mat H(d, d);
  for (Index j = 0; j < d; ++j) {
    const Mat Gj = loss.sample_gradients(Vec::Unit(d, j)) - G0;
    H.col(j) = Gj.rowwise().mean();
    GjF[static_cast<std::size_t>(j)] = Gj * F;
  }
  const Vec gbar = G0.rowwise().mean();
  const Mat G0F = G0 * F;

  // Blocks of u = (theta, T, X, Y, Q, 1).
  const Index th = 0, T = d, X = 2 * d, Y = 3 * d, Q = 4 * d, one = 5 * d, p = 5 * d + 1;
  const int M = substeps;
  const bool half = M % 2 == 0;
  const double dt = eta / M, sM = std::sqrt(static_cast<double>(M));
  const Mat I = Mat::Identity(d, d);

  Vec u0 = Vec::Zero(p);
  for (Index b : {th, X, Y}) u0.segment(b, d) = theta0;
  u0[one] = 1.0;
  Mat S = u0 * u0.transpose();

  // Deterministic maps (identity elsewhere): the start of a step, T = (I - eta H) theta - eta gbar;
  // the start of a pair, Q = (I - 2 dt H) Y - 2 dt gbar; the reference's drift.
  auto init_map = [&](Index to, Index from, double h) {
    Mat A = Mat::Identity(p, p);
    A.block(to, to, d, d).setZero();
    A.block(to, from, d, d) = I - h * H;
    A.block(to, one, d, 1) = -h * gbar;
    return A;
  };
  auto copy_map = [&](Index to, Index from) {
    Mat A = Mat::Identity(p, p);
    A.block(to, to, d, d).setZero();
    A.block(to, from, d, d) = I;
    return A;
  };
  const Mat A_step = init_map(T, th, eta), A_pair = init_map(Q, Y, 2.0 * dt), A_end = copy_map(th, T),
            A_pair_end = copy_map(Y, Q);
  Mat A_drift = Mat::Identity(p, p);
  A_drift.block(X, X, d, d) = I - dt * H;
  A_drift.block(X, one, d, 1) = -dt * gbar;
  // N_l: column l of -(c) G(.) F at theta (into T, c = eta / sqrt M), X (into X, c = dt sqrt M)
  // and Y (into Q, c = dt sqrt M; Euler-Maruyama sub-steps of the SDE b = -sqrt(eta) G F).
  std::vector<Mat> N(static_cast<std::size_t>(n), Mat::Zero(p, p));
  for (Index l = 0; l < n; ++l) {
    Mat& Nl = N[static_cast<std::size_t>(l)];
    for (const auto& [to, from, c] :
         {std::tuple{T, th, eta / sM}, std::tuple{X, X, dt * sM}, std::tuple{Q, Y, dt * sM}}) {
      if (to == Q && !half) continue;
      for (Index j = 0; j < d; ++j) Nl.block(to, from + j, d, 1) = -c * GjF[static_cast<std::size_t>(j)].col(l);
      Nl.block(to, one, d, 1) = -c * G0F.col(l);
    }
  }
  auto sq_distance = [&](Index a, Index b) {
    return S.block(a, a, d, d).trace() + S.block(b, b, d, d).trace() - 2.0 * S.block(a, b, d, d).trace();
  };
  CoupledSecondMoments out;
  auto record = [&] {
    out.strong_sq.push_back(sq_distance(th, X));
    if (half) out.reference_sq.push_back(sq_distance(X, Y));
  };
  record();
  Mat Snext(p, p);
  for (std::int64_t k = 0; k < steps; ++k) {
    S = A_step * S * A_step.transpose();
    for (int s = 0; s < M; ++s) {
      if (half && s % 2 == 0) S = A_pair * S * A_pair.transpose();
      Snext.noalias() = A_drift * S * A_drift.transpose();
      for (const Mat& Nl : N) Snext.noalias() += Nl * S * Nl.transpose();
      S = Snext;
      if (half && s % 2 == 1) S = A_pair_end * S * A_pair_end.transpose();
    }
    S = A_end * S * A_end.transpose();
    record();
  }
  return out;
}

}  // namespace sgdnoise
