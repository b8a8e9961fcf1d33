#pragma once
// Build facts recorded beside every output (metadata, not results).
#include <string>

namespace sgdnoise {

/// The widest SIMD instruction set this binary was compiled for.
inline std::string instruction_set() {
#if defined(__AVX512F__)
  return "avx512f";
#elif defined(__AVX2__) && defined(__FMA__)
  return "avx2+fma";
#elif defined(__AVX2__)
  return "avx2";
#elif defined(__AVX__)
  return "avx";
#elif defined(__SSE2__)
  return "sse2";
#else
  return "scalar";
#endif
}

}  // namespace sgdnoise
