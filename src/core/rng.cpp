#include "core/rng.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <string>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SGDNOISE_RNG_X86 1
#else
#define SGDNOISE_RNG_X86 0
#endif

#include "core/fast_math.hpp"
#include "core/platform.hpp"

// Box-Muller takes the square root of -2 log(u1) >= 0, which cannot set errno. The
// possibility that it might is control flow that stops GCC from vectorizing the loop
// (-fno-math-errno, which the build does not set); declaring sqrt const says that
// it has no side effect, so it compiles to sqrtpd/sqrtsd, correctly rounded as always.
extern "C" double sqrt(double) noexcept __attribute__((const));

namespace sgdnoise {

namespace {
void check_draws(std::uint32_t first_draw, Index cols) {
  if (first_draw % 2 != 0) throw std::invalid_argument("fill_normals: first_draw must be even");
  if (std::uint64_t{first_draw} / 2 + (static_cast<std::uint64_t>(cols) + 1) / 2 > kMaxDrawPairs)
    throw std::invalid_argument("random stream: more than 2^25 draws per trajectory and step (" + std::to_string(cols) +
                                " requested)");
}
}  // namespace

// ---------------------------------------------------------------------------------
// Normal kernels. A column of out (one draw pair of n trajectories) is computed in
// chunks of kChunk trajectories; a partial last chunk computes the trajectories past
// the end and drops them. So every trajectory, wherever it lies in a block, goes
// through the same fixed-size loops, whose trip count is a multiple of every vector
// width: there is no scalar remainder. FP contraction is off (the pragma below, as
// in fast_math.hpp) and fma is written out where used, so the bits do not depend on
// how the compiler maps lanes to registers either. One kernel per instruction set
// (AVX-512, AVX2 + FMA, baseline), chosen once at run time; they compute the same
// stream and differ only where a * b + c is rounded once (fma) or twice.
namespace {

// 32 lanes: on the AVX-512 kernel 2.1x the rate of 16 lanes (365 -> 780 M normals/s, one
// core of the AMD EPYC this project is measured on); AVX2 1.2x. Each lane computes the
// same bits whatever the chunk (tests/test_rng.cpp compares the kernels).
constexpr int kChunk = 32;
constexpr std::uint64_t kLow32 = 0xFFFFFFFFull;

/// The per-call constants of a column: counter words 1..3 and the ten round keys,
/// 32-bit values widened to 64 bits (the lanes of the wide kernels).
struct ColumnCoords {
  std::uint64_t w1, w2, w3;
  std::uint64_t key0[10], key1[10];
};

ColumnCoords column_coords(const StreamCoords& s, std::uint32_t pair) {
  ColumnCoords c{};
  c.w1 = (static_cast<std::uint32_t>(s.purpose) << 24) | pair;
  c.w2 = static_cast<std::uint32_t>(s.step);
  c.w3 = static_cast<std::uint32_t>(s.step >> 32);
  auto k0 = static_cast<std::uint32_t>(s.seed), k1 = static_cast<std::uint32_t>(s.seed >> 32);
  for (int r = 0; r < 10; ++r) {
    c.key0[r] = k0;
    c.key1[r] = k1;
    k0 += Philox4x32::kWeyl0;
    k1 += Philox4x32::kWeyl1;
  }
  return c;
}

/// Philox output words of one chunk, one 32-bit word in each 64-bit element.
struct ChunkWords {
  alignas(64) std::uint64_t w0[kChunk], w1[kChunk], w2[kChunk], w3[kChunk];
};

/// The trajectory index (counter word 0) of each lane of the chunk at row i: first_traj + i + l,
/// or ids[i + l] in a compacted ensemble; lanes past the end of the column repeat the last row.
struct ChunkCounters {
  alignas(64) std::uint64_t c[kChunk];
};

struct ColumnArgs {
  const ColumnCoords* cc;
  std::uint64_t first_traj;  // row r is trajectory first_traj + r (ids null)
  const std::uint64_t* ids;  // row r is trajectory ids[r] (a compacted ensemble), or null
  Index n;
  double* col0;          // draw 2 pair (cosine branch)
  double* col1;          // draw 2 pair + 1 (sine branch), or null
  bool uniform = false;  // uniforms u01_open(w0, w1), u01_open(w2, w3) instead of normals
};

// Baseline Philox: Philox4x32::apply itself, one counter per iteration; GCC
// vectorizes the loop over the chunk (pmuludq on SSE2). Defined outside the
// fp-contract region below, whose functions cannot inline functions compiled with
// other options, so that apply is inlined here.
[[gnu::noinline]] void philox_chunk_apply(const ColumnCoords& cc, const ChunkCounters& ctr, ChunkWords& out) {
  alignas(64) std::uint32_t w[4][kChunk];
  for (int l = 0; l < kChunk; ++l) {
    std::uint32_t c[4] = {static_cast<std::uint32_t>(ctr.c[l]), static_cast<std::uint32_t>(cc.w1),
                          static_cast<std::uint32_t>(cc.w2), static_cast<std::uint32_t>(cc.w3)};
    Philox4x32::apply(c, static_cast<std::uint32_t>(cc.key0[0]), static_cast<std::uint32_t>(cc.key1[0]));
    for (int k = 0; k < 4; ++k) w[k][l] = c[k];
  }
  for (int l = 0; l < kChunk; ++l) {
    out.w0[l] = w[0][l];
    out.w1[l] = w[1][l];
    out.w2[l] = w[2][l];
    out.w3[l] = w[3][l];
  }
}

}  // namespace

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

namespace {

[[gnu::always_inline]] inline void chunk_counters(const ColumnArgs& a, Index i, ChunkCounters& out) {
  if (!a.ids) {
    for (int l = 0; l < kChunk; ++l) out.c[l] = a.first_traj + static_cast<std::uint64_t>(i + l);
    return;
  }
  for (int l = 0; l < kChunk; ++l) out.c[l] = a.ids[i + l < a.n ? i + l : a.n - 1];
}

// The rounds of Philox4x32::apply with every word in a 64-bit lane, masked to 32
// bits before each multiply: with AVX-512DQ, GCC vectorizes this with vpmullq and
// no 32 <-> 64-bit lane shuffles (1.6x the loop above there).
[[gnu::always_inline]] inline void philox_chunk_wide(const ColumnCoords& cc, const ChunkCounters& ctr,
                                                     ChunkWords& out) {
  for (int l = 0; l < kChunk; ++l) {
    std::uint64_t c0 = ctr.c[l] & kLow32, c1 = cc.w1, c2 = cc.w2, c3 = cc.w3;
    for (int r = 0; r < 10; ++r) {
      const std::uint64_t p0 = std::uint64_t{Philox4x32::kMul0} * (c0 & kLow32);
      const std::uint64_t p1 = std::uint64_t{Philox4x32::kMul1} * (c2 & kLow32);
      c0 = (p1 >> 32) ^ c1 ^ cc.key0[r];
      c2 = (p0 >> 32) ^ c3 ^ cc.key1[r];
      c1 = p1;  // the high half is garbage until masked
      c3 = p0;
    }
    out.w0[l] = c0 & kLow32;
    out.w1[l] = c1 & kLow32;
    out.w2[l] = c2 & kLow32;
    out.w3[l] = c3 & kLow32;
  }
}

// u01_open(hi, lo), bit for bit. With kCvt as written there: the conversion of the
// 53-bit integer m is exact, and AVX-512DQ has a vector instruction for it. Without,
// no int64 -> double conversion (there is none before AVX-512): 2^52 + v is exact
// for v < 2^52, so both halves convert exactly, hi 2^21 + (lo >> 11) = m exactly,
// and (m + 0.5) 2^-53 is rounded as in u01_open.
template <bool kCvt>
[[gnu::always_inline]] inline double u01_open_bits(std::uint64_t hi, std::uint64_t lo) {
  if constexpr (kCvt) return (static_cast<double>((hi << 21) ^ (lo >> 11)) + 0.5) * 0x1p-53;
  constexpr std::uint64_t kTwo52Bits = 0x4330000000000000ull;
  const double dh = std::bit_cast<double>(kTwo52Bits | hi) - 0x1p52;
  const double dl = std::bit_cast<double>(kTwo52Bits | (lo >> 11)) - 0x1p52;
  return (dh * 0x1p21 + dl + 0.5) * 0x1p-53;
}

// Box-Muller (Box & Muller 1958) on a chunk whose Philox words are in w, written to
// rows i.. of the column; u1 is in (0, 1] so the log is finite. Two loops rather
// than one: shorter dependency chains per iteration, which the out-of-order core
// overlaps across iterations.
template <bool kFma, bool kCvt>
[[gnu::always_inline]] inline void finish_chunk(const ChunkWords& w, const ColumnArgs& a, Index i) {
  alignas(64) double rad[kChunk], zc[kChunk], zs[kChunk];
  const auto len = static_cast<std::size_t>(a.n - i < kChunk ? a.n - i : kChunk);
  if (a.uniform) {  // fill_uniforms: the words as they come
    for (int l = 0; l < kChunk; ++l) {
      zc[l] = u01_open_bits<kCvt>(w.w0[l], w.w1[l]);
      zs[l] = u01_open_bits<kCvt>(w.w2[l], w.w3[l]);
    }
    std::memcpy(a.col0 + i, zc, len * sizeof(double));
    if (a.col1) std::memcpy(a.col1 + i, zs, len * sizeof(double));
    return;
  }
  for (int l = 0; l < kChunk; ++l)
    rad[l] = std::sqrt(-2.0 * fast_math::log_normal_pos<kFma>(u01_open_bits<kCvt>(w.w0[l], w.w1[l])));
  if (!a.col1) {  // an odd last column: the sine branch is not asked for (the same cosines)
    for (int l = 0; l < kChunk; ++l) {
      double c, s;
      fast_math::sincos_turns<kFma>(u01_open_bits<kCvt>(w.w2[l], w.w3[l]), c, s);
      zc[l] = rad[l] * c;
    }
    std::memcpy(a.col0 + i, zc, len * sizeof(double));
    return;
  }
  for (int l = 0; l < kChunk; ++l) {
    double c, s;
    fast_math::sincos_turns<kFma>(u01_open_bits<kCvt>(w.w2[l], w.w3[l]), c, s);
    zc[l] = rad[l] * c;
    zs[l] = rad[l] * s;
  }
  std::memcpy(a.col0 + i, zc, len * sizeof(double));
  std::memcpy(a.col1 + i, zs, len * sizeof(double));
}

// One column function per instruction set, each the same loop over chunks; the
// helpers above are inlined into it and compiled for its target.
void normals_column_baseline(const ColumnArgs& a) {
#ifdef FP_FAST_FMA
  constexpr bool kFma = true;  // e.g. -march=native
#else
  constexpr bool kFma = false;
#endif
  for (Index i = 0; i < a.n; i += kChunk) {
    ChunkWords w;
    ChunkCounters ctr;
    chunk_counters(a, i, ctr);
    philox_chunk_apply(*a.cc, ctr, w);
    finish_chunk<kFma, false>(w, a, i);
  }
}

#if SGDNOISE_RNG_X86
// GCC 12 vectorizes a 32x32 -> 64-bit multiply for AVX2 only through 32-bit lanes
// and shuffles, so these rounds use vpmuludq (_mm256_mul_epu32), which multiplies
// the low halves of 64-bit lanes and ignores the high ones (2.2x the loops above).
[[gnu::target("avx2,fma"), gnu::always_inline]] inline __m256i bcast(std::uint64_t v) {
  return _mm256_set1_epi64x(static_cast<long long>(v));
}

[[gnu::target("avx2,fma"), gnu::always_inline]] inline void philox_chunk_avx2(const ColumnCoords& cc,
                                                                              const ChunkCounters& ctr,
                                                                              ChunkWords& out) {
  const __m256i low = bcast(kLow32), m0 = bcast(Philox4x32::kMul0), m1 = bcast(Philox4x32::kMul1);
  for (int v = 0; v < kChunk; v += 4) {
    __m256i c0 = _mm256_and_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(ctr.c + v)), low);
    __m256i c1 = bcast(cc.w1), c2 = bcast(cc.w2), c3 = bcast(cc.w3);
    for (int r = 0; r < 10; ++r) {
      const __m256i p0 = _mm256_mul_epu32(c0, m0), p1 = _mm256_mul_epu32(c2, m1);
      c0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), c1), bcast(cc.key0[r]));
      c2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c3), bcast(cc.key1[r]));
      c1 = p1;
      c3 = p0;
    }
    _mm256_store_si256(reinterpret_cast<__m256i*>(out.w0 + v), _mm256_and_si256(c0, low));
    _mm256_store_si256(reinterpret_cast<__m256i*>(out.w1 + v), _mm256_and_si256(c1, low));
    _mm256_store_si256(reinterpret_cast<__m256i*>(out.w2 + v), _mm256_and_si256(c2, low));
    _mm256_store_si256(reinterpret_cast<__m256i*>(out.w3 + v), _mm256_and_si256(c3, low));
  }
}

[[gnu::target("avx2,fma")]] void normals_column_avx2(const ColumnArgs& a) {
  for (Index i = 0; i < a.n; i += kChunk) {
    ChunkWords w;
    ChunkCounters ctr;
    chunk_counters(a, i, ctr);
    philox_chunk_avx2(*a.cc, ctr, w);
    finish_chunk<true, false>(w, a, i);
  }
}

// GCC 12's avx512fintrin.h leaves an _mm512_undefined operand that -Wmaybe-uninitialized flags.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// The same rounds on 512-bit vectors: vpmuludq (_mm512_mul_epu32) multiplies the low 32
// bits of each 64-bit lane, so no masking before the multiplies and no vpmullq.
[[gnu::target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma"), gnu::always_inline]] inline void philox_chunk_avx512(
    const ColumnCoords& cc, const ChunkCounters& ctr, ChunkWords& out) {
  const __m512i low = _mm512_set1_epi64(static_cast<long long>(kLow32));
  const __m512i m0 = _mm512_set1_epi64(Philox4x32::kMul0), m1 = _mm512_set1_epi64(Philox4x32::kMul1);
  for (int v = 0; v < kChunk; v += 8) {
    __m512i c0 = _mm512_load_si512(ctr.c + v);
    __m512i c1 = _mm512_set1_epi64(static_cast<long long>(cc.w1)),
            c2 = _mm512_set1_epi64(static_cast<long long>(cc.w2)),
            c3 = _mm512_set1_epi64(static_cast<long long>(cc.w3));
    for (int r = 0; r < 10; ++r) {
      const __m512i p0 = _mm512_mul_epu32(c0, m0), p1 = _mm512_mul_epu32(c2, m1);
      c0 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p1, 32), c1,
                                     _mm512_set1_epi64(static_cast<long long>(cc.key0[r])), 0x96);
      c2 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p0, 32), c3,
                                     _mm512_set1_epi64(static_cast<long long>(cc.key1[r])), 0x96);
      c1 = p1;
      c3 = p0;
    }
    _mm512_store_si512(out.w0 + v, _mm512_and_si512(c0, low));
    _mm512_store_si512(out.w1 + v, _mm512_and_si512(c1, low));
    _mm512_store_si512(out.w2 + v, _mm512_and_si512(c2, low));
    _mm512_store_si512(out.w3 + v, _mm512_and_si512(c3, low));
  }
}
#pragma GCC diagnostic pop

[[gnu::target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")]] void normals_column_avx512(const ColumnArgs& a) {
  for (Index i = 0; i < a.n; i += kChunk) {
    ChunkWords w;
    ChunkCounters ctr;
    chunk_counters(a, i, ctr);
    philox_chunk_avx512(*a.cc, ctr, w);
    finish_chunk<true, true>(w, a, i);
  }
}
#endif

}  // namespace

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

namespace {

using ColumnKernel = void (*)(const ColumnArgs&);

struct NamedKernel {
  const char* name;
  ColumnKernel fn;
};

// The kernels this CPU can run, fastest first.
std::vector<NamedKernel> usable_kernels() {
  std::vector<NamedKernel> k;
#if SGDNOISE_RNG_X86
  if (cpu_level() >= CpuLevel::avx512) k.push_back({"avx512", normals_column_avx512});
  if (cpu_level() >= CpuLevel::avx2_fma) k.push_back({"avx2", normals_column_avx2});
#endif
  k.push_back({"baseline", normals_column_baseline});
  return k;
}

const std::vector<NamedKernel>& kernels() {
  static const std::vector<NamedKernel> k = usable_kernels();
  return k;
}

void fill_normals_kernel(ColumnKernel kernel, const StreamCoords& s, RowIds traj, std::uint32_t first_draw,
                         BlockRef out) {
  check_draws(first_draw, out.cols());
  for (Index j = 0; j < out.cols(); j += 2) {
    const auto pair = static_cast<std::uint32_t>((first_draw + static_cast<std::uint32_t>(j)) / 2);
    const ColumnCoords cc = column_coords(s, pair);
    kernel({&cc, traj.first(), traj.ids(), out.rows(), out.col(j).data(),
            j + 1 < out.cols() ? out.col(j + 1).data() : nullptr, false});
  }
}

}  // namespace

void fill_normals(const StreamCoords& s, RowIds traj, std::uint32_t first_draw, BlockRef out) {
  fill_normals_kernel(kernels().front().fn, s, traj, first_draw, out);
}

std::vector<std::string> normal_kernels() {
  std::vector<std::string> names;
  for (const auto& k : kernels()) names.emplace_back(k.name);
  return names;
}

void fill_normals_with(const std::string& kernel, const StreamCoords& s, RowIds traj, std::uint32_t first_draw,
                       BlockRef out) {
  for (const auto& k : kernels())
    if (kernel == k.name) return fill_normals_kernel(k.fn, s, traj, first_draw, out);
  throw std::invalid_argument("fill_normals_with: no kernel '" + kernel + "' on this CPU");
}

void fill_uniforms(const StreamCoords& s, RowIds traj, std::uint32_t first_draw, BlockRef out) {
  check_draws(first_draw, out.cols());
  const ColumnKernel kernel = kernels().front().fn;
  for (Index j = 0; j < out.cols(); j += 2) {
    const auto pair = static_cast<std::uint32_t>((first_draw + static_cast<std::uint32_t>(j)) / 2);
    const ColumnCoords cc = column_coords(s, pair);
    kernel({&cc, traj.first(), traj.ids(), out.rows(), out.col(j).data(),
            j + 1 < out.cols() ? out.col(j + 1).data() : nullptr, true});
  }
}

}  // namespace sgdnoise
