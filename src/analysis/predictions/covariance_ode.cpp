#include "analysis/predictions/covariance_ode.hpp"

#include <algorithm>
#include <boost/numeric/odeint.hpp>
#include <cmath>
#include <stdexcept>

namespace sgdnoise {

namespace {

namespace odeint = boost::numeric::odeint;
using State = std::vector<double>;

/// The right-hand side -H S - S H^T + D on the column-major entries of S.
class CovarianceRhs {
 public:
  CovarianceRhs(const Mat& H, const Mat& D) : H_(H), D_(D) {}
  void operator()(const State& x, State& dxdt, double /*tau*/) const {
    const Index d = H_.rows();
    const Eigen::Map<const Mat> S(x.data(), d, d);
    Eigen::Map<Mat> dS(dxdt.data(), d, d);
    dS.noalias() = D_;
    dS.noalias() -= H_ * S;
    dS.noalias() -= S * H_.transpose();
  }

 private:
  const Mat& H_;
  const Mat& D_;
};

void check_arguments(const Mat& H, const Mat& D, const Mat& S0, double abs_tol, double rel_tol, const char* who) {
  const Index d = H.rows();
  if (H.cols() != d || D.rows() != d || D.cols() != d || S0.rows() != d || S0.cols() != d)
    throw std::invalid_argument(std::string(who) + ": H, D and S0 must be square and of the same size");
  if (!(abs_tol > 0.0) || !(rel_tol > 0.0))
    throw std::invalid_argument(std::string(who) + ": tolerances must be positive");
}

State to_state(const Mat& S) { return State(S.data(), S.data() + S.size()); }

Mat from_state(const State& x, Index d) { return Eigen::Map<const Mat>(x.data(), d, d); }

/// First trial step: a small fraction of the fastest time scale 1/||H|| (the
/// controller adapts it at once; this only avoids a wasted first rejection).
double initial_dt(const Mat& H, double horizon) {
  const double h = H.norm();
  const double dt = h > 0.0 ? 0.01 / h : horizon;
  return std::min(dt, horizon > 0.0 ? horizon : dt);
}

}  // namespace

CovarianceOdeResult integrate_covariance(const Mat& H, const Mat& D, const Mat& S0, double tau, double abs_tol,
                                         double rel_tol) {
  check_arguments(H, D, S0, abs_tol, rel_tol, "integrate_covariance");
  if (!(tau >= 0.0) || !std::isfinite(tau))
    throw std::invalid_argument("integrate_covariance: tau must be finite and >= 0");
  CovarianceOdeResult r;
  const Index d = H.rows();
  if (tau == 0.0 || d == 0) {
    r.ok = true;
    r.S = S0;
    return r;
  }
  State x = to_state(S0);
  auto stepper = odeint::make_controlled<odeint::runge_kutta_dopri5<State>>(abs_tol, rel_tol);
  try {
    r.steps = odeint::integrate_adaptive(stepper, CovarianceRhs(H, D), x, 0.0, tau, initial_dt(H, tau));
  } catch (const odeint::odeint_error& e) {
    // Odeint signals a step size driven to nothing (stiffness, overflow) this way.
    r.reason = std::string("Odeint failed: ") + e.what();
    return r;
  }
  r.S = from_state(x, d);
  if (!r.S.allFinite()) {
    r.reason = "covariance ODE overflowed";
    r.S.resize(0, 0);
    return r;
  }
  r.ok = true;
  return r;
}

CovarianceOdeSeries integrate_covariance_at(const Mat& H, const Mat& D, const Mat& S0, const std::vector<double>& times,
                                            double abs_tol, double rel_tol) {
  check_arguments(H, D, S0, abs_tol, rel_tol, "integrate_covariance_at");
  for (std::size_t i = 0; i < times.size(); ++i)
    if (!(times[i] >= 0.0) || !std::isfinite(times[i]) || (i > 0 && times[i] < times[i - 1]))
      throw std::invalid_argument("integrate_covariance_at: times must be finite, >= 0 and non-decreasing");
  CovarianceOdeSeries r;
  r.times = times;
  const Index d = H.rows();
  if (times.empty()) {
    r.ok = true;
    return r;
  }
  // integrate_times starts at its first time point, so prepend tau = 0 and let the
  // observer skip that one call.
  std::vector<double> grid;
  grid.reserve(times.size() + 1);
  grid.push_back(0.0);
  grid.insert(grid.end(), times.begin(), times.end());
  r.S.reserve(times.size());
  bool first = true;
  auto observer = [&](const State& x, double /*tau*/) {
    if (first) {
      first = false;
      return;
    }
    r.S.push_back(from_state(x, d));
  };
  State x = to_state(S0);
  auto stepper = odeint::make_controlled<odeint::runge_kutta_dopri5<State>>(abs_tol, rel_tol);
  try {
    r.steps = odeint::integrate_times(stepper, CovarianceRhs(H, D), x, grid.begin(), grid.end(),
                                      initial_dt(H, times.back()), observer);
  } catch (const odeint::odeint_error& e) {
    r.reason = std::string("Odeint failed: ") + e.what();
    r.S.clear();
    return r;
  }
  for (const Mat& S : r.S)
    if (!S.allFinite()) {
      r.reason = "covariance ODE overflowed";
      r.S.clear();
      return r;
    }
  if (r.S.size() != times.size()) {
    r.reason = "Odeint did not report every requested time";
    r.S.clear();
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace sgdnoise
