#include "scenario/scenario.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/input_file.hpp"
#include "scenario/schema.hpp"

namespace sgdnoise {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '.') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "number";
    case toml::node_type::boolean:
      return "boolean";
    default:
      return "date/time";
  }
}

// The text of an assignment for messages: control characters as \n, \r, \t or \xNN.
std::string printable(const std::string& s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", u);
      out += b;
    } else {
      out += c;
    }
  }
  return out;
}

// Whether a --set value that TOML refused was meant as TOML rather than as a bare word: it
// opens an array, inline table or quoted string, or reads as a number (digits, a sign, a
// decimal point, an exponent, underscores, inf or nan).
bool meant_as_toml(const std::string& text) {
  if (text.empty()) return false;
  if (std::string("[{\"'").find(text.front()) != std::string::npos) return true;
  std::string t = text;
  if (t.front() == '+' || t.front() == '-') t.erase(0, 1);
  if (t == "inf" || t == "nan") return true;
  if (t.empty() || !(std::isdigit(static_cast<unsigned char>(t.front())) || t.front() == '.')) return false;
  for (const char c : t)
    if (!std::isdigit(static_cast<unsigned char>(c)) &&
        std::string("._eE+-xobXOBabcdefABCDEF").find(c) == std::string::npos)
      return false;
  return true;
}

// Why a value meant as TOML did not parse, in words first, then toml++'s description.
std::string toml_value_error(const std::string& text, const std::string& description) {
  std::string why;
  int depth = 0;
  for (const char c : text) depth += c == '[' ? 1 : c == ']' ? -1 : 0;
  if (text.front() == '[' && depth > 0) {
    why = "unterminated array (no closing ']')";
  } else if (text.front() == '{' && text.find('}') == std::string::npos) {
    why = "unterminated inline table (no closing '}')";
  } else if ((text.front() == '"' || text.front() == '\'') && (text.size() < 2 || text.back() != text.front())) {
    why = "unterminated string";
  } else if (text.front() != '[' && text.front() != '{' && text.front() != '"' && text.front() != '\'') {
    std::string digits;
    for (const char c : text)
      if (c != '_') digits += c;
    errno = 0;
    char* end = nullptr;
    const bool is_float = digits.find_first_of(".eE") != std::string::npos && digits.find("0x") == std::string::npos;
    if (is_float) {
      (void)std::strtod(digits.c_str(), &end);
      if (errno == ERANGE && end && *end == '\0') why = "out of range for a double";
    } else {
      (void)std::strtoll(digits.c_str(), &end, 10);
      if (errno == ERANGE && end && *end == '\0') why = "out of range for a 64-bit integer";
    }
  }
  return (why.empty() ? "" : why + "; ") + "toml++: " + description;
}

bool is_number(const toml::node& n) { return n.is_integer() || n.is_floating_point(); }
double as_double(const toml::node& n) {
  return n.is_integer() ? static_cast<double>(n.as_integer()->get()) : n.as_floating_point()->get();
}

// The value of a --set assignment: TOML, or a bare word taken as a string. A value meant as
// TOML that does not parse is refused, saying why (it used to become a string, and then
// "expected a number, got string").
toml::table parse_set_value(const std::string& label, const std::string& path, const std::string& text) {
  try {
    return toml::parse("v = " + text);
  } catch (const toml::parse_error& e) {
    if (meant_as_toml(text))
      throw InputError(label, path,
                       "the value '" + text +
                           "' could not be parsed as TOML: " + toml_value_error(text, std::string(e.description())));
    toml::table holder;
    holder.insert("v", text);  // a bare word is a string
    return holder;
  }
}

}  // namespace

struct ScenarioBuilder {
  Scenario& sc;
  std::map<std::string, std::string> set_origin;

  std::string where(const std::string& path, const toml::node* n) const {
    if (auto it = set_origin.find(path); it != set_origin.end()) return it->second;
    if (n && n->source().begin.line > 0) return sc.file_ + ":" + std::to_string(n->source().begin.line);
    return sc.file_;
  }
  [[noreturn]] void fail(const std::string& path, const toml::node* n, const std::string& reason) const {
    throw InputError(where(path, n), path, reason);
  }

  void check_number(const std::string& path, const toml::node& n, const Param& p, double v) const {
    if (!std::isfinite(v)) fail(path, &n, "must be finite");
    if (p.min && (p.min_exclusive ? !(v > *p.min) : !(v >= *p.min))) {
      std::ostringstream m;
      m << "must be " << (p.min_exclusive ? "> " : ">= ") << *p.min << " (got " << v << ")";
      fail(path, &n, m.str());
    }
    if (p.max && !(v <= *p.max)) {
      std::ostringstream m;
      m << "must be <= " << *p.max << " (got " << v << ")";
      fail(path, &n, m.str());
    }
  }

  // Checks t[key] against p; integers given for numbers are stored as floats.
  void validate_value(toml::table& t, const std::string& key, const std::string& path, const Param& p) {
    toml::node& n = *t.get(key);
    auto wrong = [&](const std::string& what) { fail(path, &n, "expected " + what + ", got " + type_name(n)); };
    switch (p.type) {
      case ParamType::integer:
        if (!n.is_integer()) wrong("an integer");
        check_number(path, n, p, static_cast<double>(n.as_integer()->get()));
        break;
      case ParamType::number: {
        if (!is_number(n)) wrong("a number");
        const double v = as_double(n);
        check_number(path, n, p, v);
        if (n.is_integer()) t.insert_or_assign(key, v);  // origin_ keeps the line
        break;
      }
      case ParamType::boolean:
        if (!n.is_boolean()) wrong("a boolean");
        break;
      case ParamType::string: {
        if (!n.is_string()) wrong("a string");
        const std::string v = n.as_string()->get();
        if (!p.choices.empty() && std::find(p.choices.begin(), p.choices.end(), v) == p.choices.end()) {
          std::string c;
          for (const auto& x : p.choices) c += (c.empty() ? "" : ", ") + ("\"" + x + "\"");
          fail(path, &n, "unknown value \"" + v + "\" (expected one of " + c + ")");
        }
        break;
      }
      case ParamType::number_array: {
        if (!n.is_array()) wrong("an array of numbers");
        for (const auto& e : *n.as_array()) {
          if (!is_number(e)) fail(path, &n, "expected an array of numbers, found an element of type " + type_name(e));
          if (!std::isfinite(as_double(e))) fail(path, &n, "array elements must be finite");
        }
        break;
      }
      case ParamType::number_matrix: {
        if (!n.is_array()) wrong("a matrix (array of arrays of numbers)");
        std::size_t cols = 0;
        bool first = true;
        for (const auto& row : *n.as_array()) {
          if (!row.is_array()) fail(path, &n, "expected a matrix (array of arrays of numbers)");
          const auto& r = *row.as_array();
          if (!first && r.size() != cols) fail(path, &n, "matrix rows have different lengths");
          cols = r.size();
          first = false;
          for (const auto& e : r)
            if (!is_number(e) || !std::isfinite(as_double(e))) fail(path, &n, "matrix entries must be finite numbers");
        }
        break;
      }
    }
  }

  void validate_table(toml::table& t, const std::string& prefix, const SectionSchema& s) {
    std::vector<Param> params = s.common;
    if (!s.kinds.empty()) {
      const std::string kpath = join(prefix, "kind");
      toml::node* kn = t.get("kind");
      if (!kn) fail(kpath, &t, "missing key (the " + s.name + " kind)");
      if (!kn->is_string()) fail(kpath, kn, "expected a string, got " + type_name(*kn));
      const std::string kind = kn->as_string()->get();
      const KindSchema* ks = s.find_kind(kind);
      if (!ks) {
        std::string c;
        for (const auto& k : s.kinds) c += (c.empty() ? "" : ", ") + ("\"" + k.name + "\"");
        fail(kpath, kn, "unknown " + s.name + " kind \"" + kind + "\" (known: " + c + ")");
      }
      params.insert(params.end(), ks->params.begin(), ks->params.end());
    }
    std::vector<std::string> keys;
    for (const auto& [k, v] : t) keys.emplace_back(k.str());
    for (const auto& k : keys) {
      if (!s.kinds.empty() && k == "kind") continue;
      if (!s.name.empty() || !find_section(k)) {
        bool known = false;
        for (const auto& p : params) known |= p.name == k;
        if (!known) {
          std::string c = s.kinds.empty() ? "" : "kind";
          for (const auto& p : params) c += (c.empty() ? "" : ", ") + p.name;
          fail(join(prefix, k), t.get(k), "unknown key (known here: " + c + ")");
        }
      }
    }
    for (const auto& p : params) {
      const std::string path = join(prefix, p.name);
      if (!t.contains(p.name)) {
        if (!p.default_toml) fail(path, &t, "missing required key");
        auto parsed = toml::parse("v = " + *p.default_toml);
        t.insert_or_assign(p.name, *parsed.get("v"));
        sc.origin_[path] = sc.file_ + " (default)";
      } else {
        sc.origin_[path] = where(path, t.get(p.name));
      }
      validate_value(t, p.name, path, p);
    }
  }

  void validate() {
    toml::table& top = sc.table_;
    for (const auto& [k, v] : top) {
      const std::string key{k.str()};
      if (const SectionSchema* s = find_section(key); s && !key.empty()) {
        if (s->array_of_tables) {
          if (!v.is_array_of_tables()) fail(key, &v, "expected an array of tables ([[" + key + "]])");
        } else if (!v.is_table()) {
          fail(key, &v, "expected a table ([" + key + "])");
        }
      }
    }
    validate_table(top, "", *find_section(""));
    for (const auto& s : scenario_schema()) {
      if (s.name.empty()) continue;
      if (!top.contains(s.name)) {
        if (s.required) fail(s.name, nullptr, "missing section [" + s.name + "]");
        if (s.array_of_tables) continue;
        top.insert(s.name, toml::table{});
        if (!s.kinds.empty()) top.get(s.name)->as_table()->insert("kind", "none");
      }
      if (s.array_of_tables) {
        auto& arr = *top.get(s.name)->as_array();
        for (std::size_t i = 0; i < arr.size(); ++i)
          validate_table(*arr.get(i)->as_table(), s.name + "." + std::to_string(i), s);
      } else {
        validate_table(*top.get(s.name)->as_table(), s.name, s);
      }
    }
  }

  void apply_set(const std::string& assignment) {
    const auto eq = assignment.find('=');
    const std::string label = "--set " + printable(assignment);
    if (const auto nl = assignment.find_first_of("\n\r"); nl != std::string::npos)
      throw InputError(label, eq == std::string::npos || eq == 0 ? "" : assignment.substr(0, std::min(eq, nl)),
                       "the assignment contains a line break (one --set takes one key=value on one line)");
    if (eq == std::string::npos || eq == 0) throw InputError(label, "", "expected key=value");
    const std::string path = assignment.substr(0, eq), text = assignment.substr(eq + 1);
    const auto parts = split_path(path);
    toml::node* cur = &sc.table_;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      const std::string& seg = parts[i];
      if (seg.empty()) throw InputError(label, path, "empty path segment");
      if (auto* tab = cur->as_table()) {
        if (!tab->contains(seg)) tab->insert(seg, toml::table{});
        cur = tab->get(seg);
      } else if (auto* arr = cur->as_array()) {
        std::size_t idx = 0;
        try {
          idx = std::stoul(seg);
        } catch (...) {
          throw InputError(label, path, "'" + seg + "' is not an array index");
        }
        if (idx >= arr->size()) throw InputError(label, path, "index " + seg + " is out of range");
        cur = arr->get(idx);
      } else {
        throw InputError(label, path, "'" + seg + "' is not a table");
      }
    }
    toml::table* tab = cur->as_table();
    if (!tab) throw InputError(label, path, "the parent of the key is not a table");
    toml::table holder = parse_set_value(label, path, text);
    tab->insert_or_assign(parts.back(), *holder.get("v"));
    set_origin[path] = label;
    // Changing a section's kind from the command line drops the file's parameters that
    // the new kind does not have: they belonged to the old kind.
    if (parts.size() == 2 && parts[1] == "kind" && holder.get("v")->is_string()) {
      const SectionSchema* sec = find_section(parts[0]);
      const KindSchema* ks = sec ? sec->find_kind(holder.get("v")->as_string()->get()) : nullptr;
      if (ks) {
        std::vector<std::string> drop;
        for (const auto& [k, v] : *tab) {
          const std::string key{k.str()};
          bool known = key == "kind" || set_origin.count(parts[0] + "." + key);
          for (const auto& p : sec->common) known |= p.name == key;
          for (const auto& p : ks->params) known |= p.name == key;
          if (!known) drop.push_back(key);
        }
        for (const auto& k : drop) tab->erase(k);
      }
    }
  }
};

Scenario Scenario::parse(const std::string& text, const std::string& file, const std::vector<std::string>& sets,
                         std::optional<std::uint64_t> seed) {
  Scenario sc;
  sc.file_ = file;
  try {
    sc.table_ = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw InputError(file + ":" + std::to_string(e.source().begin.line), "",
                     "malformed TOML: " + std::string(e.description()));
  }
  ScenarioBuilder b{sc, {}};
  for (const auto& s : sets) b.apply_set(s);
  if (seed) {
    sc.table_.insert_or_assign("seed", static_cast<std::int64_t>(*seed));
    b.set_origin["seed"] = "--seed";
  }
  b.validate();
  // The name is the default run directory runs/<name>: one path component of its own.
  const std::string name = sc.name();
  if (name.empty()) sc.fail("name", "must not be empty (it names the run directory runs/<name>)");
  if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos)
    sc.fail("name", "\"" + name + "\" contains a path separator; the run directory runs/<name> must stay in runs/");
  if (name.front() == '.')
    sc.fail("name", "\"" + name + "\" starts with a dot (hidden, or '..' leaving runs/); choose a plain name");
  if (name.find('\0') != std::string::npos) sc.fail("name", "contains a NUL character");
  return sc;
}

Scenario Scenario::load(const std::string& file, const std::vector<std::string>& sets,
                        std::optional<std::uint64_t> seed) {
  return parse(read_input_file(file, "scenario file", kMaxTextInputBytes), file, sets, seed);
}

const toml::node& Scenario::node(const std::string& path) const {
  const toml::node* cur = &table_;
  for (const auto& seg : split_path(path)) {
    if (const auto* t = cur->as_table()) {
      cur = t->get(seg);
    } else if (const auto* a = cur->as_array()) {
      cur = a->get(std::stoul(seg));
    } else {
      cur = nullptr;
    }
    if (!cur) throw std::logic_error("scenario key not validated: " + path);
  }
  return *cur;
}

bool Scenario::has(const std::string& path) const {
  try {
    node(path);
    return true;
  } catch (const std::logic_error&) {
    return false;
  }
}

std::int64_t Scenario::get_int(const std::string& path) const { return node(path).as_integer()->get(); }
double Scenario::get_number(const std::string& path) const { return as_double(node(path)); }
std::string Scenario::get_string(const std::string& path) const { return node(path).as_string()->get(); }
bool Scenario::get_bool(const std::string& path) const { return node(path).as_boolean()->get(); }
Vec Scenario::get_vector(const std::string& path) const {
  const auto& a = *node(path).as_array();
  Vec v(static_cast<Index>(a.size()));
  for (std::size_t i = 0; i < a.size(); ++i) v[static_cast<Index>(i)] = as_double(*a.get(i));
  return v;
}
Mat Scenario::get_matrix(const std::string& path) const {
  const auto& a = *node(path).as_array();
  if (a.empty()) return Mat(0, 0);
  const auto cols = static_cast<Index>(a.get(0)->as_array()->size());
  Mat m(static_cast<Index>(a.size()), cols);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& row = *a.get(i)->as_array();
    for (std::size_t j = 0; j < row.size(); ++j)
      m(static_cast<Index>(i), static_cast<Index>(j)) = as_double(*row.get(j));
  }
  return m;
}

std::string Scenario::resolve_path(const std::string& key) const {
  const std::filesystem::path p(get_string(key));
  if (p.is_absolute()) return p.string();
  return (std::filesystem::path(file_).parent_path() / p).string();
}

std::size_t Scenario::count(const std::string& array_path) const {
  if (!has(array_path)) return 0;
  return node(array_path).as_array()->size();
}

std::string Scenario::origin(const std::string& path) const {
  if (auto it = origin_.find(path); it != origin_.end()) return it->second;
  return file_;
}

void Scenario::fail(const std::string& path, const std::string& reason) const {
  throw InputError(origin(path), path, reason);
}

}  // namespace sgdnoise
