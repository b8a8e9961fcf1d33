#include "core/rng.hpp"

#include <cmath>
#include <numbers>
#include <string>

namespace sgdnoise {

namespace {
void check_draws(std::uint32_t first_draw, Index cols) {
  if (first_draw % 2 != 0) throw std::invalid_argument("fill_normals: first_draw must be even");
  if (std::uint64_t{first_draw} / 2 + (static_cast<std::uint64_t>(cols) + 1) / 2 > kMaxDrawPairs)
    throw std::invalid_argument("random stream: more than 2^25 draws per trajectory and step (" +
                                std::to_string(cols) + " requested)");
}
}  // namespace

void fill_normals(const StreamCoords& s, std::uint64_t first_traj, std::uint32_t first_draw,
                  BlockRef out) {
  check_draws(first_draw, out.cols());
  const Index n = out.rows();
  constexpr double kTwoPi = 2.0 * std::numbers::pi;
  for (Index j = 0; j < out.cols(); j += 2) {
    const auto pair = static_cast<std::uint32_t>((first_draw + static_cast<std::uint32_t>(j)) / 2);
    double* c0 = out.col(j).data();
    double* c1 = j + 1 < out.cols() ? out.col(j + 1).data() : nullptr;
    for (Index i = 0; i < n; ++i) {
      std::uint32_t w[4];
      philox_block(s, first_traj + static_cast<std::uint64_t>(i), pair, w);
      // Box-Muller (Box & Muller 1958): u1 in (0,1) so the log is finite.
      const double r = std::sqrt(-2.0 * std::log(u01_open(w[0], w[1])));
      const double a = kTwoPi * u01_open(w[2], w[3]);
      c0[i] = r * std::cos(a);
      if (c1) c1[i] = r * std::sin(a);
    }
  }
}

void fill_uniforms(const StreamCoords& s, std::uint64_t first_traj, std::uint32_t first_draw,
                   BlockRef out) {
  check_draws(first_draw, out.cols());
  for (Index j = 0; j < out.cols(); j += 2) {
    const auto pair = static_cast<std::uint32_t>((first_draw + static_cast<std::uint32_t>(j)) / 2);
    for (Index i = 0; i < out.rows(); ++i) {
      std::uint32_t w[4];
      philox_block(s, first_traj + static_cast<std::uint64_t>(i), pair, w);
      out(i, j) = u01_open(w[0], w[1]);
      if (j + 1 < out.cols()) out(i, j + 1) = u01_open(w[2], w[3]);
    }
  }
}

}  // namespace sgdnoise
