#include "noise/noise.hpp"

namespace sgdnoise {

const char* to_string(NoiseTarget t) { return t == NoiseTarget::gradient ? "gradient" : "weights"; }

void NoiseModel::noisy_gradient(const Loss& loss, const StreamCoords& s, RowIds traj, ConstBlockRef X,
                                BlockRef G) const {
  loss.gradient(X, G);
  add_sample(s, traj, X, 1.0, G);
}

void NoiseModel::add_gradient_deviation(const Loss& loss, const StreamCoords& s, RowIds traj, ConstBlockRef X,
                                        double scale, BlockRef out) const {
  Mat g(X.rows(), X.cols()), full(X.rows(), X.cols());
  noisy_gradient(loss, s, traj, X, g);
  loss.gradient(X, full);
  out += scale * (g - full);
}

NoiseForms noise_forms(const Mat& S, NoiseTarget target, double eta) {
  // docs/conventions.md: Sigma_step = eta^2 C for gradient noise, D = Sigma_step / eta = eta C.
  NoiseForms f;
  if (target == NoiseTarget::gradient) {
    f.C = S;
    f.Sigma_step = eta * eta * S;
  } else {
    f.Sigma_step = S;
    f.C = S / (eta * eta);
  }
  f.D = f.Sigma_step / eta;
  return f;
}

}  // namespace sgdnoise
