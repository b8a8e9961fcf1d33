#pragma once
// Branch-free log and sincos for loops that must vectorize (rng.cpp's Box-Muller).
//
// libm's scalar log/sin/cos do not vectorize, and a vector math library (libmvec,
// -ffast-math) computes other bits than the scalar calls of a loop's remainder,
// which would break the rule that the vectorized body and the scalar remainder
// compute the same numbers (docs/conventions.md, determinism). These kernels use only
// +, -, *, / and sqrt (correctly rounded in IEEE 754), fma where asked for (also
// correctly rounded), integer operations on the bit patterns, and rounding to an
// integer by adding and subtracting 1.5 * 2^52; GCC's contraction of a * b + c into
// an fma is switched off below, so a lane of a vector computes exactly what the
// scalar code computes, whatever the instruction set.
//
// Methods (J.-M. Muller, "Elementary Functions: Algorithms and Implementation",
// 3rd ed., Birkhaeuser 2016, the chapters on polynomial approximation and on
// additive (Cody-Waite) range reduction):
//  - log: x = 2^k m with m in [sqrt(2)/2, sqrt(2)), f = m - 1 (exact),
//    s = f / (2 + f), log(1 + f) = 2 atanh(s) = f - (f^2/2 - s (f^2/2 + R)) with
//    R = z Q(z), z = s^2 <= (3 - 2 sqrt 2)^2, Q a degree-6 polynomial fitted to
//    (2 atanh(s) / s - 2) / z (error 3e-16 on Q, i.e. below 5e-18 relative on the
//    log); the arrangement is fdlibm's e_log.c. k ln 2 is added as k ln2_hi (exact:
//    ln2_hi has 11 trailing zero bits) plus k ln2_lo.
//  - sin(2 pi t), cos(2 pi t): the argument in turns is reduced exactly,
//    n = round(4 t), r = 4 t - n in [-1/2, 1/2] (both exact), theta = pi r / 2 in
//    [-pi/4, pi/4]; sin(theta) = r P(r^2) with P of degree 6 (error 5e-18) and
//    cos(theta) = 1 + r^2 C(r^2) with C of degree 7 (error 3e-20); the quadrant
//    n mod 4 swaps them and sets the signs. Reducing in turns avoids both the
//    rounding of 2 pi t and a Payne-Hanek step.
//  The polynomials are Chebyshev fits (mpmath.chebyfit, 300-bit arithmetic), which
//  are within a few percent of minimax, rounded to double. Measured against long
//  double references (tests/test_fast_math.cpp), with or without fma: log 1.5e-16
//  relative error on [2^-54, 1], sin and cos 1.5e-16 absolute error.
#include <bit>
#include <cmath>
#include <cstdint>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

namespace sgdnoise::fast_math {

/// a * b + c, fused (one rounding) when kFma, else two roundings. Use kFma only
/// where the target has an fma instruction, or it becomes a slow libm call.
template <bool kFma>
[[gnu::always_inline]] inline double mul_add(double a, double b, double c) {
  if constexpr (kFma) {
    return std::fma(a, b, c);
  } else {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
    return a * b + c;
  }
}

/// Natural logarithm of a positive normal finite x (no subnormals, zero, inf, NaN).
template <bool kFma = false>
[[gnu::always_inline]] inline double log_normal_pos(double x) {
  constexpr std::uint64_t kSqrtHalf = 0x3fe6a09e667f3bcdull;  // bits of sqrt(2)/2
  constexpr std::uint64_t kOneBits = 0x3ff0000000000000ull;
  constexpr std::uint64_t kMantissa = 0x000fffffffffffffull;
  // Shift the bits so that the exponent field of (x's bits + shift) is 1023 + k
  // with x = 2^k m, m in [sqrt(2)/2, sqrt(2)).
  const std::uint64_t ix = std::bit_cast<std::uint64_t>(x) + (kOneBits - kSqrtHalf);
  const double m = std::bit_cast<double>((ix & kMantissa) + kSqrtHalf);
  // k as a double without an int64 -> double conversion (none before AVX-512):
  // 2^52 + e is exact for the biased exponent e < 2^11.
  const double k = std::bit_cast<double>((ix >> 52) | 0x4330000000000000ull) - (0x1p52 + 1023.0);
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s;
  double q = 0x1.2b584aae78a57p-3;
  q = mul_add<kFma>(q, z, 0x1.39fe606542ddep-3);
  q = mul_add<kFma>(q, z, 0x1.7462b4ab2ef6bp-3);
  q = mul_add<kFma>(q, z, 0x1.c71c62e5800a1p-3);
  q = mul_add<kFma>(q, z, 0x1.2492492df148dp-2);
  q = mul_add<kFma>(q, z, 0x1.99999999952e2p-2);
  q = mul_add<kFma>(q, z, 0x1.5555555555558p-1);  // ~ 2/3
  const double hfsq = 0.5 * f * f;
  constexpr double kLn2Hi = 0x1.62e42fee00000p-1, kLn2Lo = 0x1.a39ef35793c76p-33;
  const double tail = mul_add<kFma>(s, mul_add<kFma>(z, q, hfsq), k * kLn2Lo);
  return mul_add<kFma>(k, kLn2Hi, f - (hfsq - tail));
}

/// cos(2 pi t) and sin(2 pi t) for |t| < 2^49.
template <bool kFma = false>
[[gnu::always_inline]] inline void sincos_turns(double t, double& c, double& s) {
  constexpr double kRound = 0x1.8p52;  // adding it rounds |x| < 2^51 to an integer
  const double a = 4.0 * t;            // quarter turns, exact
  const double big = a + kRound;
  const auto q = std::bit_cast<std::uint64_t>(big);  // low bits: n = round(a) mod 2^51
  const double r = a - (big - kRound);               // in [-1/2, 1/2], exact
  const double z = r * r;
  double ps = 0x1.e3f38399551bfp-25;  // sin(pi r / 2) / r
  ps = mul_add<kFma>(ps, z, -0x1.e30071afc3e59p-19);
  ps = mul_add<kFma>(ps, z, 0x1.50782fda12d96p-13);
  ps = mul_add<kFma>(ps, z, -0x1.32d2cce2e5b19p-8);
  ps = mul_add<kFma>(ps, z, 0x1.466bc677587f8p-4);
  ps = mul_add<kFma>(ps, z, -0x1.4abbce625be41p-1);
  ps = mul_add<kFma>(ps, z, 0x1.921fb54442d18p+0);  // pi/2
  const double sn = r * ps;
  double pc = -0x1.b264ba152378ap-28;  // (cos(pi r / 2) - 1) / r^2
  pc = mul_add<kFma>(pc, z, 0x1.f9cc41140bb60p-22);
  pc = mul_add<kFma>(pc, z, -0x1.a6d1ec7906c20p-16);
  pc = mul_add<kFma>(pc, z, 0x1.e1f5068355e15p-11);
  pc = mul_add<kFma>(pc, z, -0x1.55d3c7e3c90f8p-6);
  pc = mul_add<kFma>(pc, z, 0x1.03c1f081b5aacp-2);
  pc = mul_add<kFma>(pc, z, -0x1.3bd3cc9be45dep+0);  // -(pi/2)^2 / 2
  const double cs = mul_add<kFma>(pc, z, 1.0);
  // Quadrant n mod 4: 0: (cs, sn), 1: (-sn, cs), 2: (-cs, -sn), 3: (sn, -cs).
  const std::uint64_t swap = 0 - (q & 1);  // all ones in quadrants 1 and 3
  const std::uint64_t sb = std::bit_cast<std::uint64_t>(sn), cb = std::bit_cast<std::uint64_t>(cs);
  const std::uint64_t cos_bits = (cb & ~swap) | (sb & swap);
  const std::uint64_t sin_bits = (sb & ~swap) | (cb & swap);
  c = std::bit_cast<double>(cos_bits ^ (((q + 1) & 2) << 62));
  s = std::bit_cast<double>(sin_bits ^ ((q & 2) << 62));
}

}  // namespace sgdnoise::fast_math

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
