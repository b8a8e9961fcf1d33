#include "dynamics/flows.hpp"

#include <algorithm>
#include <boost/numeric/odeint.hpp>
#include <boost/numeric/odeint/external/eigen/eigen.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace sgdnoise {

namespace {

namespace odeint = boost::numeric::odeint;
// Odeint on an Eigen vector: vector-space algebra (Eigen's own arithmetic), dopri5.
using Dopri5 = odeint::runge_kutta_dopri5<Vec, double, Vec, double, odeint::vector_space_algebra>;

struct FlowRhs {
  const Loss& loss;
  FlowKind kind;
  double eta;
  void operator()(const Vec& x, Vec& dxdt, double /*tau*/) const { dxdt = flow_velocity(loss, kind, eta, x); }
};

}  // namespace

Vec flow_velocity(const Loss& loss, FlowKind kind, double eta, const Vec& theta) {
  const Vec g = loss.gradient_at(theta);
  if (kind == FlowKind::gradient) return -g;
  // -grad (L + eta/4 ||grad L||^2) = -(g + eta/2 H g) (Li, Tai & E 2017, Thm 1).
  return -(g + (0.5 * eta) * loss.hessian_vector(theta, g));
}

FlowSeries integrate_flow_at(const Loss& loss, FlowKind kind, double eta, const Vec& theta0,
                             const std::vector<double>& times, const FlowOptions& options) {
  for (std::size_t i = 0; i < times.size(); ++i)
    if (!(times[i] >= 0.0) || !std::isfinite(times[i]) || (i > 0 && times[i] < times[i - 1]))
      throw std::invalid_argument("integrate_flow_at: times must be finite, >= 0 and non-decreasing");
  if (theta0.size() != loss.dim()) throw std::invalid_argument("integrate_flow_at: theta0 has the wrong dimension");
  FlowSeries r;
  if (times.empty()) {
    r.ok = true;
    return r;
  }
  // integrate_times starts at its first time: prepend tau = 0 and skip that observation.
  std::vector<double> grid{0.0};
  grid.insert(grid.end(), times.begin(), times.end());
  bool first = true;
  auto observer = [&](const Vec& x, double /*tau*/) {
    if (first) {
      first = false;
      return;
    }
    r.theta.push_back(x);
  };
  Vec x = theta0;
  auto stepper = odeint::make_controlled<Dopri5>(options.abs_tol, options.rel_tol);
  const double dt0 = times.back() > 0.0 ? std::min(1e-3 * times.back(), eta) : eta;
  try {
    r.steps = odeint::integrate_times(stepper, FlowRhs{loss, kind, eta}, x, grid.begin(), grid.end(), dt0, observer);
  } catch (const odeint::odeint_error& e) {
    r.reason = std::string("Odeint failed: ") + e.what();
    r.theta.clear();
    return r;
  }
  for (const Vec& t : r.theta)
    if (!t.allFinite()) {
      r.reason = "the flow left the finite numbers";
      r.theta.clear();
      return r;
    }
  if (r.theta.size() != times.size()) {
    r.reason = "Odeint did not report every requested time";
    r.theta.clear();
    return r;
  }
  r.ok = true;
  return r;
}

FlowStepper::FlowStepper(std::shared_ptr<const Loss> loss, double eta, FlowKind kind, FlowOptions options)
    : loss_(std::move(loss)), eta_(eta), kind_(kind), opt_(options) {
  if (!(eta_ > 0.0) || !std::isfinite(eta_)) throw std::invalid_argument("step size eta must be positive and finite");
  if (!(opt_.abs_tol > 0.0) || !(opt_.rel_tol > 0.0)) throw std::invalid_argument("flow tolerances must be positive");
}

void FlowStepper::advance(std::uint64_t /*seed*/, std::uint64_t k, RowIds /*traj*/, BlockRef X) const {
  const Index d = loss_->dim();
  const double t1 = static_cast<double>(k + 1) * eta_;
  const double t_end_tol = 1e-14 * std::max(1.0, t1);
  const FlowRhs rhs{*loss_, kind_, eta_};
  for (Index i = 0; i < X.rows(); ++i) {
    Vec x = X.row(i).head(d).transpose();
    double dt = X(i, d) > 0.0 ? X(i, d) : eta_;
    double t = static_cast<double>(k) * eta_;
    // A fresh controller per trajectory and step: dopri5 is FSAL, and its stored
    // derivative must never pass from one trajectory to another.
    auto stepper = odeint::make_controlled<Dopri5>(opt_.abs_tol, opt_.rel_tol);
    std::size_t attempts = 0;
    bool failed = false;
    while (t1 - t > t_end_tol) {
      if (++attempts > opt_.max_attempts || !x.allFinite()) {
        failed = true;
        break;
      }
      const bool clipped = dt > t1 - t;
      double h = clipped ? t1 - t : dt;
      try {
        if (stepper.try_step(rhs, x, t, h) == odeint::success)
          dt = clipped ? std::max(dt, h) : h;  // a clipped step says little about the next
        else
          dt = h;  // the controller's smaller step
      } catch (const odeint::odeint_error&) {
        failed = true;
        break;
      }
    }
    if (failed) x.setConstant(std::numeric_limits<double>::quiet_NaN());
    X.row(i).head(d) = x.transpose();
    X(i, d) = dt;
  }
}

}  // namespace sgdnoise
