// The polynomial loss (losses/polynomial.hpp) and its scenario kind (scenario/kinds/loss_polynomial.cpp):
// (a) value, gradient and Hessian against central differences, with tolerances derived from the
//     differences' truncation error (a bound of the next derivative) and rounding error, and
//     batch evaluation bitwise equal to pointwise across the row chunks;
// (b) a polynomial written to equal double_well agrees with the built-in loss to a few ulps of
//     the sum of the absolute values of its terms (the accuracy of a sum of monomials; relative to
//     |L| it cannot be a few ulps near the minima, where x^4 - 2 x^2 + 1 cancels), and its refined
//     minima and saddle are DoubleWell's critical points;
// (c) escape scenarios through the scenario path on the polynomial copy against double_well;
// (d) bad input refused with an InputError naming the key (and the row).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "escape_test_util.hpp"
#include "expect_input_error.hpp"
#include "losses/landscapes.hpp"
#include "losses/polynomial.hpp"
#include "scenario/registry.hpp"
#include "scenario/runner.hpp"
#include "test_util.hpp"

using namespace sgdnoise;

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

Polynomial make(const std::vector<double>& c, const std::vector<std::vector<double>>& e) {
  Vec cv(static_cast<Index>(c.size()));
  for (std::size_t i = 0; i < c.size(); ++i) cv[static_cast<Index>(i)] = c[i];
  Mat E(static_cast<Index>(e.size()), static_cast<Index>(e[0].size()));
  for (std::size_t i = 0; i < e.size(); ++i)
    for (std::size_t j = 0; j < e[i].size(); ++j) E(static_cast<Index>(i), static_cast<Index>(j)) = e[i][j];
  return Polynomial(cv, E);
}

/// A bound of |d^alpha L| on the box |theta_k| <= R: sum_m |c_m| prod_k e_mk (e_mk - 1) .. (e_mk -
/// alpha_k + 1) R^(deg_m - |alpha|).
double derivative_bound(const Polynomial& p, const Eigen::VectorXi& alpha, double R) {
  double s = 0.0;
  for (Index m = 0; m < p.monomials(); ++m) {
    double f = std::abs(p.coefficients()[m]);
    int deg = 0;
    for (Index k = 0; k < p.dim(); ++k) {
      const int e = p.exponents()(m, k);
      for (int q = 0; q < alpha[k]; ++q) f *= std::max(e - q, 0);
      deg += e - alpha[k];
    }
    if (f != 0.0) s += f * std::pow(R, deg);
  }
  return s;
}

/// A degree-5 polynomial in 3 variables with mixed terms, every variable up to degree 4.
Polynomial mixed() {
  return make({1.5, -0.75, 2.0, 0.3, -1.25, 0.5, 4.0, -3.0, 0.125},
              {{4, 0, 0}, {1, 2, 1}, {0, 3, 0}, {2, 1, 2}, {0, 0, 4}, {1, 1, 0}, {0, 0, 0}, {0, 1, 0}, {3, 0, 2}});
}

std::vector<Vec> random_points(Index n, Index d, double R, unsigned seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(-R, R);
  std::vector<Vec> out;
  for (Index i = 0; i < n; ++i) {
    Vec x(d);
    for (Index j = 0; j < d; ++j) x[j] = u(g);
    out.push_back(x);
  }
  return out;
}

}  // namespace

// (a) Central differences (f(x + h) - f(x - h)) / 2h differ from f' by h^2/6 f'''(xi) (Taylor), at
// most h^2/6 |f'''|_max, plus the rounding of the two values, at most 2 gamma S / 2h with S the
// sum of the absolute terms of f on the box and gamma = (M + deg + 2) eps the error of one
// evaluation relative to S (header: accuracy); the exact derivative adds its own gamma S'.
TEST(Polynomial, DerivativesMatchCentralDifferencesWithinTheirErrorBound) {
  const Polynomial p = mixed();
  const Index d = p.dim();
  const double h = 1e-4, R = 1.5;
  const double gamma = static_cast<double>(p.monomials() + 5 + 2) * kEps;
  const double Rh = R + h;
  for (const Vec& x : random_points(12, d, R, 7)) {
    const Vec g = p.gradient_at(x);
    const Mat H = p.hessian(x);
    EXPECT_EQ(H, H.transpose());
    for (Index j = 0; j < d; ++j) {
      Vec e = Vec::Zero(d);
      e[j] = h;
      Eigen::VectorXi a3 = Eigen::VectorXi::Zero(d), a0 = Eigen::VectorXi::Zero(d), a1 = a0;
      a3[j] = 3;
      a1[j] = 1;
      const double trunc = h * h / 6.0 * derivative_bound(p, a3, Rh);
      const double round = gamma * derivative_bound(p, a0, Rh) / h + gamma * derivative_bound(p, a1, Rh);
      const double fd = (p.value_at(x + e) - p.value_at(x - e)) / (2 * h);
      EXPECT_NEAR(g[j], fd, 2.0 * (trunc + round)) << "gradient " << j;
      const Vec col = (p.gradient_at(x + e) - p.gradient_at(x - e)) / (2 * h);
      for (Index i = 0; i < d; ++i) {
        Eigen::VectorXi b = a3, bi = Eigen::VectorXi::Zero(d), bij = bi;
        b[i] += 1;  // d^3/dtheta_j^3 of dL/dtheta_i
        bi[i] = 1;
        bij[i] += 1;
        bij[j] += 1;
        const double t = h * h / 6.0 * derivative_bound(p, b, Rh);
        const double r = gamma * derivative_bound(p, bi, Rh) / h + gamma * derivative_bound(p, bij, Rh);
        EXPECT_NEAR(H(i, j), col[i], 2.0 * (t + r)) << "Hessian " << i << "," << j;
      }
    }
  }
}

TEST(Polynomial, ExactOnRepresentableNumbers) {
  // L = 3 x^2 y - 2 z + 5 + x y z^2 at (2, -1, 0.5): every operation is exact in binary.
  const Polynomial p = make({3.0, -2.0, 5.0, 1.0}, {{2, 1, 0}, {0, 0, 1}, {0, 0, 0}, {1, 1, 2}});
  const Vec x = (Vec(3) << 2.0, -1.0, 0.5).finished();
  EXPECT_EQ(p.value_at(x), 3.0 * 4 * -1 - 1.0 + 5.0 + 2.0 * -1 * 0.25);
  EXPECT_EQ(p.gradient_at(x),
            (Vec(3) << 6.0 * 2 * -1 + -0.25, 3.0 * 4 + 2 * 0.25, -2.0 + 2.0 * 2 * -1 * 0.5).finished());
  Mat H(3, 3);
  H << 6.0 * -1, 6.0 * 2 + 0.25, 2 * -1 * 0.5,  //
      6.0 * 2 + 0.25, 0.0, 2 * 2 * 0.5,         //
      2 * -1 * 0.5, 2 * 2 * 0.5, 2 * 2 * -1;
  EXPECT_EQ(p.hessian(x), H);
}

TEST(Polynomial, BatchIsPointwiseBitForBitAcrossChunks) {
  // 150 rows (more than two chunks of 64) in a block with an outer stride.
  const Polynomial p = mixed();
  const auto pts = random_points(150, 3, 2.0, 11);
  Mat big = Mat::Constant(160, 5, 1e9);
  for (Index i = 0; i < 150; ++i) big.block(i + 4, 1, 1, 3) = pts[static_cast<std::size_t>(i)].transpose();
  const ConstBlockRef X = big.block(4, 1, 150, 3);
  Vec v(150);
  Mat Gbig = Mat::Constant(155, 4, -7.0);
  BlockRef G = Gbig.block(2, 1, 150, 3);
  p.value(X, v);
  p.gradient(X, G);
  for (Index i = 0; i < 150; ++i) {
    const Vec& x = pts[static_cast<std::size_t>(i)];
    EXPECT_EQ(v[i], p.value_at(x)) << i;
    EXPECT_TRUE(G.row(i).transpose() == p.gradient_at(x)) << i;
  }
  EXPECT_EQ(Gbig(0, 1), -7.0);
  EXPECT_EQ(Gbig(154, 3), -7.0);
  EXPECT_EQ(Gbig(50, 0), -7.0);
}

namespace {
// DoubleWell's spec written as a polynomial: barrier (x_1^2/a^2 - 1)^2 + tilt x_1 + 1/2 sum kappa_i x_i^2
// = (barrier/a^4) x_1^4 - (2 barrier/a^2) x_1^2 + barrier + tilt x_1 + sum (kappa_i/2) x_i^2.
std::pair<Vec, Mat> double_well_monomials(const DoubleWell::Spec& s) {
  const Index d = 1 + s.transverse.size();
  const double a2 = s.a * s.a;
  std::vector<double> c{s.barrier / (a2 * a2), -2.0 * s.barrier / a2, s.barrier, s.tilt};
  Mat E = Mat::Zero(4 + d - 1, d);
  E(0, 0) = 4;
  E(1, 0) = 2;
  E(3, 0) = 1;
  for (Index i = 1; i < d; ++i) {
    c.push_back(0.5 * s.transverse[i - 1]);
    E(3 + i, i) = 2;
  }
  return {Eigen::Map<Vec>(c.data(), static_cast<Index>(c.size())), E};
}
}  // namespace

// (b) The rounding of both evaluations is a few ulps of the absolute terms (header: accuracy),
// for the value and for each gradient coordinate; the Hessian's x_1 entry has the absolute terms
// 12 barrier/a^4 x^2 + 4 barrier/a^2, the transverse entries are the same products.
TEST(Polynomial, EqualsDoubleWellToAFewUlpsOfItsTerms) {
  for (double tilt : {0.0, 0.7}) {
    DoubleWell::Spec s;
    s.barrier = 2.5;
    s.a = 1.3;
    s.tilt = tilt;
    s.transverse = (Vec(2) << 3.0, 0.5).finished();
    const DoubleWell dw(s);
    const auto [c, E] = double_well_monomials(s);
    const Polynomial p(c, E);
    double worst_value = 0.0, worst_grad = 0.0, worst_hess = 0.0, worst_rel_far = 0.0;
    for (const Vec& x : random_points(2000, 3, 2.5, 5)) {
      const Vec S = p.absolute_terms(x);
      worst_value = std::max(worst_value, std::abs(p.value_at(x) - dw.value_at(x)) / (kEps * S[0]));
      const Vec gp = p.gradient_at(x), gd = dw.gradient_at(x);
      for (Index j = 0; j < 3; ++j)
        if (S[j + 1] > 0) worst_grad = std::max(worst_grad, std::abs(gp[j] - gd[j]) / (kEps * S[j + 1]));
      const Mat Hp = p.hessian(x), Hd = dw.hessian(x);
      const double sh = 12.0 * s.barrier / std::pow(s.a, 4) * x[0] * x[0] + 4.0 * s.barrier / (s.a * s.a);
      worst_hess = std::max(worst_hess, std::abs(Hp(0, 0) - Hd(0, 0)) / (kEps * sh));
      EXPECT_EQ(Hp.bottomRightCorner(2, 2), Hd.bottomRightCorner(2, 2));
      EXPECT_EQ(Hp(0, 1), 0.0);
      // Away from the minima (no cancellation: |L| >= S/4), also relative to |L| itself.
      if (std::abs(dw.value_at(x)) >= 0.25 * S[0])
        worst_rel_far =
            std::max(worst_rel_far, std::abs(p.value_at(x) - dw.value_at(x)) / (kEps * std::abs(dw.value_at(x))));
    }
    RecordProperty("tilt_" + std::to_string(tilt) + "_value_ulps_of_terms", std::to_string(worst_value));
    std::printf(
        "tilt %.1f: max |P - DW| in ulps of the absolute terms: value %.2f, gradient %.2f, Hessian %.2f; "
        "relative to |L| where |L| >= S/4: %.2f ulps\n",
        tilt, worst_value, worst_grad, worst_hess, worst_rel_far);
    EXPECT_LE(worst_value, 8.0);
    EXPECT_LE(worst_grad, 8.0);
    EXPECT_LE(worst_hess, 8.0);
    EXPECT_LE(worst_rel_far, 32.0);
  }
}

// Newton stops when the gradient is zero within 64 ulps of its absolute terms, so the refined
// point is within 64 eps S'/|lambda| of the root (S' the absolute terms of dL/dx_1, lambda the
// curvature along x_1); DoubleWell bisects to machine precision (a few ulps of S'/|lambda|).
TEST(Polynomial, RefinedCriticalPointsAreDoubleWells) {
  for (double tilt : {0.0, 0.7}) {
    DoubleWell::Spec s;
    s.barrier = 2.5;
    s.a = 1.3;
    s.tilt = tilt;
    s.transverse = (Vec(1) << 3.0).finished();
    const DoubleWell dw(s);
    const auto [c, E] = double_well_monomials(s);
    const Polynomial p(c, E);
    const std::vector<std::pair<Vec, const CriticalPoint*>> cases = {
        {(Vec(2) << -1.0, 0.2).finished(), &dw.left_minimum()},
        {(Vec(2) << 1.1, -0.3).finished(), &dw.right_minimum()},
        {(Vec(2) << 0.2, 0.1).finished(), &dw.saddle()}};
    for (const auto& [guess, want] : cases) {
      const Polynomial::Refinement f = p.refine(guess);
      ASSERT_TRUE(f.converged) << f.reason;
      EXPECT_LT(f.iterations, 12);
      EXPECT_EQ(f.point.morse_index, want->morse_index);
      const Vec S = p.absolute_terms(f.point.theta);
      const double lambda = std::abs(want->hessian(0, 0));
      EXPECT_NEAR(f.point.theta[0], want->theta[0], 72.0 * kEps * S[1] / lambda) << tilt;
      EXPECT_EQ(f.point.theta[1], 0.0);
      EXPECT_NEAR(f.point.value, want->value, 8.0 * kEps * S[0]) << tilt;
      // H_11 = 12 barrier/a^4 x^2 - 4 barrier/a^2: its rounding, and its change over the position error.
      const double b4 = s.barrier / std::pow(s.a, 4), x = want->theta[0];
      const double sh = 12.0 * b4 * x * x + 4.0 * s.barrier / (s.a * s.a);
      const double dx = 72.0 * kEps * S[1] / lambda;
      EXPECT_NEAR(f.point.hessian(0, 0), want->hessian(0, 0), 8.0 * kEps * sh + 24.0 * b4 * (std::abs(x) + dx) * dx)
          << tilt;
      EXPECT_EQ(f.point.hessian(1, 1), want->hessian(1, 1));
    }
  }
}

namespace {
// The polynomial copy of the [loss] table of a double_well scenario with barrier 1, a = 1.
std::string as_polynomial(const std::string& text, const std::string& dw_loss, const std::string& poly_loss) {
  const auto at = text.find(dw_loss);
  EXPECT_NE(at, std::string::npos) << "the scenario's [loss] table changed";
  std::string out = text;
  if (at != std::string::npos) out.replace(at, dw_loss.size(), poly_loss);
  return out;
}
}  // namespace

// (c) The shipped escape scenario on the polynomial (x^2 - 1)^2 = x^4 - 2 x^2 + 1. The two
// gradients, 4 x (x x - 1) and (4 x x x) - 4 x, round differently in the last bits, so the
// trajectories are not bitwise the same; a last-bit difference stays a last-bit difference in
// the contracting well and can only move a first passage where a trajectory grazes the threshold
// within rounding. The escape statistics agree within their standard errors, and all but a few
// trajectories escape at the same step.
TEST(Polynomial, DoubleWellEscapeScenarioGivesTheSameEscapes) {
  const std::string text = test::read_text(test::source_path("scenarios/double_well_escape.toml"));
  const std::string poly = as_polynomial(text, "kind = \"double_well\"\nbarrier = 1.0\n",
                                         "kind = \"polynomial\"\ndim = 1\ncoefficients = [1.0, -2.0, 1.0]\n"
                                         "exponents = [[4], [2], [0]]\n");
  const Experiment a = test::build_text(text, {}, 2, "double_well_escape.toml");
  const Experiment b = test::build_text(poly, {}, 2, "polynomial_copy.toml");
  ASSERT_EQ(b.loss->kind(), "polynomial");
  const RunResult ra_run = run_experiment(a), rb_run = run_experiment(b);
  const auto& ra = test::escape_observer(a).results();
  const auto& rb = test::escape_observer(b).results();
  ASSERT_EQ(ra.size(), rb.size());
  Index same = 0, escaped = 0, bitwise = 0;
  double max_dt = 0.0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    same += ra[i].state == rb[i].state && ra[i].detected_at == rb[i].detected_at;
    escaped += ra[i].state == EscapeState::escaped;
    bitwise += ra[i].steps == rb[i].steps;
    max_dt = std::max(max_dt, std::abs(ra[i].steps - rb[i].steps));
  }
  Index states_equal = 0;
  for (Index i = 0; i < ra_run.record.final_state.size(); ++i)
    states_equal += ra_run.record.final_state(i) == rb_run.record.final_state(i);
  std::printf(
      "double_well_escape: %ld bitwise-equal passage times, max difference %.3g steps; %ld of %ld final "
      "coordinates bitwise equal\n",
      static_cast<long>(bitwise), max_dt, static_cast<long>(states_equal),
      static_cast<long>(ra_run.record.final_state.size()));
  const EscapeSummary sa = test::escape_observer(a).summary(3000), sb = test::escape_observer(b).summary(3000);
  std::printf(
      "double_well_escape: %ld of %zu trajectories escape at the same step; escaped %ld vs %ld; mean "
      "escape steps %.3f +- %.3f vs %.3f +- %.3f; rate per tau %.5f vs %.5f\n",
      static_cast<long>(same), ra.size(), static_cast<long>(sa.counts.escaped), static_cast<long>(sb.counts.escaped),
      sa.mean_steps.est.value, sa.mean_steps.est.se, sb.mean_steps.est.value, sb.mean_steps.est.se,
      sa.rate_per_tau.rate, sb.rate_per_tau.rate);
  EXPECT_GT(escaped, 50);
  EXPECT_GE(same, static_cast<Index>(ra.size()) - 5);
  EXPECT_LE(std::abs(sa.mean_steps.est.value - sb.mean_steps.est.value), sa.mean_steps.est.se);
  EXPECT_LE(std::abs(sa.rate_per_tau.rate - sb.rate_per_tau.rate), sa.rate_per_tau.se);
  EXPECT_LE(std::abs(sa.counts.escaped - sb.counts.escaped), 5);
}

// The basin of a minimum from the polynomial's refined minima (loss.minima, in their order) is
// the double well's: 2-D, escape into the right well's basin.
TEST(Polynomial, BasinEscapeUsesTheRefinedMinima) {
  const char* well = R"(
name = "basin"
seed = 3
[loss]
kind = "double_well"
transverse = [1.0]
[noise]
kind = "isotropic"
on = "weights"
variance = 0.01
[dynamics]
kind = "discrete"
eta = 0.01
steps = 300
trajectories = 48
start = [-1.0, 0.3]
[observe]
every = 1
[escape]
region = "basin"
target = 1
basin_dt = 0.05
)";
  const std::string poly =
      as_polynomial(well, "kind = \"double_well\"\ntransverse = [1.0]\n",
                    "kind = \"polynomial\"\ndim = 2\ncoefficients = [1.0, -2.0, 1.0, 0.5]\n"
                    "exponents = [[4, 0], [2, 0], [0, 0], [0, 2]]\nminima = [[-0.9, 0.1], [1.2, 0.0]]\n"
                    "saddles = [[0.1, -0.1]]\n");
  const Experiment a = test::build_text(well, {}, 1), b = test::build_text(poly, {}, 1);
  const auto* cp = dynamic_cast<const CriticalPoints*>(b.loss.get());
  ASSERT_NE(cp, nullptr);
  ASSERT_EQ(cp->minima().size(), 2u);
  EXPECT_NEAR(cp->minima()[0].theta[0], -1.0, 1e-14);
  EXPECT_NEAR(cp->minima()[1].theta[0], 1.0, 1e-14);
  EXPECT_EQ(cp->saddles()[0].theta, Vec::Zero(2));
  EXPECT_EQ(cp->saddles()[0].morse_index, 1);
  (void)run_experiment(a);
  (void)run_experiment(b);
  const auto& ra = test::escape_observer(a).results();
  const auto& rb = test::escape_observer(b).results();
  Index same = 0, escaped = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    same += ra[i].state == rb[i].state && ra[i].detected_at == rb[i].detected_at;
    escaped += rb[i].state == EscapeState::escaped;
  }
  std::printf("basin: %ld of %zu trajectories escape at the same step (%ld escaped)\n", static_cast<long>(same),
              ra.size(), static_cast<long>(escaped));
  EXPECT_GT(escaped, 10);
  EXPECT_GE(same, static_cast<Index>(ra.size()) - 2);
}

namespace {
const char* const kPoly = R"(name = "p"
seed = 1
[loss]
kind = "polynomial"
dim = 1
coefficients = [1.0, -2.0, 1.0]
exponents = [[4], [2], [0]]
[dynamics]
kind = "discrete"
eta = 0.01
steps = 2
trajectories = 2
start = [0.5]
)";

void expect_refused(const std::vector<std::string>& sets, const std::string& key, const std::string& words) {
  test::expect_input_error([&] { return test::build_text(kPoly, sets); }, key);
  try {
    (void)test::build_text(kPoly, sets);
  } catch (const InputError& e) {
    EXPECT_NE(e.reason().find(words), std::string::npos) << e.reason();
  }
}
}  // namespace

TEST(Polynomial, LowestGivenMinimumIsTheMinimizer) {
  // Tilted by +0.3 x: the left well is the lower; the minima keep the order given.
  const Scenario s = Scenario::parse(kPoly, "p.toml",
                                     {"loss.coefficients=[1.0, -2.0, 1.0, 0.3]", "loss.exponents=[[4], [2], [0], [1]]",
                                      "loss.minima=[[1.0], [-1.0]]"});
  const BuiltLoss b = build_loss(s, 0);
  const auto* cp = dynamic_cast<const CriticalPoints*>(b.loss.get());
  ASSERT_NE(cp, nullptr);
  ASSERT_EQ(cp->minima().size(), 2u);
  EXPECT_GT(cp->minima()[0].theta[0], 0.0);
  EXPECT_TRUE(cp->saddles().empty());
  EXPECT_EQ(*b.loss->minimizer(), cp->minima()[1].theta);
  EXPECT_EQ(*b.loss->minimum_value(), cp->minima()[1].value);
  // Without critical points: a plain loss that knows no minimizer.
  const BuiltLoss plain = build_loss(Scenario::parse(kPoly, "p.toml"), 0);
  EXPECT_EQ(dynamic_cast<const CriticalPoints*>(plain.loss.get()), nullptr);
  EXPECT_FALSE(plain.loss->minimizer().has_value());
}

TEST(Polynomial, BadInputNamesTheKeyAndTheRow) {
  // Exponents: not an integer, negative, too large, a row of the wrong length, a row too many.
  expect_refused({"loss.exponents=[[4], [2.5], [0]]"}, "loss.exponents", "row 1: exponent 0 is 2.5");
  expect_refused({"loss.exponents=[[4], [2], [-1]]"}, "loss.exponents", "row 2");
  expect_refused({"loss.exponents=[[4], [65], [0]]"}, "loss.exponents", "row 1");
  expect_refused({"loss.exponents=[[4, 0], [2, 0], [0, 0]]"}, "loss.exponents", "every row has dim = 1");
  expect_refused({"loss.exponents=[[4], [2], [0], [1]]"}, "loss.exponents", "one per monomial");
  expect_refused({"loss.exponents=[[4], [2, 1], [0]]"}, "loss.exponents", "different lengths");
  expect_refused({"loss.coefficients=[]", "loss.exponents=[]"}, "loss.coefficients", "at least one");
  expect_refused({"loss.dim=0"}, "loss.dim", ">= 1");
  // A guess of the wrong length.
  expect_refused({"loss.minima=[[1.0, 0.0]]"}, "loss.minima", "dim = 1");
  // Newton fails: L = x^3 + x has no critical point; from 0 its Hessian 6x is singular.
  expect_refused({"loss.coefficients=[1.0, 1.0]", "loss.exponents=[[3], [1]]", "loss.minima=[[0.5]]"}, "loss.minima",
                 "row 0: Newton's method");
  expect_refused({"loss.coefficients=[1.0, 1.0]", "loss.exponents=[[3], [1]]", "loss.saddles=[[0.0]]"}, "loss.saddles",
                 "singular");
  // Wrong Hessian index: a "minimum" that converges to the saddle, a "saddle" to a minimum, and
  // a "saddle" of index 2 (the maximum of -x^2 - y^2).
  expect_refused({"loss.minima=[[-1.1], [0.1]]"}, "loss.minima", "row 1:");
  expect_refused({"loss.minima=[[-1.1], [0.1]]"}, "loss.minima", "every eigenvalue > 0");
  expect_refused({"loss.saddles=[[0.9]]"}, "loss.saddles", "exactly one negative eigenvalue");
  expect_refused({"loss.dim=2", "loss.coefficients=[-1.0, -1.0]", "loss.exponents=[[2, 0], [0, 2]]",
                  "loss.saddles=[[0.1, 0.2]]", "dynamics.start=[0.5, 0.5]"},
                 "loss.saddles", "exactly one negative eigenvalue");
  // Two guesses that reach the same point.
  expect_refused({"loss.minima=[[-1.1], [-0.9]]"}, "loss.minima", "row 1:");
}

TEST(Polynomial, ListedByTheCli) {
  const test::CliResult r = test::run_cli("list");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("kind \"polynomial\""), std::string::npos);
  EXPECT_NE(kind_registry().find_loss("polynomial"), nullptr);
}
