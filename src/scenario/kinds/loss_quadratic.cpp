// The `quadratic` loss kind (losses/quadratic.hpp): H from its spectrum and basis, or a matrix or file.
#include <algorithm>
#include <cmath>

#include "core/format.hpp"
#include "losses/quadratic.hpp"
#include "scenario/kind_inputs.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
std::shared_ptr<const Quadratic> build_quadratic(const Scenario& sc) {
  const Index d = sc.get_int("loss.dim");
  const std::string spectrum = sc.get_string("loss.spectrum");
  Vec theta_star = sc.get_vector("loss.minimum").size() == 0 ? Vec::Zero(d) : vector_of_dim(sc, "loss.minimum", d);
  const double offset = sc.get_number("loss.offset");
  if (spectrum == "matrix" || spectrum == "file") {
    const std::string key = spectrum == "matrix" ? "loss.hessian" : "loss.hessian_file";
    const Mat H = square_matrix(sc, key, spectrum == "matrix" ? sc.get_matrix(key) : matrix_from_file(sc, key), d);
    const double asym = (H - H.transpose()).cwiseAbs().maxCoeff();
    if (asym > 1e-12 * std::max(1.0, H.cwiseAbs().maxCoeff()))
      sc.fail(key, "the Hessian must be symmetric (max |H - H^T| = " + format_g(asym) + ")");
    Eigen::SelfAdjointEigenSolver<Mat> es(0.5 * (H + H.transpose()));
    // Descending order, as for generated spectra.
    return std::make_shared<Quadratic>(es.eigenvalues().reverse(), es.eigenvectors().rowwise().reverse(),
                                       std::move(theta_star), offset);
  }
  Vec lambda(d);
  if (spectrum == "explicit") {
    if (sc.get_vector("loss.eigenvalues").size() == 0)
      sc.fail("loss.eigenvalues", "required when spectrum = \"explicit\"");
    lambda = vector_of_dim(sc, "loss.eigenvalues", d);
  } else {
    // d eigenvalues from lambda_max down to lambda_max / condition, log- or linearly spaced.
    const double top = sc.get_number("loss.lambda_max"), bottom = top / sc.get_number("loss.condition");
    for (Index i = 0; i < d; ++i) {
      const double t = d == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(d - 1);
      lambda[i] = spectrum == "log" ? top * std::pow(bottom / top, t) : top + (bottom - top) * t;
    }
  }
  Mat U = sc.get_string("loss.basis") == "random"
              ? random_orthogonal(d, static_cast<std::uint64_t>(sc.get_int("loss.basis_seed")))
              : Mat::Identity(d, d);
  return std::make_shared<Quadratic>(std::move(lambda), std::move(U), std::move(theta_star), offset);
}
}  // namespace

void register_loss_quadratic(KindRegistry& registry) {
  LossKind k;
  k.schema = {
      "quadratic",
      "L = L* + 1/2 (theta - theta*)^T H (theta - theta*), H = U diag(eigenvalues) U^T.",
      {at_least(req("dim", T::integer, "Dimension d."), 1),
       one_of(opt("spectrum", T::string, "\"explicit\"",
                  "How H is given: \"explicit\" (eigenvalues), \"log\" or \"linear\" (d eigenvalues "
                  "spaced from lambda_max down to lambda_max / condition), \"matrix\" (hessian) or "
                  "\"file\" (hessian_file)."),
              {"explicit", "log", "linear", "matrix", "file"}),
       opt("eigenvalues", T::number_array, "[]", "The d eigenvalues of H (any sign), for spectrum = \"explicit\"."),
       positive(opt("lambda_max", T::number, "1.0", "Largest eigenvalue, for log and linear spectra.")),
       at_least(opt("condition", T::number, "100.0", "lambda_max / lambda_min, for log and linear spectra."), 1.0),
       opt("hessian", T::number_matrix, "[]", "H as a symmetric d x d matrix, for spectrum = \"matrix\"."),
       opt("hessian_file", T::string, "\"\"",
           "CSV file with H (d rows of d numbers; relative to the scenario file), for spectrum = \"file\"."),
       one_of(opt("basis", T::string, "\"axis\"",
                  "Eigenbasis U for generated spectra: \"axis\" (identity) or \"random\" (Haar-orthogonal "
                  "from basis_seed)."),
              {"axis", "random"}),
       at_least(opt("basis_seed", T::integer, "0", "Seed of the random eigenbasis."), 0),
       opt("minimum", T::number_array, "[]", "theta* (d numbers; empty: the origin)."),
       opt("offset", T::number, "0.0", "L*, the value at theta*.")}};
  k.listing_order = 10;
  k.capabilities = {
      .finite_sum = false, .per_sample_gradients = false, .hessian_vector_product = true, .fresh_data = false};
  k.build = [](const Scenario& s, std::uint64_t) { return BuiltLoss::of_quadratic(build_quadratic(s)); };
  k.examples = {{"loss.dim=3", "loss.spectrum=\"log\"", "loss.basis=\"random\"", "loss.minimum=[0.5, -0.2, 0.1]"},
                {"loss.dim=2", "loss.eigenvalues=[2.0, -0.5]", "loss.offset=1.5"}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
