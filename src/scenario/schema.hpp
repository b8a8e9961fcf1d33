#pragma once
// The one parameter schema: validation, `--set` type checks, `sgdnoise list`
// and the generated scenario documentation all read this table.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sgdnoise {

enum class ParamType { integer, number, boolean, string, number_array, number_matrix };
const char* to_string(ParamType t);

struct Param {
  std::string name;
  ParamType type;
  std::string doc;
  std::optional<std::string> default_toml;  // default in TOML syntax; empty means required
  std::optional<double> min;                // numeric lower bound (inclusive unless min_exclusive)
  bool min_exclusive = false;
  std::optional<double> max;
  std::vector<std::string> choices;  // allowed strings
};

struct KindSchema {
  std::string name;
  std::string doc;
  std::vector<Param> params;
};

/// A table of the scenario: top level (name ""), loss, noise, dynamics, observe, checks.
/// Sections with kinds select their extra parameters by their `kind` key.
struct SectionSchema {
  std::string name;
  std::string doc;
  bool required = true;
  bool array_of_tables = false;
  std::vector<Param> common;
  std::vector<KindSchema> kinds;  // empty: the section has no `kind` key
  const KindSchema* find_kind(const std::string& k) const;
};

/// Building parameter tables (the registered kinds' tables use them too): a required or
/// optional (default in TOML syntax) parameter, and its bounds and choices.
namespace schema_params {
Param req(std::string name, ParamType t, std::string doc);
Param opt(std::string name, ParamType t, std::string def, std::string doc);
Param positive(Param p);
Param at_least(Param p, double m);
Param at_most(Param p, double m);
Param one_of(Param p, std::vector<std::string> c);
}  // namespace schema_params

/// The schema; the `kind` sections of loss and noise are the tables of the registered kinds
/// (scenario/registry.hpp), in their listing order.
const std::vector<SectionSchema>& scenario_schema();
const SectionSchema* find_section(const std::string& name);

/// The schema as Markdown (the documented scenario format).
std::string schema_markdown();
/// The schema as plain text for `sgdnoise list`.
std::string schema_listing();

}  // namespace sgdnoise
