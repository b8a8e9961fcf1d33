#pragma once
// CLI11 validators for numeric options. CLI11's own PositiveNumber / NonNegativeNumber let
// nan through and print their range with %f (a 309-digit DBL_MAX); these refuse nan and
// inf and print numbers %g-like.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/format.hpp"

namespace sgdnoise {

/// A finite number >= lo (> lo when strict).
inline CLI::Validator finite_at_least(double lo, bool strict = false) {
  const std::string bound = (strict ? "> " : ">= ") + format_g(lo);
  return CLI::Validator(
      [lo, strict, bound](std::string& s) -> std::string {
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(s.c_str(), &end);
        if (s.empty() || end != s.c_str() + s.size()) return "'" + s + "' is not a number";
        if (!std::isfinite(v) || errno == ERANGE) return "must be a finite number " + bound + " (got " + s + ")";
        if (strict ? !(v > lo) : !(v >= lo)) return "must be " + bound + " (got " + format_g(v) + ")";
        return {};
      },
      "NUMBER " + bound);
}

/// An integer count >= lo, also written as a float with an integral value ("1e9"), which
/// is rewritten to its digits for CLI11's integer conversion (register with ->transform).
inline CLI::Validator count_at_least(std::int64_t lo) {
  return CLI::Validator(
      [lo](std::string& s) -> std::string {
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(s.c_str(), &end);
        if (s.empty() || end != s.c_str() + s.size()) return "'" + s + "' is not a number";
        if (!std::isfinite(v) || errno == ERANGE || std::abs(v) >= 9.2e18)
          return "must be an integer >= " + std::to_string(lo) + " (got " + s + ", out of range)";
        if (v != std::floor(v)) return "must be an integer (got " + s + ")";
        if (v < static_cast<double>(lo)) return "must be >= " + std::to_string(lo) + " (got " + format_g(v) + ")";
        if (s.find_first_of(".eE") != std::string::npos) s = std::to_string(static_cast<std::int64_t>(v));
        return {};
      },
      "INT >= " + std::to_string(lo));
}

/// --seed: an integer in [0, 2^63 - 1], the range of the scenario's `seed` key (a TOML
/// integer is a signed 64-bit integer).
inline CLI::Validator seed_range() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const std::string range = "[0, 2^63-1 = 9223372036854775807] (the scenario's seed is a TOML integer)";
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
          return "'" + s + "' is not an integer in " + range;
        errno = 0;
        const unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
        if (errno == ERANGE || v > 9223372036854775807ULL) return s + " is out of range " + range;
        return {};
      },
      "SEED");
}

}  // namespace sgdnoise
