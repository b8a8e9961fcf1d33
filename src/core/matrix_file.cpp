#include "core/matrix_file.hpp"

#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/errors.hpp"

namespace sgdnoise {

Mat read_matrix_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "", "cannot open the matrix file");
  std::vector<std::vector<double>> rows;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    for (char& c : line)
      if (c == ',' || c == ';' || c == '\t') c = ' ';
    std::istringstream ls(line);
    std::vector<double> row;
    std::string tok;
    while (ls >> tok) {
      std::size_t used = 0;
      double v = 0.0;
      try {
        v = std::stod(tok, &used);
      } catch (...) {
        used = 0;
      }
      if (used != tok.size() || !std::isfinite(v))
        throw InputError(path + ":" + std::to_string(lineno), "", "not a finite number: '" + tok + "'");
      row.push_back(v);
    }
    if (row.empty()) continue;
    if (!rows.empty() && row.size() != rows.front().size())
      throw InputError(path + ":" + std::to_string(lineno), "",
                       "row has " + std::to_string(row.size()) + " numbers, the first row has " +
                           std::to_string(rows.front().size()));
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw InputError(path, "", "the matrix file is empty");
  Mat m(static_cast<Index>(rows.size()), static_cast<Index>(rows.front().size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j) m(static_cast<Index>(i), static_cast<Index>(j)) = rows[i][j];
  return m;
}

}  // namespace sgdnoise
