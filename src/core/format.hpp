#pragma once
// Numbers in messages: %g-like, so a range error on 1e308 prints "1e+308", not 309 digits
// (std::to_string uses %f).
#include <cstdio>
#include <string>

namespace sgdnoise {

inline std::string format_g(double v, int precision = 6) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

}  // namespace sgdnoise
