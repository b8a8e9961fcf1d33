#pragma once
// Dense matrices from CSV files: one row per line, the numbers separated by commas,
// semicolons or tabs (every cell non-empty: "1,,2" is refused, not read as two numbers) or,
// on a line without those, by spaces. Blank lines are skipped. Files are read through
// core/input_file.hpp: no directories or devices, at most kMaxMatrixFileBytes.
#include <string>

#include "core/types.hpp"

namespace sgdnoise {

/// Reads a matrix; throws InputError naming the file, line and reason on any
/// malformed, empty, non-finite or ragged content.
Mat read_matrix_csv(const std::string& path);

/// The same from the file's text (`where` names it in messages).
Mat parse_matrix_csv(const std::string& text, const std::string& where);

}  // namespace sgdnoise
