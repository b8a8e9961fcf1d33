// The `polynomial` loss kind (losses/polynomial.hpp): a landscape declared in the scenario, with
// its minima and saddles refined from the user's guesses.
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "losses/polynomial.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;

std::string numbers(const Vec& v) {
  std::ostringstream o;
  o.precision(6);
  o << "(";
  for (Index i = 0; i < v.size(); ++i) o << (i ? ", " : "") << v[i];
  o << ")";
  return o.str();
}

std::string row(Index r) { return "row " + std::to_string(r) + ": "; }

// The guesses of loss.minima (expected_index 0) or loss.saddles (1), refined by Newton's method and
// classified by the Hessian's eigenvalues; an InputError naming the key and the row otherwise.
std::vector<CriticalPoint> refine_rows(const Scenario& s, const Polynomial& p, const std::string& key,
                                       int expected_index, std::vector<CriticalPoint>& seen) {
  const Mat guesses = s.get_matrix(key);
  std::vector<CriticalPoint> out;
  if (guesses.size() == 0) return out;
  const Index d = p.dim();
  if (guesses.cols() != d)
    s.fail(key,
           "each row is a point of dim = " + std::to_string(d) + " coordinates, got " + std::to_string(guesses.cols()));
  for (Index r = 0; r < guesses.rows(); ++r) {
    const Vec guess = guesses.row(r).transpose();
    const Polynomial::Refinement f = p.refine(guess);
    if (!f.converged)
      s.fail(key, row(r) + "Newton's method on grad L = 0 from " + numbers(guess) + " did not converge (" + f.reason +
                      "; last iterate " + numbers(f.point.theta) + "): give a closer guess");
    const Vec& ev = f.eigenvalues;
    if (ev.size() != d) s.fail(key, row(r) + "the Hessian is not finite at " + numbers(f.point.theta));
    const std::string where = "Newton's method from " + numbers(guess) + " reached the critical point " +
                              numbers(f.point.theta) + ", where the Hessian has eigenvalues " + numbers(ev);
    if (expected_index == 0 && !(ev[0] > 0.0)) s.fail(key, row(r) + where + ": a minimum needs every eigenvalue > 0");
    if (expected_index == 1 && !(ev[0] < 0.0 && (d == 1 || ev[1] > 0.0)))
      s.fail(key, row(r) + where + ": a saddle (transition state) needs exactly one negative eigenvalue and no zero");
    for (const auto& q : seen)
      if ((q.theta - f.point.theta).lpNorm<Eigen::Infinity>() <=
          1e-8 * std::max(1.0, f.point.theta.lpNorm<Eigen::Infinity>()))
        s.fail(key, row(r) + where + ", which another row of loss.minima or loss.saddles reaches too");
    seen.push_back(f.point);
    out.push_back(f.point);
  }
  return out;
}
}  // namespace

void register_loss_polynomial(KindRegistry& registry) {
  LossKind k;
  k.schema = {
      "polynomial",
      "L = sum_m c_m prod_j theta_j^{e_mj}: a landscape declared by its monomials, with exact gradient and Hessian. "
      "With minima and saddles (starting guesses, refined by Newton's method) it knows its critical points like "
      "double_well: escape.region = \"basin\" uses the minima in their order.",
      {at_least(req("dim", T::integer, "Number d of coordinates theta_1 .. theta_d."), 1),
       req("coefficients", T::number_array, "c_1 .. c_M, one per monomial (a row of exponents)."),
       req("exponents", T::number_matrix,
           "M rows of d integers e_m1 .. e_md in [0, 64]: monomial m is c_m prod_j theta_j^{e_mj}."),
       opt("minima", T::number_matrix, "[]",
           "Guesses of the minima, one row of d coordinates each, each refined by Newton's method on grad L = 0 "
           "with the exact Hessian; refused when Newton does not converge or the Hessian there is not positive "
           "definite. minimizer (dist2): the lowest of them."),
       opt("saddles", T::number_matrix, "[]",
           "Guesses of the index-1 saddles (transition states), one row of d coordinates each, refined like minima; "
           "refused unless the Hessian there has exactly one negative eigenvalue and no zero one.")}};
  k.listing_order = 75;
  k.capabilities = {
      .finite_sum = false, .per_sample_gradients = false, .hessian_vector_product = false, .fresh_data = false};
  k.build = [](const Scenario& s, std::uint64_t) {
    const Index d = s.get_int("loss.dim");
    const Vec c = s.get_vector("loss.coefficients");
    const Mat E = s.get_matrix("loss.exponents");
    if (c.size() == 0) s.fail("loss.coefficients", "needs at least one monomial");
    if (E.rows() != c.size())
      s.fail("loss.exponents", "has " + std::to_string(E.rows()) + " rows; loss.coefficients has " +
                                   std::to_string(c.size()) + " entries, one per monomial (row)");
    if (E.cols() != d)
      s.fail("loss.exponents",
             row(0) + "has " + std::to_string(E.cols()) + " exponents; every row has dim = " + std::to_string(d));
    for (Index r = 0; r < E.rows(); ++r)
      for (Index j = 0; j < d; ++j) {
        const double e = E(r, j);
        if (!(e >= 0.0 && e <= Polynomial::kMaxExponent && e == std::floor(e))) {
          std::ostringstream m;
          m << row(r) << "exponent " << j << " is " << e << "; exponents are integers in [0, "
            << Polynomial::kMaxExponent << "]";
          s.fail("loss.exponents", m.str());
        }
      }
    Polynomial p(c, E);
    const bool critical = s.get_matrix("loss.minima").size() > 0 || s.get_matrix("loss.saddles").size() > 0;
    if (!critical) return BuiltLoss::of_loss(std::make_shared<Polynomial>(std::move(p)));
    std::vector<CriticalPoint> seen;
    auto minima = refine_rows(s, p, "loss.minima", 0, seen);
    auto saddles = refine_rows(s, p, "loss.saddles", 1, seen);
    return BuiltLoss::of_loss(
        std::make_shared<PolynomialLandscape>(std::move(p), std::move(minima), std::move(saddles)));
  };
  // A 2-D tilted double well with a cross term and its critical points; a cubic in 3-D without.
  k.examples = {{"loss.dim=2", "loss.coefficients=[1.0, -2.0, 1.0, 0.1, 0.5, 0.3]",
                 "loss.exponents=[[4, 0], [2, 0], [0, 0], [1, 0], [0, 2], [2, 2]]",
                 "loss.minima=[[-1.0, 0.0], [1.0, 0.0]]", "loss.saddles=[[0.0, 0.0]]"},
                {"loss.dim=3", "loss.coefficients=[0.5, -1.5, 2.0, 0.25]",
                 "loss.exponents=[[1, 2, 0], [0, 1, 3], [2, 0, 0], [0, 0, 1]]"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
