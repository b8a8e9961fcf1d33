#pragma once
// Counter-based random streams (Philox4x32-10, Salmon et al. 2011, as in Random123).
//
// Layout (docs/conventions.md, determinism): key = the run seed (64 bits, two words);
// counter = (original trajectory index, purpose tag << 24 | draw pair index,
// step low word, step high word). Any draw can therefore be recomputed from its
// coordinates alone, whatever the thread count, block size or compaction.
//
// Normal draws come in Box-Muller pairs: draw index j of a (trajectory, purpose,
// step) uses pair j/2 and takes its cosine (j even) or sine (j odd) branch, so
// models that draw different numbers of normals share the first ones.
//
// Philox is written here over plain integer arrays so that the loop over
// trajectories is one instruction stream for every lane; tests compare it with
// Random123's reference implementation bit for bit.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/types.hpp"

namespace sgdnoise {

/// What a random draw is for; different purposes never share numbers.
enum class Purpose : std::uint32_t {
  gradient_noise = 1,       // NoiseModel draws (one step of discrete dynamics)
  sde_increment = 2,        // Brownian increments of an SDE sub-step
  ou_exact = 3,             // exact Ornstein-Uhlenbeck transition
  initial_state = 4,        // random initial conditions
  sampling = 5,             // mini-batch indices and sampling weights
  epoch_permutation = 6,    // random reshuffling: one permutation per (trajectory, epoch); step = epoch
  sde_weak2_auxiliary = 7,  // weak order-2 SDE scheme: the two-point variables V_{r,j} of a sub-step
  slq_probe = 8,            // stochastic Lanczos quadrature: Rademacher probes; step = probe index
  data_instance = 13,       // fresh data per group of trajectories: the data seed of group g >= 1; step = g
  escape_bridge = 14,  // escape.bridge: the uniform of the Brownian-bridge crossing test; step = k1 of the interval
  ams_clone = 15,      // adaptive multilevel splitting: the survivor a killed replica copies; trajectory = the
                       // replica's slot, step = the iteration, key = the run's key (analysis/ams.hpp)
  // Taken: 1-8, 13-15 (9-12 are assigned to work on other branches). A value never changes
  // meaning (old runs must replay).
};

inline constexpr std::uint32_t kMaxDrawPairs = 1u << 24;

struct Philox4x32 {
  static constexpr std::uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  static constexpr std::uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;

  /// Ten rounds of Philox4x32 on counter c with key (k0, k1), in place.
  static inline void apply(std::uint32_t c[4], std::uint32_t k0, std::uint32_t k1) {
    for (int r = 0; r < 10; ++r) {
      const std::uint64_t p0 = std::uint64_t{kMul0} * c[0];
      const std::uint64_t p1 = std::uint64_t{kMul1} * c[2];
      const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
      const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
      const std::uint32_t n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
      c[0] = n0;
      c[1] = lo1;
      c[2] = n2;
      c[3] = lo0;
      k0 += kWeyl0;
      k1 += kWeyl1;
    }
  }
};

/// Uniform in the open interval (0, 1) from 53 random bits.
inline double u01_open(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t m = (std::uint64_t{hi} << 21) ^ (lo >> 11);
  return (static_cast<double>(m) + 0.5) * 0x1.0p-53;
}

/// The stream coordinates shared by one call: seed, purpose and step.
struct StreamCoords {
  std::uint64_t seed = 0;
  Purpose purpose = Purpose::gradient_noise;
  std::uint64_t step = 0;
};

/// Raw Philox output for one (trajectory, pair) coordinate.
inline void philox_block(const StreamCoords& s, std::uint64_t traj, std::uint32_t pair, std::uint32_t out[4]) {
  out[0] = static_cast<std::uint32_t>(traj);
  out[1] = (static_cast<std::uint32_t>(s.purpose) << 24) | pair;
  out[2] = static_cast<std::uint32_t>(s.step);
  out[3] = static_cast<std::uint32_t>(s.step >> 32);
  Philox4x32::apply(out, static_cast<std::uint32_t>(s.seed), static_cast<std::uint32_t>(s.seed >> 32));
}

/// Which trajectory each row of a block is: row i is trajectory `first + i`, or `ids[i]`
/// when the ensemble is compacted (escaped or stopped trajectories removed, so that rows
/// are no longer consecutive trajectories). Every draw is keyed by the trajectory, so a
/// row draws the same numbers whichever block, thread or position it is stepped in. The
/// drivers pass it down through Stepper::advance and NoiseModel to fill_normals and
/// fill_uniforms; nothing is kept per thread.
class RowIds {
 public:
  /// Rows are trajectories first, first + 1, ... (implicit: a plain index is a block start).
  RowIds(std::uint64_t first = 0) : first_(first) {}  // NOLINT(google-explicit-constructor)
  /// Row i is trajectory ids[i]; ids must outlive every use.
  static RowIds mapped(const std::uint64_t* ids) {
    RowIds r;
    r.ids_ = ids;
    return r;
  }
  /// The trajectory of row i.
  std::uint64_t operator[](Index i) const { return ids_ ? ids_[i] : first_ + static_cast<std::uint64_t>(i); }
  /// The rows from r on.
  RowIds from(Index r) const { return ids_ ? mapped(ids_ + r) : RowIds(first_ + static_cast<std::uint64_t>(r)); }
  /// Whether rows follow an explicit list (a compacted ensemble).
  bool is_mapped() const { return ids_ != nullptr; }
  std::uint64_t first() const { return first_; }
  const std::uint64_t* ids() const { return ids_; }

 private:
  std::uint64_t first_ = 0;
  const std::uint64_t* ids_ = nullptr;
};

/// Fills out(i, j), i < out.rows(), j < out.cols(), with standard normals: row i
/// belongs to trajectory traj[i], column j is draw index first_draw + j. first_draw must be even (pairs are never split
/// across calls).
void fill_normals(const StreamCoords& s, RowIds traj, std::uint32_t first_draw, BlockRef out);

/// The normal kernels compiled into this binary that this CPU can run, fastest first
/// ("avx512", "avx2", "baseline"); fill_normals uses the first. All draw the same
/// stream. Those with fma ("avx512", "avx2", and "baseline" when compiled for a CPU
/// with fma) give identical bits; a baseline without fma rounds a * b + c twice, so
/// its last bits differ. For tests, benchmarks and run metadata.
std::vector<std::string> normal_kernels();

/// fill_normals with the named kernel of normal_kernels().
void fill_normals_with(const std::string& kernel, const StreamCoords& s, RowIds traj, std::uint32_t first_draw,
                       BlockRef out);

/// Fills out(i, j) with uniforms in (0, 1), one Philox block per (trajectory, pair of draws).
void fill_uniforms(const StreamCoords& s, RowIds traj, std::uint32_t first_draw, BlockRef out);

}  // namespace sgdnoise
