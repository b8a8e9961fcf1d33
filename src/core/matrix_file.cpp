#include "core/matrix_file.hpp"

#include <cmath>
#include <sstream>
#include <vector>

#include "core/errors.hpp"
#include "core/input_file.hpp"

namespace sgdnoise {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// The cells of one line: split on ',', ';' or '\t' when the line has one of them (every
// cell must then be non-empty), else on spaces.
std::vector<std::string> cells(const std::string& line, const std::string& where) {
  std::vector<std::string> out;
  if (line.find_first_of(",;\t") == std::string::npos) {
    std::istringstream ls(line);
    for (std::string tok; ls >> tok;) out.push_back(tok);
    return out;
  }
  std::size_t start = 0;
  while (true) {
    const auto sep = line.find_first_of(",;\t", start);
    const std::string cell = trim(line.substr(start, sep == std::string::npos ? std::string::npos : sep - start));
    if (cell.empty())
      throw InputError(where, "",
                       "empty cell in column " + std::to_string(out.size() + 1) + " (every cell needs a number)");
    out.push_back(cell);
    if (sep == std::string::npos) break;
    start = sep + 1;
  }
  return out;
}

}  // namespace

Mat parse_matrix_csv(const std::string& text, const std::string& where_file) {
  std::vector<std::vector<double>> rows;
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (trim(line).empty()) continue;
    const std::string where = where_file + ":" + std::to_string(lineno);
    std::vector<double> row;
    for (const auto& tok : cells(line, where)) {
      std::size_t used = 0;
      double v = 0.0;
      try {
        v = std::stod(tok, &used);
      } catch (...) {
        used = 0;
      }
      if (used != tok.size() || !std::isfinite(v)) throw InputError(where, "", "not a finite number: '" + tok + "'");
      row.push_back(v);
    }
    if (!rows.empty() && row.size() != rows.front().size())
      throw InputError(where, "",
                       "row has " + std::to_string(row.size()) + " numbers, the first row has " +
                           std::to_string(rows.front().size()));
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw InputError(where_file, "", "the matrix file is empty");
  Mat m(static_cast<Index>(rows.size()), static_cast<Index>(rows.front().size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j) m(static_cast<Index>(i), static_cast<Index>(j)) = rows[i][j];
  return m;
}

Mat read_matrix_csv(const std::string& path) {
  return parse_matrix_csv(read_input_file(path, "matrix file", kMaxMatrixFileBytes), path);
}

}  // namespace sgdnoise
