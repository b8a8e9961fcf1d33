#include "losses/loss.hpp"

namespace sgdnoise {

double Loss::value_at(const Vec& theta) const {
  Mat X = theta.transpose();
  Vec out(1);
  value(X, out);
  return out[0];
}

Vec Loss::gradient_at(const Vec& theta) const {
  Mat X = theta.transpose();
  Mat G(1, theta.size());
  gradient(X, G);
  return G.row(0).transpose();
}

}  // namespace sgdnoise
