#pragma once
// Scenario files: TOML parsed by toml++, `--set` overrides applied, every key
// validated against the one schema (schema.hpp), defaults filled in. Every
// error names the file, line, key and reason (InputError, exit code 2).
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "core/errors.hpp"
#include "core/types.hpp"

namespace sgdnoise {

class Scenario {
 public:
  /// Loads, overrides (`path=value`, value in TOML syntax or a bare string) and validates.
  static Scenario load(const std::string& file, const std::vector<std::string>& sets = {},
                       std::optional<std::uint64_t> seed = std::nullopt);
  /// Same, from TOML text (file names the source in messages).
  static Scenario parse(const std::string& text, const std::string& file, const std::vector<std::string>& sets = {},
                        std::optional<std::uint64_t> seed = std::nullopt);

  const std::string& file() const { return file_; }
  const toml::table& table() const { return table_; }
  std::string name() const { return get_string("name"); }
  std::uint64_t seed() const { return static_cast<std::uint64_t>(get_int("seed")); }
  bool has(const std::string& path) const;

  /// Typed access to validated keys (dotted paths; "checks.0.result" for arrays).
  std::int64_t get_int(const std::string& path) const;
  double get_number(const std::string& path) const;
  std::string get_string(const std::string& path) const;
  bool get_bool(const std::string& path) const;
  Vec get_vector(const std::string& path) const;
  /// A validated number_matrix (array of equal-length rows); 0 x 0 when empty.
  Mat get_matrix(const std::string& path) const;
  /// A path given in the scenario, resolved against the scenario file's directory.
  std::string resolve_path(const std::string& key) const;
  std::size_t count(const std::string& array_path) const;

  /// Where a key came from: "file:line", "file (default)" or "--set key=value".
  std::string origin(const std::string& path) const;
  /// Throws an InputError about a key of this scenario.
  [[noreturn]] void fail(const std::string& path, const std::string& reason) const;

 private:
  const toml::node& node(const std::string& path) const;
  std::string file_;
  toml::table table_;
  std::map<std::string, std::string> origin_;
  friend struct ScenarioBuilder;
};

}  // namespace sgdnoise
