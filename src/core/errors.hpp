#pragma once
// The errors every layer may raise and the CLI maps to its exit codes (docs/conventions.md,
// exit codes): InputError is bad input (exit 2); IoError is an output or a checkpoint that
// cannot be written or read (exit 4).
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sgdnoise {

/// Bad input: file, line (0 when unknown), key (dotted path, may be empty) and reason.
class InputError : public std::runtime_error {
 public:
  InputError(std::string where, std::string key, std::string reason)
      : std::runtime_error(where + (key.empty() ? "" : ": key '" + key + "'") + ": " + reason),
        where_(std::move(where)),
        key_(std::move(key)),
        reason_(std::move(reason)) {}
  const std::string& where() const { return where_; }
  const std::string& key() const { return key_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string where_, key_, reason_;
};

/// An output (or a checkpoint) could not be written or read: the path and the system's reason.
class IoError : public std::runtime_error {
 public:
  IoError(std::string path, std::string reason)
      : std::runtime_error("an output could not be written or read: " + path + ": " + reason),
        path_(std::move(path)),
        reason_(std::move(reason)) {}
  /// With the reason of an errno value (strerror).
  static IoError from_errno(std::string path, int err) { return IoError(std::move(path), std::strerror(err)); }
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string path_, reason_;
};

}  // namespace sgdnoise
