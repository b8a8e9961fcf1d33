#include "scenario/schema.hpp"

#include <sstream>

namespace sgdnoise {

const char* to_string(ParamType t) {
  switch (t) {
    case ParamType::integer:
      return "integer";
    case ParamType::number:
      return "number";
    case ParamType::boolean:
      return "boolean";
    case ParamType::string:
      return "string";
    case ParamType::number_array:
      return "array of numbers";
    case ParamType::number_matrix:
      return "matrix (array of rows)";
  }
  return "?";
}

const KindSchema* SectionSchema::find_kind(const std::string& k) const {
  for (const auto& ks : kinds)
    if (ks.name == k) return &ks;
  return nullptr;
}

namespace {
Param req(std::string name, ParamType t, std::string doc) {
  return {std::move(name), t, std::move(doc), {}, {}, false, {}, {}};
}
Param opt(std::string name, ParamType t, std::string def, std::string doc) {
  return {std::move(name), t, std::move(doc), std::move(def), {}, false, {}, {}};
}
Param positive(Param p) {
  p.min = 0.0;
  p.min_exclusive = true;
  return p;
}
Param at_least(Param p, double m) {
  p.min = m;
  return p;
}
Param one_of(Param p, std::vector<std::string> c) {
  p.choices = std::move(c);
  return p;
}

std::vector<SectionSchema> build() {
  using T = ParamType;
  std::vector<SectionSchema> s;

  s.push_back({"",
               "Top level of the scenario file.",
               true,
               false,
               {req("name", T::string, "Scenario name; the default run directory is runs/<name>."),
                opt("description", T::string, "\"\"", "One sentence on what the scenario shows."),
                at_least(opt("seed", T::integer, "1", "Key of every random stream (overridden by --seed)."), 0)},
               {}});

  s.push_back(
      {"loss",
       "The loss L(theta).",
       true,
       false,
       {one_of(opt("fresh_data", T::string, "\"none\"",
                   "Fresh data per repeat (docs/theory.md 4.4A: paper 3 draws new data for every repeat), for the "
                   "synthetic finite sums (least_squares, logistic, sum_of_quadratics, relu_network, "
                   "sharp_flat_2d): \"none\" (one loss for every trajectory), \"per_trajectory\" or "
                   "\"per_group\" (trajectory t runs on group t / group_size's own loss). Group 0 uses data_seed, "
                   "group g >= 1 the seed derived from (data_seed, g) by Philox (losses/loss_instances.hpp). "
                   "Checks, indicators at the ensemble mean and level-set and basin escape regions are then refused "
                   "(each is defined on one instance)."),
               {"none", "per_trajectory", "per_group"}),
        at_least(opt("group_size", T::integer, "1", "Trajectories per loss instance, for fresh_data = \"per_group\"."),
                 1)},
       {{"quadratic",
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
          opt("offset", T::number, "0.0", "L*, the value at theta*.")}},
        {"least_squares",
         "L = (1/n) sum_i 1/2 (x_i^T theta - y_i)^2, a finite sum (docs/theory.md 1.1). Synthetic: x_i ~ N(0, "
         "diag(s)), s log-spaced 1 .. 1/condition, teacher ~ N(0, I/d), y = x^T teacher + label_noise eps, "
         "and a held-out test set; or data_file.",
         {at_least(req("dim", T::integer, "Dimension d (number of features)."), 1),
          at_least(opt("samples", T::integer, "100", "Number n of training samples."), 1),
          at_least(opt("test_samples", T::integer, "1000", "Size of the held-out test set (0: none)."), 0),
          at_least(opt("condition", T::number, "10.0", "Ratio of the largest to the smallest feature variance."), 1.0),
          at_least(opt("label_noise", T::number, "0.5", "Standard deviation of the label noise."), 0.0),
          at_least(opt("data_seed", T::integer, "0", "Seed of the synthetic data."), 0),
          opt("data_file", T::string, "\"\"",
              "CSV with n rows of d features then the label (relative to the scenario file); replaces the "
              "synthetic training data.")}},
        {"logistic",
         "Binary logistic regression, labels y_i in {0, 1}: L = (1/n) sum_i [log(1 + exp(x_i^T theta)) - y_i "
         "x_i^T theta + l2/2 |theta|^2], a finite sum (docs/theory.md 1.1). Synthetic: x_i ~ N(0, diag(s)), s "
         "log-spaced 1 .. 1/condition, teacher = teacher_scale N(0, I/d), y_i ~ Bernoulli(sigmoid(x_i^T "
         "teacher)), and a held-out test set; or data_file. theta* by Newton's method (none on separable data "
         "with l2 = 0).",
         {at_least(req("dim", T::integer, "Dimension d (number of features)."), 1),
          at_least(opt("samples", T::integer, "200", "Number n of training samples."), 1),
          at_least(opt("test_samples", T::integer, "1000", "Size of the held-out test set (0: none)."), 0),
          at_least(opt("condition", T::number, "10.0", "Ratio of the largest to the smallest feature variance."), 1.0),
          at_least(opt("teacher_scale", T::number, "2.0",
                       "Scale of the teacher: larger means cleaner labels (|x^T teacher| larger)."),
                   0.0),
          at_least(opt("l2", T::number, "0.0", "L2 coefficient: each l_i has + l2/2 |theta|^2."), 0.0),
          at_least(opt("data_seed", T::integer, "0", "Seed of the synthetic data."), 0),
          opt("data_file", T::string, "\"\"",
              "CSV with n rows of d features then a 0/1 label (relative to the scenario file); replaces the "
              "synthetic data (no test set).")}},
        {"sum_of_quadratics",
         "L = (1/n) sum_i 1/2 (theta - c_i)^T H_i (theta - c_i) with different H_i: sampling order moves "
         "the mean iterate (docs/theory.md 1.5). theta_s = (sum H_i)^{-1} sum H_i c_i, H = mean H_i; theta_s is the "
         "minimum when H is PSD, a saddle when it is indefinite (explicit H_i may be indefinite: then L is "
         "unbounded below and start_at = \"minimum\" is refused). Synthetic: H_i = "
         "S^{1/2} ((1 - hessian_spread) I + hessian_spread Z_i Z_i^T / d) S^{1/2}, S = diag(lambda_max .. "
         "lambda_max / condition, log-spaced), Z_i standard normal d x d (E H_i = S), c_i ~ N(0, "
         "centre_spread^2 I); the test set is test_samples fresh pairs (H_i, c_i), its loss an estimate of the "
         "population loss. Or hessians and centres given explicitly (no test set).",
         {at_least(req("dim", T::integer, "Dimension d."), 1),
          at_least(opt("samples", T::integer, "10", "Number n of quadratics (synthetic)."), 1),
          at_least(opt("test_samples", T::integer, "100", "Number of fresh test quadratics (0: none)."), 0),
          positive(opt("lambda_max", T::number, "1.0", "Largest eigenvalue of S = E H_i.")),
          at_least(opt("condition", T::number, "10.0", "lambda_max / lambda_min of S."), 1.0),
          [] {
            Param p = at_least(opt("hessian_spread", T::number, "0.5",
                                   "How different the H_i are, in [0, 1]: 0 all equal to S, 1 Wishart around S."),
                               0.0);
            p.max = 1.0;
            return p;
          }(),
          at_least(opt("centre_spread", T::number, "1.0", "Standard deviation of the centres c_i."), 0.0),
          at_least(opt("data_seed", T::integer, "0", "Seed of the synthetic problem."), 0),
          opt("hessians", T::number_matrix, "[]",
              "Explicit H_1 .. H_n stacked: n d rows of d numbers (each block symmetric, PSD or indefinite); with "
              "centres."),
          opt("centres", T::number_matrix, "[]", "Explicit c_1 .. c_n: n rows of d numbers; with hessians.")}},
        {"double_well",
         "L = barrier (x_1^2/a^2 - 1)^2 + tilt x_1 + 1/2 sum_{i>=2} transverse_i x_i^2: minima near x_1 = +-a, "
         "saddle near 0; curvature 8 barrier/a^2 at the untilted minima, -4 barrier/a^2 at the saddle.",
         {positive(opt("barrier", T::number, "1.0", "Barrier height of the untilted well.")),
          positive(opt("a", T::number, "1.0", "Half-distance between the untilted minima.")),
          opt("tilt", T::number, "0.0", "Linear tilt c (asymmetric well); |c| < 8 barrier / (3 sqrt(3) a)."),
          opt("transverse", T::number_array, "[]", "Curvatures of x_2..x_d (> 0); empty: d = 1.")}},
        {"strict_saddle",
         "L = -1/2 lambda_minus x_1^2 + 1/4 beta x_1^4 + 1/2 sum_{i>=2} lambda_i x_i^2: a strict saddle at 0 "
         "confined by the quartic.",
         {positive(opt("lambda_minus", T::number, "1.0", "Negative curvature at the saddle (magnitude).")),
          positive(opt("beta", T::number, "1.0", "Quartic confinement.")),
          opt("lambda", T::number_array, "[]", "Curvatures of x_2..x_d (> 0).")}},
        {"mueller_brown",
         "The Mueller-Brown surface (Mueller & Brown 1979), 2-D, scaled.",
         {positive(opt("scale", T::number, "1.0", "Multiplier of the potential."))}},
        {"relu_network",
         "Paper 3's one-hidden-layer ReLU network for binary classification (Zhu et al. 2019, Fig. 4; "
         "docs/theory.md 4.4B): f(x) = clip(sum_j a_j relu(w_j . x + b_j), delta, 1 - delta), l_i = (f(x_i) - "
         "y_i)^2 (MSE, no 1/2). x_i uniform on [-2, 2]^input_dim, y_i = 1[x_i1 >= x_i2], a held-out test set. "
         "The output layer is fixed (+1 for the first ceil(width/2) units, -1 for the rest) unless "
         "output_layer = \"trained\". theta = the width x (input_dim + 1) first layer [W | b] flattened column by "
         "column "
         "(theta[k width + j] = w_jk, theta[input_dim width + j] = b_j), then a when trained. H is exact a.e.: "
         "Gauss-Newton (2/n) sum_i c_i J_i J_i^T (c_i = 1 inside the clip) plus, when a is trained, the "
         "cross-layer terms (1/n) sum_i r_i 1[u_ij > 0] x~_i. Initialisation (not recorded by the paper; ours): "
         "every first-layer weight and bias N(0, init_scale^2 / width) from data_seed; start there with "
         "dynamics.start_at = \"initial\".",
         {at_least(opt("samples", T::integer, "1000", "Number n of training samples (paper: 1000)."), 1),
          at_least(opt("test_samples", T::integer, "1000", "Size of the held-out test set (0: none)."), 0),
          at_least(opt("input_dim", T::integer, "2", "Input dimension p (paper: 2)."), 2),
          at_least(opt("width", T::integer, "100", "Hidden units m (paper: 100)."), 1),
          [] {
            Param p =
                at_least(opt("delta", T::number, "0.001", "Output clip threshold delta (paper: 1e-3), < 1/2."), 0.0);
            p.max = 0.499;
            return p;
          }(),
          at_least(opt("init_scale", T::number, "0.5",
                       "First-layer weights and biases N(0, init_scale^2 / width): the initial output has "
                       "standard deviation about init_scale."),
                   0.0),
          one_of(opt("output_layer", T::string, "\"fixed\"",
                     "\"fixed\" (the paper: a = +-1) or \"trained\" (a is part of theta, started at +-1)."),
                 {"fixed", "trained"}),
          at_least(opt("data_seed", T::integer, "0", "Seed of the data and of the initialisation."), 0)}},
        {"tanh_network",
         "A two-layer tanh network on synthetic regression data, l_i = 1/2 (f(x_i) - y_i)^2 with f(x) = sum_j a_j "
         "tanh(w_j . x + b_j), both layers trained: a smooth network on which GD shows progressive sharpening and "
         "the edge of stability (Cohen et al. 2021; docs/theory.md 5.3). x_i ~ N(0, I_input_dim); y_i from a random "
         "teacher of teacher_width tanh units with weights N(0, teacher_scale^2 / input_dim), scaled to unit "
         "standard deviation on the training set, plus label_noise N(0, 1); a held-out test set. theta = the "
         "width x (input_dim + 1) first layer [W | b] flattened column by column (theta[k width + j] = w_jk, "
         "theta[input_dim width + j] = b_j), then a; d = (input_dim + 2) width. H exact: Gauss-Newton plus the "
         "residual-weighted second derivatives. Initialisation w_jk ~ N(0, init_scale^2 / input_dim), b = 0, "
         "a_j ~ N(0, init_scale^2 / width) from data_seed; start there with dynamics.start_at = \"initial\".",
         {at_least(opt("samples", T::integer, "256", "Number n of training samples."), 1),
          at_least(opt("test_samples", T::integer, "1000", "Size of the held-out test set (0: none)."), 0),
          at_least(opt("input_dim", T::integer, "4", "Input dimension p."), 1),
          at_least(opt("width", T::integer, "24", "Hidden units m."), 1),
          at_least(opt("teacher_width", T::integer, "16", "Hidden units of the teacher that makes the labels."), 1),
          at_least(opt("teacher_scale", T::number, "4.0",
                       "Teacher weights N(0, teacher_scale^2 / input_dim): larger is a harder, less linear target."),
                   0.0),
          at_least(opt("label_noise", T::number, "0.0", "Standard deviation of the label noise."), 0.0),
          at_least(opt("init_scale", T::number, "0.3", "Scale of the initialisation (small: a flat start)."), 0.0),
          at_least(opt("data_seed", T::integer, "0", "Seed of the data and of the initialisation."), 0)}},
        {"sharp_flat_2d",
         "Paper 3's 2-D landscape with a sharp and a flat minimum, a finite sum over data (docs/theory.md 4.4A).",
         {at_least(opt("samples", T::integer, "100", "Number n of data points."), 1),
          positive(opt("data_scale", T::number, "0.01", "Scale of the data (docs/theory.md 4.4A: 1e-2).")),
          at_least(opt("data_seed", T::integer, "0", "Seed of the data."), 0)}}}});

  const Param on = one_of(opt("on", T::string, "\"gradient\"",
                              "Where the noise acts: \"gradient\" (its covariance is C, the step adds -eta xi) "
                              "or \"weights\" (its covariance is Sigma_step)."),
                          {"gradient", "weights"});
  s.push_back(
      {"noise",
       "The noise added to gradient descent (docs/conventions.md: C, Sigma_step, D).",
       false,
       false,
       {on},
       {{"none", "No noise: plain gradient descent or gradient flow.", {}},
        {"isotropic",
         "Gaussian with covariance variance * I.",
         {at_least(req("variance", T::number, "Variance per coordinate of the specified covariance."), 0)}},
        {"diagonal",
         "Gaussian with covariance diag(variances).",
         {req("variances", T::number_array, "The d variances (>= 0).")}},
        {"preconditioned",
         "Gaussian noise tied to dynamics.preconditioner M so that D = 2 eps M: the reversible case, Gibbs "
         "measure e^{-L/eps}, where the Eyring-Kramers law holds with lambda_-(M H_saddle). on = \"weights\": "
         "Sigma_step = variance M (eps = variance / (2 eta)); on = \"gradient\": C = variance M^{-1}, which the "
         "preconditioned step turns into Sigma_step = eta^2 M C M = eta^2 variance M (eps = eta variance / 2). "
         "Needs dynamics.preconditioner or dynamics.preconditioner_diagonal.",
         {at_least(req("variance", T::number, "The multiplier of M (weights) or of M^{-1} (gradient)."), 0)}},
        {"gaussian",
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
                   0)}},
        {"sgd",
         "SGD's own sampling noise on a finite-sum loss: the gradient of a mini-batch of b samples. "
         "C = Sigma_1 / b with replacement; (n - b)/(b (n - 1)) Sigma_1 without (docs/theory.md 1.2).",
         {one_of(opt("sampling", T::string, "\"with_replacement\"",
                     "\"with_replacement\" (b i.i.d. indices), \"without_replacement\" (an i.i.d. b-subset each "
                     "step), \"reshuffle\" (random reshuffling: epochs of floor(n/b) disjoint batches)."),
                 {"with_replacement", "without_replacement", "reshuffle"}),
          at_least(req("batch", T::integer, "Batch size b (b_0 under a batch schedule)."), 1),
          one_of(opt("batch_schedule", T::string, "\"constant\"",
                     "\"constant\" or \"step\": b_k = min(batch_max, batch batch_growth^floor(k / batch_every)); "
                     "C at step k uses b_k. Reshuffling restarts its epoch at each change of b (samples left in "
                     "the cut epoch are skipped). Discrete dynamics only."),
                 {"constant", "step"}),
          at_least(opt("batch_growth", T::integer, "2", "Factor of the step batch schedule."), 1),
          at_least(opt("batch_every", T::integer, "0", "Period of the step batch schedule in steps (> 0)."), 0),
          at_least(
              opt("batch_max", T::integer, "0", "Cap of the batch schedule (0: n; above n only with replacement)."),
              0)}},
        {"multiplicative",
         "Paper 1's multiplicative sampling noise g~ = G(theta) W on a finite-sum loss: \"gaussian_fisher\" "
         "W = (1 + sigma z)/n (C = sigma^2/n F), \"gaussian_cov\" W = (1 + sigma (z - zbar))/n "
         "(C = sigma^2/n Sigma_1), \"bernoulli\" W_i = B_i/(p n) (C = (1-p)/(p n) F) (docs/theory.md 1.2).",
         {one_of(req("type", T::string, "The weight distribution."), {"gaussian_fisher", "gaussian_cov", "bernoulli"}),
          at_least(opt("sigma", T::number, "1.0", "sigma of the Gaussian types."), 0.0),
          at_least(opt("match_batch", T::integer, "0",
                       "If > 0, sigma^2 = n / match_batch, so that the Cov type has SGD's covariance with "
                       "replacement at that batch (docs/theory.md 1.2)."),
                   0),
          opt("p", T::number, "0.1", "Keep probability of the Bernoulli type, in (0, 1].")}},
        {"gld",
         "Paper 3's Gaussian noises on a finite-sum loss, each at the trajectory's own theta (docs/theory.md 4.2, "
         "Table 1), with C_sgd = c_b Sigma_1 the SGD covariance at `batch`: const (variance I), dynamic "
         "((Tr C_sgd / d) I), diag (diag C_sgd), diag_fisher (c_b diag F), leading (top-k of C_sgd), hessian "
         "(top-k of H rescaled to Tr C_sgd), first_eigvec (Tr C_sgd u1 u1^T), gaussian_sgd (C_sgd), "
         "gaussian_fisher (fisher_scale F), gaussian_fisher_diag (fisher_scale diag F).",
         {one_of(req("type", T::string, "The GLD variant."),
                 {"const", "dynamic", "diag", "diag_fisher", "leading", "hessian", "first_eigvec", "gaussian_sgd",
                  "gaussian_fisher", "gaussian_fisher_diag"}),
          one_of(opt("sampling", T::string, "\"with_replacement\"", "The SGD whose covariance is the reference."),
                 {"with_replacement", "without_replacement", "reshuffle"}),
          at_least(opt("batch", T::integer, "1", "Batch size b of the reference SGD."), 1),
          at_least(opt("variance", T::number, "0.0", "sigma^2 of the const type."), 0.0),
          at_least(opt("k", T::integer, "1", "Eigenpairs kept by leading and hessian."), 1),
          at_least(opt("fisher_scale", T::number, "0.0", "s in s F (0: c_b, matching C_sgd at a minimum)."), 0.0),
          at_least(opt("trace", T::number, "0.0", "If > 0, C(theta) is rescaled to this trace at every theta."), 0.0)}},
        {"large_batch_fisher",
         "Paper 2: the gradient of a large batch B plus Gaussian noise s F (full) or s diag F (diagonal). The "
         "paper's small-batch scaling is uncertain (docs/theory.md 3.3): the default s matches the trace of SGD's "
         "covariance at small_batch.",
         {one_of(req("added", T::string, "\"full_fisher\" or \"diag_fisher\"."), {"full_fisher", "diag_fisher"}),
          one_of(opt("sampling", T::string, "\"with_replacement\"", "Sampling of the large batch."),
                 {"with_replacement", "without_replacement"}),
          at_least(req("large_batch", T::integer, "B."), 1),
          at_least(req("small_batch", T::integer, "b <= B: the SGD whose trace the default s matches."), 1),
          at_least(opt("scale", T::number, "-1.0", "s (< 0: trace matching)."), -1.0)}},
        {"alpha_stable",
         "Symmetric alpha-stable gradient noise, i.i.d. per coordinate with scale gamma (Chambers, Mallows & "
         "Stuck 1976): no covariance for alpha < 2, so C-based indicators are undefined.",
         {positive(req("alpha", T::number, "Stability index in (0, 2].")),
          positive(opt("gamma", T::number, "1.0", "Scale: E exp(i t X) = exp(-|gamma t|^alpha)."))}},
        {"label_noise",
         "Label-noise SGD on least squares: each step uses labels y_i + delta eps_i in the mini-batch gradient; "
         "C = c_b Sigma_1 + delta^2 kappa H.",
         {one_of(opt("sampling", T::string, "\"with_replacement\"", "Mini-batch sampling."),
                 {"with_replacement", "without_replacement", "reshuffle"}),
          at_least(req("batch", T::integer, "Batch size b."), 1),
          at_least(req("delta", T::number, "Label-noise standard deviation."), 0.0)}}}});

  const std::vector<Param> dyn_common = {
      positive(req("eta", T::number, "Step size eta; one step is tau = eta of continuous time.")),
      at_least(req("steps", T::integer, "Number of steps k."), 0),
      at_least(req("trajectories", T::integer, "Ensemble size N."), 1),
      opt("start", T::number_array, "[]",
          "theta_0 for every trajectory (empty: the quadratic's stationary point, or the minimizer with "
          "start_at = \"minimum\")."),
      one_of(opt("start_at", T::string, "\"given\"",
                 "\"given\": theta_0 is `start`; \"minimum\": the loss's global minimizer (least squares, "
                 "sum_of_quadratics, quadratics; an error where the loss knows none); \"initial\": the loss's "
                 "own initialisation (relu_network, tanh_network)."),
             {"given", "minimum", "initial"}),
      opt("preconditioner", T::number_matrix, "[]",
          "A constant symmetric positive definite d x d matrix M of the drift (empty: M = I): theta_{k+1} = "
          "theta_k - eta M g_k + zeta_k and d theta = -M grad L dtau + D^{1/2} dW. Gradient noise passes through M "
          "with the gradient (Sigma_step = eta^2 M C M), weight noise does not; noise.kind = \"preconditioned\" "
          "ties the noise to M (D = 2 eps M, reversible). Plain discrete SGD and the sde_* schemes."),
      opt("preconditioner_diagonal", T::number_array, "[]",
          "M = diag(these d numbers, all > 0), instead of dynamics.preconditioner."),
      at_least(opt("block", T::integer, "256", "Trajectories per block of work (never changes results)."), 1),
      positive(opt("divergence_bound", T::number, "1e100",
                   "A trajectory with a non-finite coordinate or |theta_i| above this (or an observed value, such as "
                   "its loss, non-finite or above 1e150) is marked diverged, counted and excluded from every "
                   "statistic; escape statistics censor it at that step.")),
      at_least(opt("max_diverged_fraction", T::number, "0.0",
                   "Checks fail when more than this fraction of trajectories diverged."),
               0.0)};
  s.push_back(
      {"dynamics",
       "How theta evolves.",
       true,
       false,
       dyn_common,
       {{"discrete",
         "Noisy gradient descent theta_{k+1} = theta_k - eta grad L(theta_k) + zeta_k; optionally with "
         "momentum or Adam, weight decay, a step-size schedule, or a coordinate-sequential update order. "
         "Exact predictions apply to the plain form only.",
         {one_of(opt("optimizer", T::string, "\"sgd\"",
                     "\"sgd\" (the plain step), \"momentum\" (heavy ball: v <- mu v + g, theta -= eta v), "
                     "\"adam\" (Kingma & Ba 2015, bias-corrected)."),
                 {"sgd", "momentum", "adam"}),
          at_least(opt("momentum", T::number, "0.9", "Heavy-ball coefficient mu."), 0.0),
          at_least(opt("beta1", T::number, "0.9", "Adam's first-moment decay."), 0.0),
          at_least(opt("beta2", T::number, "0.999", "Adam's second-moment decay."), 0.0),
          positive(opt("adam_epsilon", T::number, "1e-8", "Adam's epsilon.")),
          at_least(opt("weight_decay", T::number, "0.0", "L2 weight decay lambda: g <- g + lambda theta."), 0.0),
          one_of(opt("schedule", T::string, "\"constant\"",
                     "Step-size schedule: \"constant\", \"step\" (eta decay^floor(k / decay_every)), "
                     "\"cosine\" (eta/2 (1 + cos(pi k / schedule_horizon))). tau stays k eta (nominal)."),
                 {"constant", "step", "cosine"}),
          positive(opt("decay", T::number, "0.1", "Factor of the step schedule.")),
          at_least(opt("decay_every", T::integer, "0", "Period of the step schedule in steps."), 0),
          at_least(opt("schedule_horizon", T::integer, "0", "Length of the cosine schedule in steps."), 0),
          one_of(opt("update_order", T::string, "\"simultaneous\"",
                     "\"simultaneous\" (every coordinate from theta_k) or \"sequential\" (a Gauss-Seidel "
                     "sweep, paper 5; plain optimizer only)."),
                 {"simultaneous", "sequential"})}},
        {"sde_euler_maruyama",
         "Euler-Maruyama for d theta = -grad L dtau + D^{1/2} dW, D = Sigma_step / eta, dt = eta / substeps "
         "(Kloeden & Platen 1992, 10.2, 14.1): strong order 0.5 (1 for additive noise), weak order 1.",
         {at_least(opt("substeps", T::integer, "10", "Sub-steps m per step (dt = eta / m)."), 1),
          one_of(opt("increments", T::string, "\"noise\"",
                     "\"noise\": the noise model's own draw at theta scaled to covariance D dt (Gaussian for "
                     "Gaussian noise; SGD's sampling noise keeps its batch draws); \"gaussian\": Brownian increments "
                     "D(theta)^{1/2} dW with the symmetric square root of D(theta) per trajectory (any noise with a "
                     "covariance; kind reported as sde_euler_maruyama+gaussian)."),
                 {"noise", "gaussian"})}},
        {"sde_milstein",
         "Milstein for d theta = -grad L dtau + D(theta)^{1/2} dW (Kloeden & Platen 1992, 10.3), Gaussian "
         "increments, L^j b by central differences of b = D^{1/2}: strong order 1, weak order 1. Diagonal or "
         "commutative noise only (checked at dynamics.start; refused otherwise); additive noise gives "
         "Euler-Maruyama.",
         {at_least(opt("substeps", T::integer, "10", "Sub-steps m per step (dt = eta / m)."), 1)}},
        {"sde_weak2",
         "Platen's explicit order-2.0 weak scheme for multi-dimensional, non-commutative, state-dependent "
         "noise (Kloeden & Platen 1992, 15.1; two-point V of 14.2), derivative-free: weak order 2, strong "
         "order 0.5 (1 for additive noise).",
         {at_least(opt("substeps", T::integer, "10", "Sub-steps m per step (dt = eta / m)."), 1)}},
        {"sme",
         "Stochastic modified equation of SGD (Li, Tai & E 2017, Thm 1): order 1, d theta = -grad L dtau + "
         "(eta C)^{1/2} dW; order 2, drift -grad(L + eta/4 |grad L|^2) = -(grad L + eta/2 H grad L) with the "
         "same diffusion. Weak approximation of SGD of order 1 or 2 in eta, integrated by the chosen scheme.",
         {[] {
            Param p = at_least(opt("order", T::integer, "2", "Order of the modified equation, 1 or 2."), 1);
            p.max = 2.0;
            return p;
          }(),
          one_of(opt("integrator", T::string, "\"weak2\"",
                     "\"weak2\" (weak order 2, keeps order-2 accuracy) or \"euler_maruyama\" (weak order 1)."),
                 {"weak2", "euler_maruyama"}),
          at_least(opt("substeps", T::integer, "10", "Sub-steps m per step (dt = eta / m)."), 1)}},
        {"strong_coupling",
         "Paper 1's Gaussian multiplicative SGD and its SDE dX = -grad L dtau - sqrt(eta) G(X) Cov(V)^{1/2} dW "
         "(W n-dimensional) on one Brownian path (docs/theory.md 2, P1-1): the reference is Euler-Maruyama with "
         "`substeps` sub-steps (Kloeden & Platen 1992, 10.2) and the discrete step uses z_k = (W((k+1) eta) - "
         "W(k eta)) / sqrt(eta). theta is the discrete chain; records strong_error = E|theta_k - X(k eta)| and "
         "strong_error_sq, and the reference's own error against a half reference (substeps / 2 sub-steps, "
         "substeps even) as reference_error and reference_error_sq. Exact prediction of the two squared errors "
         "for losses with an affine gradient. Needs noise kind = \"multiplicative\" of a Gaussian type. "
         "Expected strong order 1 in eta (the diffusion is O(sqrt(eta))).",
         {at_least(opt("substeps", T::integer, "64", "Reference sub-steps M per step (dt = eta / M)."), 1)}},
        {"gradient_flow",
         "Gradient flow d theta / dtau = -grad L by Odeint's adaptive dopri5 (Dormand-Prince 5(4)), observed at "
         "tau = k eta; deterministic, no [noise] allowed.",
         {positive(opt("abs_tol", T::number, "1e-10", "Absolute tolerance of the step-size controller.")),
          positive(opt("rel_tol", T::number, "1e-10", "Relative tolerance of the step-size controller."))}},
        {"modified_flow",
         "Modified flow d theta / dtau = -grad(L + eta/4 |grad L|^2), which GD follows to O(eta^2), by adaptive "
         "dopri5 (order 5(4)), observed at tau = k eta; deterministic, no [noise] allowed.",
         {positive(opt("abs_tol", T::number, "1e-10", "Absolute tolerance of the step-size controller.")),
          positive(opt("rel_tol", T::number, "1e-10", "Relative tolerance of the step-size controller."))}},
        {"ou_exact",
         "The exact Ornstein-Uhlenbeck transition over tau = eta for a quadratic loss with constant "
         "Gaussian noise: the continuous dynamics sampled without discretisation error.",
         {}}}});

  s.push_back(
      {"observe",
       "What is recorded along the run.",
       false,
       false,
       {at_least(
            opt("every", T::integer, "1", "Observation period in steps (step 0 and the last are always observed)."), 1),
        at_least(opt("hessian_top_k", T::integer, "0",
                     "Top-k Hessian eigenvalues at theta* (Spectra Lanczos; dense for small d)."),
                 0),
        at_least(opt("hessian_bottom_k", T::integer, "0", "Bottom-k Hessian eigenvalues at theta*."), 0),
        at_least(opt("full_covariance_max_dim", T::integer, "10",
                     "Write the whole empirical covariance of theta at the last step when d is at most this."),
                 0),
        opt("mean_coordinates", T::number_array, "[]",
            "Coordinates i of theta whose ensemble mean is recorded as \"theta_i\"."),
        opt("covariance_entries", T::number_matrix, "[]",
            "Entries (i, j) of Cov theta to record along the run, as [[i, j], ...] (0-based)."),
        one_of(opt("indicators", T::string, "\"none\"",
                   "Record paper 3's indicators along the run: trace_H_C = Tr(H C), trace_H_Cbar = Tr(H Cbar) = Tr H "
                   "Tr C / d (Cbar the isotropic noise of equal trace), trace_C and anisotropy_ratio, with C the "
                   "noise's gradient-noise covariance at that point and step (Sigma_step / eta^2 for weight noise; "
                   "refused for noise without a covariance) and H the exact Hessian. \"mean\": at the "
                   "ensemble-mean point (exact there: se 0); \"trajectories\": at each of the first "
                   "indicator_trajectories trajectories, mean and standard error over them."),
               {"none", "mean", "trajectories"}),
        at_least(opt("indicator_trajectories", T::integer, "4",
                     "Trajectories the \"trajectories\" indicators average over (capped at the ensemble size)."),
                 1),
        one_of(opt("sharpness", T::string, "\"none\"",
                   "Record the sharpness lambda_max(H) along the run (the top eigenvalue of the exact Hessian: "
                   "dense for d <= 32, Spectra's Lanczos on Hessian-vector products above; an unconverged solve "
                   "is reported undefined with its reason), with 2/eta, GD's stability threshold (edge of "
                   "stability, Cohen et al. 2021; docs/theory.md 5.3), in the summary. \"mean\": at the ensemble-mean "
                   "point (se 0); \"trajectories\": at each of the first sharpness_trajectories trajectories, "
                   "mean and standard error over them."),
               {"none", "mean", "trajectories"}),
        at_least(opt("sharpness_trajectories", T::integer, "4",
                     "Trajectories the \"trajectories\" sharpness averages over (capped at the ensemble size)."),
                 1)},
       {}});

  s.push_back(
      {"escape",
       "First passage into a target region (the escape engine): escaped_fraction along the run and, in the "
       "summary, Kaplan-Meier survival, mean escape time, rate and probability within a horizon, in steps and "
       "in tau, censoring reported. Use observe.every = 1 for step resolution.",
       false,
       false,
       {one_of(opt("region", T::string, "\"none\"",
                   "\"none\", \"threshold\" (theta_coordinate above/below value), \"half_space\" "
                   "(normal . theta > offset), \"ball\" (|theta - centre| < radius, or > radius with "
                   "outside = true), \"level_set\" "
                   "(L(theta) > level), \"basin\" (the basin of attraction of minima[target] under gradient "
                   "flow: points whose flow reaches that minimum within basin_capture_radius in basin_time)."),
               {"none", "threshold", "half_space", "ball", "level_set", "basin"}),
        at_least(opt("coordinate", T::integer, "0", "Coordinate of the threshold."), 0),
        opt("value", T::number, "0.0", "Threshold value."),
        one_of(opt("side", T::string, "\"above\"", "Side of the threshold that counts as escaped."),
               {"above", "below"}),
        opt("normal", T::number_array, "[]", "Normal of the half-space."),
        opt("offset", T::number, "0.0", "Offset of the half-space."),
        opt("centre", T::number_array, "[]", "Centre of the ball."),
        positive(opt("radius", T::number, "1.0", "Radius of the ball.")),
        opt("outside", T::boolean, "false",
            "Ball only: escaped when |theta - centre| > radius (leaving the ball, e.g. a saddle's neighbourhood)."),
        opt("level", T::number, "0.0", "Loss level of the level set."),
        opt("minima", T::number_matrix, "[]",
            "Basin only: the minima, one row of d coordinates each; empty: the loss's own minima where it knows "
            "them (double_well: left, right; strict_saddle; mueller_brown; sharp_flat_2d: sharp, flat), in their "
            "order."),
        at_least(opt("target", T::integer, "0", "Basin only: index (row) of the target minimum."), 0),
        positive(opt("basin_time", T::number, "20.0", "Basin only: gradient-flow time allowed to reach a minimum.")),
        positive(opt("basin_dt", T::number, "0.01",
                     "Basin only: RK4 step of the gradient flow (stable for basin_dt lambda_max < 2.78).")),
        positive(opt("basin_capture_radius", T::number, "0.001",
                     "Basin only: a flow is captured by the first minimum within this distance.")),
        opt("bridge", T::boolean, "false",
            "Brownian-bridge crossing test between observations (Karatzas & Shreve 1991, 2.6; Glasserman 2004, "
            "6.4): a trajectory that ends an interval outside the target is counted as having crossed with "
            "probability exp(-2 a b / (Sigma_step (k1 - k0))), a and b its distances to the boundary, so a coarse "
            "step does not miss crossings. Only for threshold and half_space targets, Gaussian noise with a "
            "constant isotropic covariance (Sigma_step = s I, D = Sigma_step / eta), dynamics discrete "
            "(Euler-Maruyama with dt = eta) or sde_euler_maruyama / sde_milstein / sde_weak2, no "
            "preconditioner; refused elsewhere. Uniforms from their own stream per (trajectory, step)."),
        at_least(opt("horizon", T::integer, "0", "Horizon in steps of the escape probability (0: dynamics.steps)."), 0),
        opt("stop_escaped", T::boolean, "false",
            "Escaped trajectories leave the batch: from the observation that sees a trajectory escaped it is "
            "no longer stepped, so the cost follows the running ones. Escape results are identical either way "
            "(each trajectory draws its own numbers); every other result then averages the escaped "
            "trajectories at their state when stopped.")},
       {}});

  s.push_back(
      {"checks",
       "Comparisons of a result with a prediction ([[checks]], one table each).",
       false,
       true,
       {req("result", T::string,
            "Result name: \"loss\", \"dist2\" (|theta - theta*|^2), \"cov_trace\", \"cov_frobenius\" "
            "(of the empirical Cov theta), \"cov_i_j\" (a recorded entry), \"theta_i\" (a recorded mean "
            "coordinate), \"test_loss\" (held-out loss, where the loss has a test set)."),
        at_least(req("at_step", T::integer, "Step k at which to compare (an observed step)."), 0),
        one_of(opt("prediction", T::string, "\"exact\"",
                   "\"exact\": the exact prediction for the simulated scheme; \"discrete\": noisy GD at eta; "
                   "\"continuous\": the SDE at tau = k eta; \"discrete_stationary\" and "
                   "\"continuous_stationary\": the Lyapunov solutions. A prediction other than the scheme's "
                   "own at step k gets the exact difference between the two as its allowance. \"gd\": the plain GD "
                   "iterate, exact for theta_i when grad L is affine and the sampling is independent across "
                   "steps (docs/theory.md 1.5). \"one_step\": at step 1 of plain noisy GD, E theta_1 = theta_0 - "
                   "eta grad L and Cov theta_1 = eta^2 C(theta_0) for any loss (theta_i, cov_trace, cov_frobenius, "
                   "cov_i_j), "
                   "and E L(theta_1) = L(theta_0 - eta grad L) + 1/2 eta^2 Tr(H C(theta_0)) when grad L is affine "
                   "(docs/theory.md 3.3)."),
               {"exact", "discrete", "continuous", "discrete_stationary", "continuous_stationary", "gd", "one_step"}),
        positive(opt("sigmas", T::number, "5.0",
                     "Tolerance in standard errors; the check's false-alarm probability is printed."))},
       {}});
  return s;
}
}  // namespace

const std::vector<SectionSchema>& scenario_schema() {
  static const std::vector<SectionSchema> s = build();
  return s;
}

const SectionSchema* find_section(const std::string& name) {
  for (const auto& s : scenario_schema())
    if (s.name == name) return &s;
  return nullptr;
}

namespace {
std::string describe(const Param& p) {
  std::ostringstream o;
  o << to_string(p.type);
  if (p.min) o << (p.min_exclusive ? ", > " : ", >= ") << *p.min;
  if (!p.choices.empty()) {
    o << ", one of";
    for (const auto& c : p.choices) o << " \"" << c << "\"";
  }
  return o.str();
}
}  // namespace

std::string schema_markdown() {
  std::ostringstream o;
  o << "# Scenario files\n\n"
       "Generated by `sgdnoise list --markdown` from the parameter schema that also validates scenarios "
       "and `--set` overrides. A scenario is a TOML file; every key below is checked, unknown keys are errors.\n";
  auto table = [&](const std::vector<Param>& ps) {
    o << "\n| key | type | default | meaning |\n|---|---|---|---|\n";
    for (const auto& p : ps)
      o << "| `" << p.name << "` | " << describe(p) << " | "
        << (p.default_toml ? "`" + *p.default_toml + "`" : "required") << " | " << p.doc << " |\n";
  };
  for (const auto& s : scenario_schema()) {
    o << "\n## " << (s.name.empty() ? "top level" : (s.array_of_tables ? "[[" + s.name + "]]" : "[" + s.name + "]"))
      << (s.required ? "" : " (optional)") << "\n\n"
      << s.doc << "\n";
    if (!s.common.empty()) table(s.common);
    for (const auto& k : s.kinds) {
      o << "\n### kind = \"" << k.name << "\"\n\n" << k.doc << "\n";
      if (!k.params.empty()) table(k.params);
    }
  }
  return o.str();
}

std::string schema_listing() {
  std::ostringstream o;
  for (const auto& s : scenario_schema()) {
    o << (s.name.empty() ? "(top level)" : s.name) << ": " << s.doc << "\n";
    auto params = [&](const std::vector<Param>& ps, const char* indent) {
      for (const auto& p : ps)
        o << indent << p.name << " (" << describe(p) << ") = " << p.default_toml.value_or("<required>") << "\n";
    };
    params(s.common, "    ");
    for (const auto& k : s.kinds) {
      o << "  kind \"" << k.name << "\": " << k.doc << "\n";
      params(k.params, "      ");
    }
  }
  return o.str();
}

}  // namespace sgdnoise
