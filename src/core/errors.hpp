#pragma once
// Failures that are not the program's own checks. InputError (bad input, exit code 2) lives
// with the scenario loader; IoError is for outputs and checkpoints that cannot be written or
// read (exit code 4, docs/conventions.md, exit codes).
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sgdnoise {

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
