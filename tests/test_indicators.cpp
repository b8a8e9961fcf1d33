// Noise indicators and the anisotropy ratio of docs/theory.md 1.4, item 3.
#include <gtest/gtest.h>

#include "analysis/indicators.hpp"
#include "losses/quadratic.hpp"

namespace sgdnoise {
namespace {

// Each ratio is a quotient of O(d^2)-term sums of O(1) numbers: its rounding is
// O(d eps) ~ 1e-15 for d = 12, so 1e-13 relative is a safe bound.
constexpr double kRel = 1e-13;

Quadratic test_quadratic() {
  Vec lambda(12);
  lambda << 9.0, 5.0, 3.0, 2.0, 1.5, 1.0, 0.8, 0.5, 0.3, 0.2, 0.1, 0.05;
  return Quadratic(lambda, random_orthogonal(12, 101), Vec::Zero(12));
}

TEST(Indicators, NoiseProportionalToHessian) {
  const Quadratic q = test_quadratic();
  const Mat& H = q.H();
  const double eta = 0.05, c = 0.3;
  const Indicators ind = noise_indicators(H, c * H, eta);
  const double d = 12.0;
  const Vec& l = q.eigenvalues();
  ASSERT_TRUE(ind.anisotropy_ratio.has_value()) << ind.anisotropy_reason;
  const double expected = d * l.squaredNorm() / (l.sum() * l.sum());  // d Tr(H^2) / (Tr H)^2
  EXPECT_NEAR(*ind.anisotropy_ratio, expected, kRel * expected);
  EXPECT_GE(*ind.anisotropy_ratio, 1.0);  // Cauchy-Schwarz
  EXPECT_NEAR(ind.trace_H_C, c * l.squaredNorm(), kRel * c * l.squaredNorm());
  EXPECT_DOUBLE_EQ(ind.trace_H_Sigma_step, eta * eta * ind.trace_H_C);
  EXPECT_NEAR(ind.trace_C, c * l.sum(), kRel * c * l.sum());
  EXPECT_NEAR(ind.frobenius_C, c * l.norm(), kRel * c * l.norm());
  EXPECT_TRUE(ind.anisotropy_reason.empty());
}

TEST(Indicators, TopEigenvectorNoise) {
  const Quadratic q = test_quadratic();
  const Vec u1 = q.eigenvectors().col(0);  // lambda_1 = 9
  const Indicators ind = noise_indicators(q.H(), u1 * u1.transpose(), 0.1);
  ASSERT_TRUE(ind.anisotropy_ratio.has_value()) << ind.anisotropy_reason;
  const double expected = 12.0 * 9.0 / q.eigenvalues().sum();  // d lambda_1 / Tr H
  EXPECT_NEAR(*ind.anisotropy_ratio, expected, kRel * expected);
  EXPECT_NEAR(ind.trace_C, 1.0, kRel);
  EXPECT_NEAR(ind.frobenius_C, 1.0, kRel);
}

TEST(Indicators, IsotropicNoiseIsExactlyOne) {
  // Integer entries and a power-of-two noise level make every sum exact, so the
  // ratio is exactly 1.
  Mat H(3, 3);
  H << 4, 1, -2, 1, 3, 0, -2, 0, 5;
  const Indicators ind = noise_indicators(H, 2.0 * Mat::Identity(3, 3), 0.1);
  ASSERT_TRUE(ind.anisotropy_ratio.has_value());
  EXPECT_EQ(*ind.anisotropy_ratio, 1.0);
  // A general H: equal up to rounding of two trace sums.
  const Quadratic q = test_quadratic();
  const Indicators ind2 = noise_indicators(q.H(), 0.7 * Mat::Identity(12, 12), 0.1);
  ASSERT_TRUE(ind2.anisotropy_ratio.has_value());
  EXPECT_NEAR(*ind2.anisotropy_ratio, 1.0, kRel);
}

TEST(Indicators, UndefinedWhenATraceVanishes) {
  const Quadratic q = test_quadratic();
  const Indicators no_noise = noise_indicators(q.H(), Mat::Zero(12, 12), 0.1);
  EXPECT_FALSE(no_noise.anisotropy_ratio.has_value());
  EXPECT_FALSE(no_noise.anisotropy_reason.empty());
  EXPECT_EQ(no_noise.trace_H_C, 0.0);

  Mat saddle(2, 2);
  saddle << 1, 3, 3, -1;  // Tr H = 0
  const Indicators flat = noise_indicators(saddle, Mat::Identity(2, 2), 0.1);
  EXPECT_FALSE(flat.anisotropy_ratio.has_value());
  EXPECT_NE(flat.anisotropy_reason.find("undefined"), std::string::npos);
  EXPECT_EQ(flat.trace_C, 2.0);
}

TEST(Indicators, RejectsMismatchedSizes) {
  EXPECT_THROW(noise_indicators(Mat::Identity(2, 2), Mat::Identity(3, 3), 0.1), std::invalid_argument);
}

}  // namespace
}  // namespace sgdnoise

namespace sgdnoise {
namespace {

// Paper 3's alignment u1^T C u1 Tr H / (lambda1 Tr C) (docs/theory.md 4.3 (P-b)).
TEST(Alignment, HessianIsOneIsotropicAndTopEigenvectorAreTheirClosedForms) {
  const Quadratic q = test_quadratic();
  const Mat& H = q.H();
  const double trH = H.trace();
  // C = c I: c Tr H / (lambda1 c d) = Tr H / (d lambda1).
  const Indicators iso = noise_indicators(H, 0.3 * Mat::Identity(12, 12), 0.1);
  ASSERT_TRUE(iso.alignment.has_value()) << iso.alignment_reason;
  EXPECT_NEAR(*iso.alignment, trH / (12.0 * 9.0), kRel);
  EXPECT_EQ(iso.top_multiplicity, 1);
  const Vec u1 = q.eigenvectors().col(0);
  const Indicators top = noise_indicators(H, 2.0 * u1 * u1.transpose(), 0.1);
  ASSERT_TRUE(top.alignment.has_value());
  EXPECT_NEAR(*top.alignment, trH / 9.0, kRel * trH / 9.0);
  // C = c H: u1^T (c H) u1 Tr H / (lambda1 c Tr H) = 1.
  const Indicators prop = noise_indicators(H, 0.5 * H, 0.1);
  EXPECT_NEAR(*prop.alignment, 1.0, kRel);
  // A noise orthogonal to u1 has alignment 0.
  const Vec u2 = q.eigenvectors().col(1);
  EXPECT_NEAR(*noise_indicators(H, u2 * u2.transpose(), 0.1).alignment, 0.0, kRel);
}

TEST(Alignment, DegenerateTopEigenvalueAveragesOverTheEigenspace) {
  Vec lambda(4);
  lambda << 3.0, 3.0, 1.0, 1.0;
  const Quadratic q(lambda, random_orthogonal(4, 9), Vec::Zero(4));
  const Vec u = q.eigenvectors().col(0);  // one vector of the top eigenspace
  const Indicators ind = noise_indicators(q.H(), u * u.transpose(), 0.1);
  ASSERT_TRUE(ind.alignment.has_value());
  EXPECT_EQ(ind.top_multiplicity, 2);
  // Tr(P1 C) / 2 = 1/2, so the alignment is (1/2) * 8 / (3 * 1).
  EXPECT_NEAR(*ind.alignment, 0.5 * 8.0 / 3.0, 1e-12);
}

TEST(Alignment, UndefinedWithAReasonNeverNaN) {
  const Quadratic q = test_quadratic();
  const Indicators none = noise_indicators(q.H(), Mat::Zero(12, 12), 0.1);
  EXPECT_FALSE(none.alignment.has_value());
  EXPECT_NE(none.alignment_reason.find("Tr C"), std::string::npos) << none.alignment_reason;
  const Mat negative = -Mat::Identity(3, 3);
  const Indicators neg = noise_indicators(negative, Mat::Identity(3, 3), 0.1);
  EXPECT_FALSE(neg.alignment.has_value());
  EXPECT_NE(neg.alignment_reason.find("lambda_1"), std::string::npos) << neg.alignment_reason;
  // A saddle with Tr H < 0 but a positive top eigenvalue: Tr H is not positive.
  Mat saddle = Mat::Zero(2, 2);
  saddle.diagonal() << 1.0, -3.0;
  const Indicators s = noise_indicators(saddle, Mat::Identity(2, 2), 0.1);
  EXPECT_FALSE(s.alignment.has_value());
  EXPECT_NE(s.alignment_reason.find("Tr H"), std::string::npos) << s.alignment_reason;
}

}  // namespace
}  // namespace sgdnoise
