// The `gaussian` noise kind (noise/gaussian.hpp): a constant covariance S in one of several forms.
#include <cmath>
#include <stdexcept>

#include "core/rng.hpp"
#include "noise/gaussian.hpp"
#include "scenario/kind_inputs.hpp"
#include "scenario/registry.hpp"

namespace sgdnoise {
namespace {
using T = ParamType;
using namespace schema_params;
}  // namespace

void register_noise_gaussian(KindRegistry& registry) {
  NoiseKind k;
  k.schema = {
      "gaussian",
      "Gaussian with a constant covariance S, given in one of several forms (docs/theory.md 1.4; paper 3's "
      "equal-trace protocol through `trace`).",
      {one_of(req("covariance", T::string,
                  "Form of S: \"matrix\" (matrix), \"factor\" (S = B B^T, factor B d x r), "
                  "\"hessian_power\" (S = scale H^power), \"top_eigenvector\" (S = scale u1 u1^T, u1 the "
                  "top Hessian eigenvector), \"isotropic\" (S = scale I), \"file\" (matrix_file), \"random\" (S = "
                  "scale B B^T / rank with B d x rank "
                  "standard normal from seed: a full covariance that does not commute with H)."),
              {"matrix", "factor", "hessian_power", "top_eigenvector", "isotropic", "file", "random"}),
       opt("matrix", T::number_matrix, "[]", "S, symmetric positive semidefinite d x d."),
       opt("factor", T::number_matrix, "[]", "B, d x r (S = B B^T)."),
       opt("matrix_file", T::string, "\"\"", "CSV file with S (relative to the scenario file)."),
       at_least(opt("rank", T::integer, "0", "Rank of the random form (0: d)."), 0),
       at_least(opt("seed", T::integer, "0", "Seed of the random form."), 0),
       opt("power", T::number, "1.0", "p in S = scale H^p (H must be PSD unless p is an integer)."),
       at_least(opt("scale", T::number, "1.0",
                    "Multiplier of the hessian_power, top_eigenvector, isotropic and random forms."),
                0),
       at_least(opt("trace", T::number, "0.0",
                    "If > 0, S is rescaled to this trace (the trace of the covariance the scenario "
                    "specifies: C when on = \"gradient\", Sigma_step when on = \"weights\")."),
                0)}};
  k.listing_order = 50;
  k.capabilities = {.needs_finite_sum = false, .exact_covariance = true, .no_covariance_why = ""};
  k.build = [](const NoiseContext& c) -> std::shared_ptr<const NoiseModel> {
    const Scenario& sc = c.scenario;
    const Mat& H = c.hessian;
    const Index d = H.rows();
    const std::string form = sc.get_string("noise.covariance");
    const double scale = sc.get_number("noise.scale");
    Mat S;
    Mat B;  // a factor, where the form gives one directly
    std::string key = "noise.covariance";
    if (form == "matrix" || form == "file") {
      key = form == "matrix" ? "noise.matrix" : "noise.matrix_file";
      if (form == "matrix" && sc.get_matrix(key).size() == 0) sc.fail(key, "required when covariance = \"matrix\"");
      S = square_matrix(sc, key, form == "matrix" ? sc.get_matrix(key) : matrix_from_file(sc, key), d);
    } else if (form == "factor") {
      key = "noise.factor";
      B = sc.get_matrix(key);
      if (B.rows() != d)
        sc.fail(key, "expected " + std::to_string(d) + " rows (the loss dimension), got " + std::to_string(B.rows()));
    } else if (form == "isotropic") {
      S = scale * Mat::Identity(d, d);
    } else if (form == "random") {
      const Index r = sc.get_int("noise.rank") == 0 ? d : sc.get_int("noise.rank");
      B.resize(d, r);
      fill_normals({static_cast<std::uint64_t>(sc.get_int("noise.seed")), Purpose::initial_state, 1}, 0, 0, B);
      B *= std::sqrt(scale / static_cast<double>(r));
    } else {
      Eigen::SelfAdjointEigenSolver<Mat> es(H);
      const Vec& w = es.eigenvalues();
      if (form == "top_eigenvector") {
        B = std::sqrt(scale) * es.eigenvectors().col(d - 1);  // S = scale u1 u1^T (docs/theory.md 1.4 item 3)
      } else {
        const double p = sc.get_number("noise.power");
        const bool integer_power = p == std::floor(p);
        if (!integer_power && w.minCoeff() < 0.0)
          sc.fail("noise.power", "a non-integer power needs a positive semidefinite H");
        Vec wp(d);
        for (Index i = 0; i < d; ++i) wp[i] = w[i] == 0.0 && p <= 0.0 ? 0.0 : std::pow(w[i], p);
        S = scale * es.eigenvectors() * wp.asDiagonal() * es.eigenvectors().transpose();
        S = 0.5 * (S + S.transpose()).eval();
        if (wp.minCoeff() < 0.0)
          sc.fail("noise.power", "H^power is not positive semidefinite (an odd power of an indefinite H)");
      }
    }
    try {
      if (B.size() == 0) B = psd_factor(S);
    } catch (const std::invalid_argument& e) {
      sc.fail(key, e.what());
    }
    if (const double T = sc.get_number("noise.trace"); T > 0.0) {
      const double tr = B.squaredNorm();  // Tr(B B^T)
      if (!(tr > 0.0)) sc.fail("noise.trace", "cannot normalise a zero covariance to a positive trace");
      B *= std::sqrt(T / tr);
    }
    auto g = std::make_shared<GaussianNoise>(GaussianNoise::from_factor(std::move(B), c.on));
    g->set_kind("gaussian/" + form);
    return g;
  };
  k.examples = {{"noise.covariance=\"hessian_power\"", "noise.trace=1.0"},
                {"noise.covariance=\"factor\"", "noise.factor=[[1.0, 0.5], [-0.3, 0.2], [0.0, 1.1]]"},
                {"noise.covariance=\"random\"", "noise.rank=2", "noise.on=\"weights\""}};
  registry.add(std::move(k));
}

}  // namespace sgdnoise
