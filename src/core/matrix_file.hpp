#pragma once
// Dense matrices from CSV files (one row per line, comma- or whitespace-separated).
#include <string>

#include "core/types.hpp"

namespace sgdnoise {

/// Reads a matrix; throws InputError naming the file, line and reason on any
/// malformed, non-finite or ragged content.
Mat read_matrix_csv(const std::string& path);

}  // namespace sgdnoise
