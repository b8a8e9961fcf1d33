#pragma once
// The Loss interface: value, gradient and Hessian on a batch of points.
//
// A loss is evaluated on a block of trajectories of one group (rows are points
// theta, columns coordinates). Scenarios may give each group of trajectories its
// own instance (for example fresh data per repeat), so a loss holds no state
// that depends on which trajectories it is asked about. Losses know nothing of
// noise (ARCHITECTURE.md).
#include <optional>
#include <string>

#include "core/types.hpp"

namespace sgdnoise {

class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string kind() const = 0;
  virtual Index dim() const = 0;

  /// out[i] = L(X.row(i)).
  virtual void value(ConstBlockRef X, Eigen::Ref<Vec> out) const = 0;
  /// G.row(i) = grad L(X.row(i)).
  virtual void gradient(ConstBlockRef X, BlockRef G) const = 0;
  /// Dense Hessian at one point.
  virtual Mat hessian(const Vec& theta) const = 0;
  /// Hessian-vector product at one point; losses with a cheaper form override it.
  virtual Vec hessian_vector(const Vec& theta, const Vec& v) const { return hessian(theta) * v; }

  /// A global minimizer and the minimum value, where the loss knows them.
  virtual std::optional<Vec> minimizer() const { return std::nullopt; }
  virtual std::optional<double> minimum_value() const { return std::nullopt; }

  /// Convenience for one point.
  double value_at(const Vec& theta) const;
  Vec gradient_at(const Vec& theta) const;
};

}  // namespace sgdnoise
