// The counter-based normal generator: bit-exact Philox, moments of the normals,
// and independence of the stream layout from how a block is cut.
#include <gtest/gtest.h>

#include <Random123/philox.h>

#include <cmath>

#include "core/rng.hpp"

using namespace sgdnoise;

TEST(Rng, PhiloxMatchesRandom123Reference) {
  r123::Philox4x32 ref;
  for (std::uint64_t seed : {0ull, 1ull, 0xDEADBEEFCAFEull, 0xFFFFFFFFFFFFFFFFull}) {
    for (std::uint32_t t = 0; t < 50; ++t) {
      const StreamCoords s{seed, Purpose::sde_increment, 0x123456789ull * t};
      std::uint32_t ours[4];
      philox_block(s, 1000 + t, 3 * t, ours);
      r123::Philox4x32::ctr_type c = {{static_cast<std::uint32_t>(1000 + t),
                                       (static_cast<std::uint32_t>(Purpose::sde_increment) << 24) | (3 * t),
                                       static_cast<std::uint32_t>(s.step), static_cast<std::uint32_t>(s.step >> 32)}};
      r123::Philox4x32::key_type k = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
      const auto out = ref(c, k);
      for (int i = 0; i < 4; ++i) ASSERT_EQ(ours[i], out.v[i]) << "seed " << seed << " t " << t << " word " << i;
    }
  }
}

// Sample moments of 2^22 normals against N(0,1), each with a 5-sigma tolerance
// from the estimator's standard error: se(mean) = 1/sqrt(n), se(var) = sqrt(2/n),
// se(third moment) = sqrt(15/n), se(fourth moment) = sqrt(96/n).
TEST(Rng, NormalMoments) {
  const Index rows = 4096, cols = 1024;
  Mat Z(rows, cols);
  fill_normals({42, Purpose::gradient_noise, 7}, 0, 0, Z);
  const double n = static_cast<double>(Z.size());
  const double m1 = Z.mean();
  const double m2 = Z.array().square().mean();
  const double m3 = Z.array().cube().mean();
  const double m4 = Z.array().square().square().mean();
  EXPECT_NEAR(m1, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(m2, 1.0, 5.0 * std::sqrt(2.0 / n));
  EXPECT_NEAR(m3, 0.0, 5.0 * std::sqrt(15.0 / n));
  EXPECT_NEAR(m4, 3.0, 5.0 * std::sqrt(96.0 / n));
  // Tail: P(|z| > 3) = 0.0026998; binomial standard error.
  const double p = 0.0026997960632601866;
  const double tail = (Z.array().abs() > 3.0).cast<double>().mean();
  EXPECT_NEAR(tail, p, 5.0 * std::sqrt(p * (1 - p) / n));
}

// Draw j of a trajectory is the same number whether it is filled alone, in a
// wider fill, or in a block starting at another trajectory (docs/conventions.md).
TEST(Rng, DrawsDependOnlyOnTheirCoordinates) {
  const StreamCoords s{9, Purpose::gradient_noise, 123};
  Mat wide(37, 9);
  fill_normals(s, 100, 0, wide);
  Mat narrow(5, 4);
  fill_normals(s, 110, 0, narrow);
  EXPECT_EQ(narrow, wide.block(10, 0, 5, 4));
  Mat tail(37, 3);
  fill_normals(s, 100, 6, tail);
  EXPECT_EQ(tail, wide.rightCols(3));
  Mat other(37, 9);
  fill_normals({9, Purpose::sde_increment, 123}, 100, 0, other);
  EXPECT_NE(other, wide);
  EXPECT_THROW(fill_normals(s, 0, 1, narrow), std::invalid_argument);
}
