#pragma once
// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, the checksum of zlib and PNG), for
// checkpoints: every single-bit error and every burst of up to 32 bits is detected, longer
// corruptions with probability 1 - 2^-32.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sgdnoise {

/// The CRC-32 of n bytes; `crc` continues an earlier call (0 to start).
std::uint32_t crc32(const void* data, std::size_t n, std::uint32_t crc = 0);
inline std::uint32_t crc32(std::string_view s, std::uint32_t crc = 0) { return crc32(s.data(), s.size(), crc); }

}  // namespace sgdnoise
