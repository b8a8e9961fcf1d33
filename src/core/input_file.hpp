#pragma once
// Reading the files a user names as input (scenarios, sweep lists, matrix and data CSV
// files). A directory is refused as such, and so is anything that is neither a regular file
// nor a pipe (a device such as /dev/zero, a socket): they would otherwise be read until
// memory runs out, or give a misleading message about their (empty) contents. A pipe
// (`--list <(...)`) is read, up to the same bound as a file.
#include <cstdint>
#include <string>

namespace sgdnoise {

/// Bound on a scenario or sweep list file (documented in README.md, "Input limits").
inline constexpr std::uintmax_t kMaxTextInputBytes = std::uintmax_t{64} << 20;  // 64 MiB
/// Bound on a matrix or data CSV file (about 40 million numbers).
inline constexpr std::uintmax_t kMaxMatrixFileBytes = std::uintmax_t{1} << 30;  // 1 GiB

/// The whole file at `path`. `what` names it in messages ("scenario file", "list file",
/// ...). Throws InputError (where = path) when it cannot be opened, is a directory, is not a
/// regular file or a pipe, or holds more than max_bytes.
std::string read_input_file(const std::string& path, const std::string& what, std::uintmax_t max_bytes);

/// "64 MiB", "1 GiB", "512 bytes": a byte count for messages.
std::string byte_count(std::uintmax_t bytes);

}  // namespace sgdnoise
