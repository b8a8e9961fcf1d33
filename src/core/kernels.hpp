#pragma once
// Batched linear-algebra kernels over trajectory blocks.
//
// out = X * M for X a block of trajectories (rows) and M a small dense matrix.
// Each output element is accumulated over the inner index in the same fixed
// order, with the same operations, whichever lane of the vectorized loop or of
// the scalar remainder its trajectory falls in. A general GEMM would pick its
// blocking from the block's row count, which would make results depend on the
// block size (docs/conventions.md, determinism).
#include "core/types.hpp"

namespace sgdnoise {

/// out = X * M (out: X.rows() x M.cols()).
void rows_times(ConstBlockRef X, const Mat& M, BlockRef out);
/// out += X * M.
void rows_times_add(ConstBlockRef X, const Mat& M, BlockRef out);
/// out = X * diag(v)
void rows_times_diag(ConstBlockRef X, const Vec& v, BlockRef out);

}  // namespace sgdnoise
