#pragma once
// Two scalar sums behind the exact moments of linear dynamics (docs/theory.md 1.4), stable
// where their closed forms cancel.
#include <cstdint>

namespace sgdnoise {

/// sum_{j<k} r^j, exact for any real r (stable near r = 1).
double geometric_sum(double r, std::int64_t k);
/// int_0^tau e^{-s u} du, stable near s = 0.
double exponential_integral(double s, double tau);

}  // namespace sgdnoise
