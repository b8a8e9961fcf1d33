#pragma once
// Scalar and batch types shared by every layer.
//
// An ensemble is stored as an N x d column-major matrix: row i is trajectory i,
// column j is coordinate j, so one coordinate's values over trajectories are
// contiguous (structure of arrays). A block of trajectories is a range of rows.
#include <Eigen/Dense>
#include <cstdint>

namespace sgdnoise {

using Index = Eigen::Index;
using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

/// A mutable block of trajectories (rows) of an ensemble, any outer stride.
using BlockRef = Eigen::Ref<Mat, 0, Eigen::OuterStride<>>;
/// A read-only block of trajectories.
using ConstBlockRef = Eigen::Ref<const Mat, 0, Eigen::OuterStride<>>;

}  // namespace sgdnoise
