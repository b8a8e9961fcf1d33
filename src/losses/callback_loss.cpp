#include "losses/callback_loss.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <sstream>

#include <Eigen/Eigenvalues>

#include "core/errors.hpp"
#include "core/format.hpp"

namespace sgdnoise {

void CallbackStatus::fail(const std::string& what) {
  {
    const std::lock_guard<std::mutex> lock(m_);
    if (failure_.empty()) failure_ = what.empty() ? std::string("the callback failed") : what;
  }
  stop_.store(true);
}

bool CallbackStatus::failed() const {
  const std::lock_guard<std::mutex> lock(m_);
  return !failure_.empty();
}

std::string CallbackStatus::failure() const {
  const std::lock_guard<std::mutex> lock(m_);
  return failure_;
}

void CallbackStatus::clear() {
  const std::lock_guard<std::mutex> lock(m_);
  failure_.clear();
  stop_.store(false);
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string point_text(ConstBlockRef X, Index row) {
  std::ostringstream s;
  s << "[";
  const Index shown = std::min<Index>(X.cols(), 6);
  for (Index j = 0; j < shown; ++j) s << (j ? ", " : "") << format_g(X(row, j));
  if (X.cols() > shown) s << ", ...";
  s << "]";
  return s.str();
}

// The first row whose input is finite but whose output is not: the user's function, not the
// dynamics, produced the non-finite number.
template <class Out>
Index first_bad_row(ConstBlockRef X, const Out& out) {
  for (Index i = 0; i < X.rows(); ++i)
    if (X.row(i).allFinite() && !out.row(i).allFinite()) return i;
  return -1;
}

}  // namespace

CallbackLoss::CallbackLoss(CallbackLossSpec spec, std::shared_ptr<CallbackStatus> status)
    : spec_(std::move(spec)), status_(std::move(status)) {
  if (!spec_.gradient) throw InputError(origin(), "grad", "is required");
  for (const auto& m : spec_.minima) minima_.push_back(critical_point(m, 0, "minimum"));
  for (const auto& s : spec_.saddles) saddles_.push_back(critical_point(s, 1, "saddle"));
}

void CallbackLoss::gradient(ConstBlockRef X, BlockRef G) const {
  try {
    spec_.gradient(X, G);
  } catch (const std::exception& e) {
    status_->fail(std::string("grad of the loss \"") + spec_.name + "\" failed: " + e.what());
    G.setConstant(kNaN);
    return;
  }
  if (const Index i = first_bad_row(X, G); i >= 0) {
    status_->fail("grad of the loss \"" + spec_.name + "\" returned a non-finite value at theta = " + point_text(X, i) +
                  " (row " + std::to_string(i) + " of the block)");
    G.setConstant(kNaN);
  }
}

void CallbackLoss::value(ConstBlockRef X, Eigen::Ref<Vec> out) const {
  if (!spec_.value) {
    status_->fail("the loss \"" + spec_.name +
                  "\" has no value function, and this run needs L (an observable or a check of the loss): give "
                  "value= to Loss.from_python");
    out.setConstant(kNaN);
    return;
  }
  try {
    spec_.value(X, out);
  } catch (const std::exception& e) {
    status_->fail(std::string("value of the loss \"") + spec_.name + "\" failed: " + e.what());
    out.setConstant(kNaN);
    return;
  }
  for (Index i = 0; i < X.rows(); ++i)
    if (X.row(i).allFinite() && !std::isfinite(out(i))) {
      status_->fail("value of the loss \"" + spec_.name +
                    "\" returned a non-finite value at theta = " + point_text(X, i));
      out.setConstant(kNaN);
      return;
    }
}

Mat CallbackLoss::hessian(const Vec& theta) const {
  const Index d = spec_.dim;
  if (spec_.hessian) {
    Mat H;
    try {
      H = spec_.hessian(theta);
    } catch (const std::exception& e) {
      status_->fail(std::string("hessian of the loss \"") + spec_.name + "\" failed: " + e.what());
      return Mat::Constant(d, d, kNaN);
    }
    if (theta.allFinite() && !H.allFinite()) {
      status_->fail("hessian of the loss \"" + spec_.name +
                    "\" returned a non-finite value at theta = " + point_text(theta.transpose(), 0));
      return Mat::Constant(d, d, kNaN);
    }
    return H;
  }
  // Central differences of the gradient, all 2d points in one block (one callback).
  const double c = std::cbrt(std::numeric_limits<double>::epsilon());
  Mat X(2 * d, d);
  Vec h(d);
  for (Index j = 0; j < d; ++j) {
    h(j) = c * std::max(1.0, std::abs(theta(j)));
    X.row(2 * j) = theta.transpose();
    X.row(2 * j + 1) = theta.transpose();
    X(2 * j, j) += h(j);
    X(2 * j + 1, j) -= h(j);
  }
  Mat G(2 * d, d);
  gradient(X, G);
  Mat H(d, d);
  for (Index j = 0; j < d; ++j) H.col(j) = (G.row(2 * j) - G.row(2 * j + 1)).transpose() / (2.0 * h(j));
  return 0.5 * (H + H.transpose());
}

bool CallbackLoss::call_sample_gradient(ConstBlockRef X, const IndexBlock& idx, Mat& out) const {
  if (!spec_.sample_gradient) {
    status_->fail("the loss \"" + spec_.name + "\" has no per-sample gradients (sample_grad)");
    return false;
  }
  out.resize(X.rows() * idx.cols(), spec_.dim);
  try {
    spec_.sample_gradient(X, idx, out);
  } catch (const std::exception& e) {
    status_->fail(std::string("sample_grad of the loss \"") + spec_.name + "\" failed: " + e.what());
    return false;
  }
  for (Index t = 0; t < X.rows(); ++t) {
    if (!X.row(t).allFinite()) continue;
    for (Index j = 0; j < idx.cols(); ++j)
      if (!out.row(t * idx.cols() + j).allFinite()) {
        status_->fail("sample_grad of the loss \"" + spec_.name + "\" returned a non-finite value for sample " +
                      std::to_string(idx(t, j)) + " at theta = " + point_text(X, t));
        return false;
      }
  }
  return true;
}

void CallbackLoss::sparse_weighted_gradient(ConstBlockRef X, const IndexBlock& idx, ConstBlockRef w, BlockRef G) const {
  Mat out;
  if (!call_sample_gradient(X, idx, out)) {
    G.setConstant(kNaN);
    return;
  }
  const Index b = idx.cols();
  for (Index t = 0; t < X.rows(); ++t) {
    G.row(t).setZero();
    for (Index j = 0; j < b; ++j) G.row(t) += w(t, j) * out.row(t * b + j);
  }
}

void CallbackLoss::dense_weighted_gradient(ConstBlockRef X, ConstBlockRef W, BlockRef G) const {
  const Index n = spec_.n_samples;
  IndexBlock idx(X.rows(), n);
  for (Index t = 0; t < X.rows(); ++t)
    for (Index i = 0; i < n; ++i) idx(t, i) = static_cast<std::int32_t>(i);
  sparse_weighted_gradient(X, idx, W, G);
}

Mat CallbackLoss::sample_gradients(const Vec& theta) const {
  const Index n = spec_.n_samples;
  IndexBlock idx(1, n);
  for (Index i = 0; i < n; ++i) idx(0, i) = static_cast<std::int32_t>(i);
  Mat out;
  if (!call_sample_gradient(theta.transpose(), idx, out)) return Mat::Constant(spec_.dim, n, kNaN);
  return out.transpose();
}

std::optional<double> CallbackLoss::minimum_value() const {
  if (!spec_.minimizer || !spec_.value) return std::nullopt;
  return value_at(*spec_.minimizer);
}

std::string CallbackLoss::origin() const { return "Loss.from_python(name=\"" + spec_.name + "\")"; }

CriticalPoint CallbackLoss::critical_point(const Vec& theta0, int expected_index, const char* what) const {
  const std::string key = expected_index == 0 ? "minima" : "saddles";
  if (theta0.size() != spec_.dim)
    throw InputError(origin(), key,
                     std::string("a ") + what + " has " + std::to_string(theta0.size()) + " coordinates; the loss \"" +
                         spec_.name + "\" has dim = " + std::to_string(spec_.dim));
  // Newton's method on grad L = 0 from the given location.
  Vec theta = theta0;
  double gnorm = 0.0;
  for (int it = 0; it < 50; ++it) {
    const Vec g = gradient_at(theta);
    gnorm = g.norm();
    if (status_->failed()) throw InputError(origin(), key, status_->failure());
    if (gnorm <= 1e-12 * std::max(1.0, theta.norm())) break;
    const Mat H = hessian(theta);
    theta -= H.fullPivLu().solve(g);
    if (!theta.allFinite()) break;
  }
  if (!theta.allFinite() || gnorm > 1e-8 * std::max(1.0, theta.norm()))
    throw InputError(origin(), key,
                     std::string("Newton's method from the ") + what + " at " + point_text(theta0.transpose(), 0) +
                         " did not find a stationary point (|grad| = " + format_g(gnorm) + ")");
  CriticalPoint p;
  p.theta = theta;
  p.hessian = hessian(theta);
  p.value = spec_.value ? value_at(theta) : std::numeric_limits<double>::quiet_NaN();
  if (status_->failed()) throw InputError(origin(), key, status_->failure());
  const Vec ev = Eigen::SelfAdjointEigenSolver<Mat>(p.hessian, Eigen::EigenvaluesOnly).eigenvalues();
  p.morse_index = static_cast<int>((ev.array() < 0.0).count());
  if ((ev.array() == 0.0).any() || p.morse_index != expected_index)
    throw InputError(origin(), key,
                     std::string("the stationary point at ") + point_text(theta.transpose(), 0) + " has " +
                         std::to_string(p.morse_index) + " negative Hessian eigenvalue(s): not a nondegenerate " +
                         what);
  return p;
}

CallbackLossTable& CallbackLossTable::instance() {
  static CallbackLossTable table;
  return table;
}

void CallbackLossTable::define(CallbackLossSpec spec, std::shared_ptr<CallbackStatus> status) {
  const std::lock_guard<std::mutex> lock(m_);
  for (auto& e : entries_)
    if (e.spec.name == spec.name) {
      e = {std::move(spec), std::move(status)};
      return;
    }
  entries_.push_back({std::move(spec), std::move(status)});
}

std::shared_ptr<const CallbackLoss> CallbackLossTable::find(const std::string& name) const {
  const std::lock_guard<std::mutex> lock(m_);
  for (const auto& e : entries_)
    if (e.spec.name == name) return std::make_shared<CallbackLoss>(e.spec, e.status);
  return nullptr;
}

void CallbackLossTable::clear() {
  const std::lock_guard<std::mutex> lock(m_);
  entries_.clear();
}

std::vector<std::string> CallbackLossTable::names() const {
  const std::lock_guard<std::mutex> lock(m_);
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.spec.name);
  return out;
}

}  // namespace sgdnoise
