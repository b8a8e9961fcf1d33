#include "scenario/experiment.hpp"

#include <sstream>

#include "noise/gaussian.hpp"

namespace sgdnoise {

std::vector<const Observer*> Experiment::observer_ptrs() const {
  std::vector<const Observer*> v;
  for (const auto& o : observers) v.push_back(o.get());
  return v;
}

Mat Experiment::initial_state() const { return theta0.transpose().replicate(trajectories, 1); }

namespace {

Vec vector_of_dim(const Scenario& sc, const std::string& key, Index d) {
  Vec v = sc.get_vector(key);
  if (v.size() != d) {
    std::ostringstream m;
    m << "expected " << d << " numbers (the loss dimension), got " << v.size();
    sc.fail(key, m.str());
  }
  return v;
}

std::shared_ptr<const Quadratic> build_quadratic(const Scenario& sc) {
  const Index d = sc.get_int("loss.dim");
  Vec lambda = vector_of_dim(sc, "loss.eigenvalues", d);
  Mat U = sc.get_string("loss.basis") == "random"
              ? random_orthogonal(d, static_cast<std::uint64_t>(sc.get_int("loss.basis_seed")))
              : Mat::Identity(d, d);
  Vec theta_star = sc.get_vector("loss.minimum").size() == 0 ? Vec::Zero(d) : vector_of_dim(sc, "loss.minimum", d);
  return std::make_shared<Quadratic>(std::move(lambda), std::move(U), std::move(theta_star),
                                     sc.get_number("loss.offset"));
}

std::shared_ptr<const NoiseModel> build_noise(const Scenario& sc, Index d) {
  const std::string kind = sc.get_string("noise.kind");
  const NoiseTarget on = sc.get_string("noise.on") == "weights" ? NoiseTarget::weights : NoiseTarget::gradient;
  if (kind == "none") return nullptr;
  if (kind == "isotropic")
    return std::make_shared<GaussianNoise>(GaussianNoise::isotropic(d, sc.get_number("noise.variance"), on));
  if (kind == "diagonal") {
    Vec v = vector_of_dim(sc, "noise.variances", d);
    if ((v.array() < 0.0).any()) sc.fail("noise.variances", "variances must be >= 0");
    return std::make_shared<GaussianNoise>(GaussianNoise::diagonal(v, on));
  }
  sc.fail("noise.kind", "not implemented: " + kind);
}

}  // namespace

Experiment build_experiment(Scenario sc, int threads) {
  Experiment ex{std::move(sc), {}, {}, {}, {}, {}, 0, {}, {}, {}};
  const Scenario& s = ex.scenario;
  if (s.get_string("loss.kind") == "quadratic") {
    ex.quadratic = build_quadratic(s);
    ex.loss = ex.quadratic;
  } else {
    s.fail("loss.kind", "not implemented");
  }
  const Index d = ex.loss->dim();
  ex.noise = build_noise(s, d);

  const double eta = s.get_number("dynamics.eta");
  const std::string dyn = s.get_string("dynamics.kind");
  if (dyn == "discrete")
    ex.stepper = std::make_unique<NoisyGD>(ex.loss, ex.noise, eta);
  else if (dyn == "sde_euler_maruyama")
    ex.stepper = std::make_unique<EulerMaruyama>(ex.loss, ex.noise, eta,
                                                 static_cast<int>(s.get_int("dynamics.substeps")));
  else
    s.fail("dynamics.kind", "not implemented: " + dyn);

  if (s.get_vector("dynamics.start").size() == 0) {
    if (!ex.quadratic) s.fail("dynamics.start", "required for this loss (it has no known stationary point)");
    ex.theta0 = ex.quadratic->stationary_point();
  } else {
    ex.theta0 = vector_of_dim(s, "dynamics.start", d);
  }
  ex.trajectories = s.get_int("dynamics.trajectories");
  ex.spec.seed = s.seed();
  ex.spec.steps = s.get_int("dynamics.steps");
  ex.spec.every = s.get_int("observe.every");
  ex.spec.block = s.get_int("dynamics.block");
  ex.spec.threads = threads;

  ex.observers.push_back(std::make_unique<LossObserver>(ex.loss));

  std::vector<std::string> known;
  for (const auto& o : ex.observers)
    for (auto& n : o->names()) known.push_back(n);
  const auto ks = observation_steps(ex.spec.steps, ex.spec.every);
  for (std::size_t i = 0; i < s.count("checks"); ++i) {
    const std::string p = "checks." + std::to_string(i);
    CheckSpec c{s.get_string(p + ".result"), s.get_int(p + ".at_step"), s.get_string(p + ".prediction"),
                s.get_number(p + ".sigmas")};
    if (std::find(known.begin(), known.end(), c.result) == known.end()) {
      std::string k;
      for (const auto& n : known) k += (k.empty() ? "" : ", ") + n;
      s.fail(p + ".result", "unknown result \"" + c.result + "\" (this scenario records: " + k + ")");
    }
    if (std::find(ks.begin(), ks.end(), c.at_step) == ks.end()) {
      std::ostringstream m;
      m << "step " << c.at_step << " is not observed (observed: multiples of observe.every = " << ex.spec.every
        << " up to dynamics.steps = " << ex.spec.steps << ", and the last step)";
      s.fail(p + ".at_step", m.str());
    }
    ex.checks.push_back(std::move(c));
  }
  return ex;
}

}  // namespace sgdnoise
