#include "dynamics/sde_schemes.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "noise/gaussian.hpp"

namespace sgdnoise {

// ---------------------------------------------------------------------------------------------
// DiffusionFactor

DiffusionFactor::DiffusionFactor(std::shared_ptr<const NoiseModel> noise, Index dim, double eta,
                                 std::shared_ptr<const Preconditioner> preconditioner)
    : noise_(std::move(noise)), d_(dim), eta_(eta), M_(std::move(preconditioner)) {
  if (M_ && M_->dim() != d_) throw std::invalid_argument("preconditioner and loss dimensions differ");
  if (!noise_) return;
  if (noise_->dim() != d_) throw std::invalid_argument("noise and loss dimensions differ");
  const auto S = noise_->covariance(Vec::Zero(d_));
  if (!S)
    throw std::invalid_argument("noise \"" + noise_->kind() +
                                "\" has no covariance (heavy tails): an SDE scheme needs D(theta) = Sigma_step / eta");
  constant_ = noise_->constant_covariance();
  if (constant_) {
    B_ = psd_factor(diffusion(Vec::Zero(d_)));
    m_ = B_.cols();
  } else {
    m_ = d_;
  }
}

Mat DiffusionFactor::diffusion(const Vec& theta) const {
  if (!noise_) return Mat::Zero(d_, d_);
  const auto S = noise_->covariance(theta);
  // D = Sigma_step / eta: eta C for gradient noise, S / eta for weight noise (docs/conventions.md);
  // preconditioned gradient noise -eta M xi has Sigma_step = eta^2 M C M.
  if (noise_->target() == NoiseTarget::weights) return *S / eta_;
  if (!M_) return eta_ * *S;
  const Mat& M = M_->matrix();
  Mat D = eta_ * (M * *S * M);
  return 0.5 * (D + D.transpose());
}

void DiffusionFactor::factor(const Vec& theta, Mat& b) const {
  if (constant_) {
    b = B_;
    return;
  }
  const Mat D = diffusion(theta);
  b.resize(d_, d_);
  const bool diagonal = (D.array() - Mat(D.diagonal().asDiagonal()).array()).cwiseAbs().maxCoeff() == 0.0;
  if (diagonal) {
    b.setZero();
    for (Index i = 0; i < d_; ++i) b(i, i) = std::sqrt(std::max(D(i, i), 0.0));
    return;
  }
  // The symmetric square root V Lambda^{1/2} V^T: a smooth function of D where D > 0,
  // which Milstein's and the weak scheme's differences of b rely on.
  Eigen::SelfAdjointEigenSolver<Mat> es(0.5 * (D + D.transpose()));
  const Vec s = es.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  b.noalias() = es.eigenvectors() * s.asDiagonal() * es.eigenvectors().transpose();
}

// ---------------------------------------------------------------------------------------------
// SdeStepper

const char* to_string(SdeScheme s) {
  switch (s) {
    case SdeScheme::euler_maruyama:
      return "euler_maruyama";
    case SdeScheme::milstein:
      return "milstein";
    case SdeScheme::weak2:
      return "weak2";
  }
  return "?";
}

SchemeOrders nominal_orders(SdeScheme s) {
  switch (s) {
    case SdeScheme::euler_maruyama:
      return {0.5, 1.0};
    case SdeScheme::milstein:
      return {1.0, 1.0};
    case SdeScheme::weak2:
      return {0.5, 2.0};
  }
  return {};
}

namespace {
// Relative size of the central-difference step along b^j: balances the O(h^2)
// truncation against the O(eps / h) rounding of b.
constexpr double kDiffStep = 1e-5;
// Milstein's commutativity test: the defect relative to the size of L b.
constexpr double kCommutativityTol = 1e-5;
}  // namespace

SdeStepper::SdeStepper(std::shared_ptr<const Loss> loss, std::shared_ptr<const NoiseModel> noise, double eta,
                       SdeSpec spec, const std::optional<Vec>& probe)
    : loss_(std::move(loss)),
      eta_(eta),
      spec_(std::move(spec)),
      noise_(spec_.increments == SdeIncrements::noise_draw ? noise : nullptr),
      b_(spec_.increments == SdeIncrements::brownian ? std::move(noise) : nullptr, loss_->dim(), eta,
         spec_.preconditioner) {
  if (!(eta_ > 0.0) || !std::isfinite(eta_)) throw std::invalid_argument("step size eta must be positive and finite");
  if (spec_.substeps < 1) throw std::invalid_argument("substeps must be >= 1");
  if (spec_.preconditioner && spec_.preconditioner->dim() != loss_->dim())
    throw std::invalid_argument("preconditioner and loss dimensions differ");
  if (spec_.increments == SdeIncrements::noise_draw &&
      (spec_.scheme != SdeScheme::euler_maruyama || spec_.drift != SdeDrift::gradient))
    throw std::invalid_argument("the noise model's own increments drive Euler-Maruyama with the gradient drift only");
  if (spec_.preconditioner && spec_.drift != SdeDrift::gradient)
    throw std::invalid_argument(
        "a preconditioner is defined for the gradient drift -M grad L only (not the modified "
        "equation of order 2)");
  if (spec_.scheme == SdeScheme::milstein && !b_.constant()) {
    const Index d = loss_->dim();
    Vec p0 = probe ? *probe : Vec::Zero(d);
    if (p0.size() != d) throw std::invalid_argument("probe point has the wrong dimension");
    // A generic direction, so that a defect that vanishes on an axis is still seen.
    Vec v(d);
    for (Index i = 0; i < d; ++i) v[i] = (i % 2 == 0 ? 1.0 : -0.5) / static_cast<double>(i + 1);
    v *= 0.1 * (1.0 + p0.cwiseAbs().maxCoeff());
    for (const Vec& p : {Vec(p0), Vec(p0 + v), Vec(p0 - v)}) {
      const double defect = commutativity_defect(p);
      if (defect > kCommutativityTol) {
        std::ostringstream m;
        m << "Milstein needs diagonal or commutative noise (L^{j1} b^{j2} = L^{j2} b^{j1}, Kloeden & Platen "
             "1992, sec. 10.3), but the state-dependent diffusion of noise \""
          << b_.noise()->kind() << "\" has relative commutativity defect " << defect << " at theta = [" << p.transpose()
          << "]; use sde_euler_maruyama or sde_weak2";
        throw std::invalid_argument(m.str());
      }
    }
  }
}

void SdeStepper::drift(ConstBlockRef X, BlockRef Mu) const {
  loss_->gradient(X, Mu);
  if (spec_.drift == SdeDrift::modified) {
    // -grad (L + eta/4 ||grad L||^2) = -(grad L + eta/2 H grad L) (Li, Tai & E 2017, Thm 1).
    for (Index i = 0; i < X.rows(); ++i) {
      const Vec g = Mu.row(i).transpose();
      Mu.row(i) += (0.5 * eta_) * loss_->hessian_vector(X.row(i).transpose(), g).transpose();
    }
  }
  if (spec_.preconditioner) spec_.preconditioner->apply(Mu);
  Mu = -Mu;
}

void SdeStepper::lie_derivatives(const Vec& theta, const Mat& b, std::vector<Mat>& Lb) const {
  const Index m = b.cols();
  Lb.resize(static_cast<std::size_t>(m));
  const double delta = kDiffStep * std::max(1.0, theta.cwiseAbs().maxCoeff());
  Mat bp, bm;
  for (Index j = 0; j < m; ++j) {
    const double nrm = b.col(j).norm();
    Mat& L = Lb[static_cast<std::size_t>(j)];
    if (nrm == 0.0) {
      L.setZero(b.rows(), m);
      continue;
    }
    // L^j b = sum_l b^{l j} d_l b = the derivative of b along b^j (K&P 1992, sec. 10.3).
    const double h = delta / nrm;
    b_.factor(theta + h * b.col(j), bp);
    b_.factor(theta - h * b.col(j), bm);
    L = (bp - bm) / (2.0 * h);
  }
}

double SdeStepper::commutativity_defect(const Vec& theta) const {
  if (b_.zero() || b_.constant()) return 0.0;
  Mat b;
  b_.factor(theta, b);
  std::vector<Mat> Lb;
  lie_derivatives(theta, b, Lb);
  const Index m = b.cols();
  double scale = 0.0, defect = 0.0;
  for (Index j = 0; j < m; ++j) scale = std::max(scale, Lb[static_cast<std::size_t>(j)].cwiseAbs().maxCoeff());
  for (Index j1 = 0; j1 < m; ++j1)
    for (Index j2 = j1 + 1; j2 < m; ++j2)
      defect = std::max(
          defect,
          (Lb[static_cast<std::size_t>(j1)].col(j2) - Lb[static_cast<std::size_t>(j2)].col(j1)).cwiseAbs().maxCoeff());
  // Where L b vanishes to rounding (locally additive noise) there is nothing to commute.
  if (scale <= 1e-12 * std::max(b.cwiseAbs().maxCoeff(), 1e-300)) return 0.0;
  return defect / scale;
}

void SdeStepper::advance(std::uint64_t seed, std::uint64_t k, RowIds traj, BlockRef X) const {
  const Index d = loss_->dim();
  const double dt = eta_ / spec_.substeps;
  auto theta = X.leftCols(d);
  for (int s = 0; s < spec_.substeps; ++s) {
    const std::uint64_t sub = k * static_cast<std::uint64_t>(spec_.substeps) + static_cast<std::uint64_t>(s);
    const StreamCoords c{seed, Purpose::sde_increment, sub};
    if (spec_.increments == SdeIncrements::noise_draw)
      substep_noise_draw(c, traj, dt, theta);
    else if (b_.constant())
      substep_constant(c, traj, dt, theta);
    else
      substep_general(c, traj, dt, theta);
  }
}

// Euler-Maruyama with the noise model's own draw: theta -= dt M grad L, then theta += xi, xi the
// draw scaled to covariance D dt: sqrt(dt eta) S^{1/2} z for gradient noise (D = eta C; through M:
// D = eta M C M) and sqrt(dt / eta) for weight noise (D = S / eta).
void SdeStepper::substep_noise_draw(const StreamCoords& c, RowIds traj, double dt, BlockRef X) const {
  const Preconditioner* M = spec_.preconditioner.get();
  thread_local Mat dW;
  if (noise_) {
    const double scale = noise_->target() == NoiseTarget::gradient ? std::sqrt(dt * eta_) : std::sqrt(dt / eta_);
    dW.setZero(X.rows(), X.cols());
    noise_->add_sample(c, traj, X, scale, dW);
    if (M && noise_->target() == NoiseTarget::gradient) M->apply(dW);  // D = eta M C M
  }
  gradient_step(*loss_, M, dt, X);
  if (noise_) X += dW;
}

SdeStepper euler_maruyama(std::shared_ptr<const Loss> loss, std::shared_ptr<const NoiseModel> noise, double eta,
                          int substeps, std::shared_ptr<const Preconditioner> preconditioner) {
  SdeSpec spec;
  spec.substeps = substeps;
  spec.kind = preconditioner ? "sde_euler_maruyama+preconditioned" : "sde_euler_maruyama";
  spec.preconditioner = std::move(preconditioner);
  spec.increments = SdeIncrements::noise_draw;
  return SdeStepper(std::move(loss), std::move(noise), eta, std::move(spec));
}

// Additive noise: b is constant, every derivative of b vanishes. Milstein is then
// Euler-Maruyama, and the weak-2 scheme (K&P sec. 15.1) reduces to
//   Ybar = Y + mu dt + b dW,  Y' = Y + (mu(Y) + mu(Ybar)) dt / 2 + b dW.
void SdeStepper::substep_constant(const StreamCoords& c, RowIds traj, double dt, BlockRef X) const {
  const Index n = X.rows(), d = X.cols(), m = b_.columns();
  thread_local Mat Mu, Noise, Z, Ybar, Mu2;
  Mu.resize(n, d);
  drift(X, Mu);
  Noise.setZero(n, d);
  if (m > 0) {
    Z.resize(n, m);
    fill_normals(c, traj, 0, Z);
    Noise.noalias() = (std::sqrt(dt) * Z) * b_.constant_factor().transpose();
  }
  if (spec_.scheme == SdeScheme::weak2) {
    Ybar = X + dt * Mu + Noise;
    Mu2.resize(n, d);
    drift(Ybar, Mu2);
    X += (0.5 * dt) * (Mu + Mu2) + Noise;
  } else {
    X += dt * Mu + Noise;
  }
}

void SdeStepper::substep_general(const StreamCoords& c, RowIds traj, double dt, BlockRef X) const {
  const Index n = X.rows(), d = X.cols(), m = b_.columns();
  const double sq = std::sqrt(dt);
  Mat Mu(n, d), dW(n, m);
  drift(X, Mu);
  fill_normals(c, traj, 0, dW);
  dW *= sq;
  std::vector<Mat> bs(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) b_.factor(X.row(i).transpose(), bs[static_cast<std::size_t>(i)]);

  if (spec_.scheme == SdeScheme::euler_maruyama) {
    for (Index i = 0; i < n; ++i)
      X.row(i) += dt * Mu.row(i) + (bs[static_cast<std::size_t>(i)] * dW.row(i).transpose()).transpose();
    return;
  }

  if (spec_.scheme == SdeScheme::milstein) {
    // Commutative noise (K&P 1992, sec. 10.3):
    //   Y' = Y + mu dt + sum_j b^j dW_j + 1/2 sum_{j1, j2} L^{j1} b^{j2} dW_{j1} dW_{j2}
    //        - 1/2 sum_j L^j b^j dt.
    std::vector<Mat> Lb;
    for (Index i = 0; i < n; ++i) {
      const Mat& b = bs[static_cast<std::size_t>(i)];
      const Vec y = X.row(i).transpose();
      const Vec w = dW.row(i).transpose();
      lie_derivatives(y, b, Lb);
      Vec out = y + dt * Mu.row(i).transpose() + b * w;
      for (Index j1 = 0; j1 < m; ++j1) {
        const Mat& L = Lb[static_cast<std::size_t>(j1)];
        out += 0.5 * w[j1] * (L * w) - 0.5 * dt * L.col(j1);
      }
      X.row(i) = out.transpose();
    }
    return;
  }

  // Platen's explicit order-2.0 weak scheme, multi-dimensional noise (K&P 1992, sec. 15.1):
  //   Ybar  = Y + mu dt + sum_j b^j dW_j,  R^j_pm = Y + mu dt +- b^j sqrt(dt),  U^r_pm = Y +- b^r sqrt(dt)
  //   Y' = Y + (mu(Ybar) + mu) dt / 2
  //      + 1/4 sum_j [ (b^j(R^j_+) + b^j(R^j_-) + 2 b^j) dW_j + sum_{r != j} (b^j(U^r_+) + b^j(U^r_-) - 2 b^j) dW_j ]
  //      + 1/4 sum_j [ (b^j(R^j_+) - b^j(R^j_-)) (dW_j^2 - dt)
  //                    + sum_{r != j} (b^j(U^r_+) - b^j(U^r_-)) (dW_j dW_r + V_{r,j}) ] / sqrt(dt)
  // with V_{r,j} = -V_{j,r} = +-dt equally likely for r < j (K&P sec. 14.2).
  Mat Ybar(n, d), Mu2(n, d);
  for (Index i = 0; i < n; ++i)
    Ybar.row(i) = X.row(i) + dt * Mu.row(i) + (bs[static_cast<std::size_t>(i)] * dW.row(i).transpose()).transpose();
  drift(Ybar, Mu2);
  const Index npairs = m * (m - 1) / 2;
  Mat Uv(n, npairs);
  if (npairs > 0) fill_uniforms({c.seed, Purpose::sde_weak2_auxiliary, c.step}, traj, 0, Uv);
  Mat V(m, m), bp, bm;
  for (Index i = 0; i < n; ++i) {
    const Mat& b = bs[static_cast<std::size_t>(i)];
    const Vec y = X.row(i).transpose();
    const Vec w = dW.row(i).transpose();
    const Vec ymu = y + dt * Mu.row(i).transpose();
    V.setZero();
    for (Index r = 0, p = 0; r < m; ++r)
      for (Index j = r + 1; j < m; ++j, ++p) {
        V(r, j) = Uv(i, p) < 0.5 ? -dt : dt;
        V(j, r) = -V(r, j);
      }
    Vec out = y + (0.5 * dt) * (Mu.row(i) + Mu2.row(i)).transpose();
    for (Index j = 0; j < m; ++j) {
      b_.factor(ymu + sq * b.col(j), bp);
      b_.factor(ymu - sq * b.col(j), bm);
      out += 0.25 * (bp.col(j) + bm.col(j) + 2.0 * b.col(j)) * w[j];
      out += (0.25 / sq) * (bp.col(j) - bm.col(j)) * (w[j] * w[j] - dt);
    }
    for (Index r = 0; r < m; ++r) {
      b_.factor(y + sq * b.col(r), bp);
      b_.factor(y - sq * b.col(r), bm);
      for (Index j = 0; j < m; ++j) {
        if (j == r) continue;
        out += 0.25 * (bp.col(j) + bm.col(j) - 2.0 * b.col(j)) * w[j];
        out += (0.25 / sq) * (bp.col(j) - bm.col(j)) * (w[j] * w[r] + V(r, j));
      }
    }
    X.row(i) = out.transpose();
  }
}

}  // namespace sgdnoise
