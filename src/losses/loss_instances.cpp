#include "losses/loss_instances.hpp"

#include "core/rng.hpp"

namespace sgdnoise {

std::uint64_t instance_data_seed(std::uint64_t data_seed, Index group) {
  if (group == 0) return data_seed;
  std::uint32_t x[4];
  philox_block({data_seed, Purpose::data_instance, static_cast<std::uint64_t>(group)}, 0, 0, x);
  return (std::uint64_t{x[0]} | (std::uint64_t{x[1]} << 32)) & 0x7FFFFFFFFFFFFFFFull;
}

}  // namespace sgdnoise
