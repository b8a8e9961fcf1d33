#pragma once
// Build facts recorded beside every output (metadata, not results), and the one place the
// CPU's instruction set is detected for the run-time kernel choice.
#include <string>

namespace sgdnoise {

/// The kernel families of the hot loops (normals, the block product, the least-squares
/// per-sample gradient), widest last. Every kernel table indexes this one detection.
enum class CpuLevel { baseline = 0, avx2_fma = 1, avx512 = 2 };

/// What this CPU runs, detected once: avx512 needs AVX-512 F, DQ, VL and BW with FMA;
/// avx2_fma needs AVX2 and FMA. Non-x86 builds: baseline.
inline CpuLevel cpu_level() {
  static const CpuLevel level = [] {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    const bool fma = __builtin_cpu_supports("fma");
    if (fma && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw"))
      return CpuLevel::avx512;
    if (fma && __builtin_cpu_supports("avx2")) return CpuLevel::avx2_fma;
#endif
    return CpuLevel::baseline;
  }();
  return level;
}

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
