#pragma once
// The errors every layer may raise and the CLI maps to its exit codes (docs/conventions.md):
// InputError is bad input (exit 2).
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

}  // namespace sgdnoise
