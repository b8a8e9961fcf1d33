#include "io/checkpoint.hpp"

#include <cstring>

#include "core/bytes.hpp"
#include "core/errors.hpp"

namespace sgdnoise {

namespace {
// Version 2 adds the observers' states (first passages so far).
constexpr char kMagic[8] = {'S', 'G', 'D', 'N', 'C', 'K', 'P', '2'};

// The reader of one checkpoint file: a read past the end is an InputError naming it.
class Reader {
 public:
  Reader(const std::string& b, std::string where) : r_(b), where_(std::move(where)) {}
  template <class T>
  T pod() {
    return guard([&] { return r_.pod<T>(); });
  }
  std::string str() {
    return guard([&] { return r_.str(); });
  }
  void doubles(double* p, std::size_t n) {
    guard([&] {
      r_.doubles(p, n);
      return 0;
    });
  }
  bool done() const { return r_.done(); }
  [[noreturn]] void bad(const std::string& why) const { throw InputError(where_, "", "corrupt checkpoint: " + why); }

 private:
  template <class F>
  auto guard(F f) -> decltype(f()) {
    try {
      return f();
    } catch (const BytesError& e) {
      bad(e.what());
    }
  }
  ByteReader r_;
  std::string where_;
};
}  // namespace

std::string checkpoint_bytes(const Checkpoint& c) {
  ByteWriter w;
  for (char ch : kMagic) w.pod(ch);
  w.str(c.scenario_file);
  w.str(c.scenario_toml);
  w.pod<std::int64_t>(c.state.rows());
  w.pod<std::int64_t>(c.state.cols());
  w.doubles(c.state.data(), static_cast<std::size_t>(c.state.size()));
  w.pod<std::int64_t>(c.record.n_diverged);
  w.pod<std::uint64_t>(c.record.diverged_at.size());
  for (auto v : c.record.diverged_at) w.pod<std::int64_t>(v);
  w.pod<std::uint64_t>(c.record.series.size());
  for (const auto& row : c.record.series) {
    w.pod<std::int64_t>(row.k);
    w.pod<double>(row.tau);
    w.pod<std::int64_t>(row.n_alive);
    w.pod<std::uint64_t>(row.values.size());
    for (const auto& o : row.values) {
      w.str(o.name);
      w.pod<double>(o.est.value);
      w.pod<double>(o.est.se);
      w.pod<std::int64_t>(o.est.n);
      w.pod<double>(o.est.dof);
      w.str(o.est.method);
    }
  }
  w.pod<std::uint64_t>(c.observer_states.size());
  for (const auto& o : c.observer_states) w.str(o);
  return w.take();
}

Checkpoint parse_checkpoint(const std::string& bytes, const std::string& where) {
  Reader r(bytes, where);
  for (char ch : kMagic)
    if (r.pod<char>() != ch) r.bad("not an sgdnoise checkpoint (wrong magic or version)");
  Checkpoint c;
  c.scenario_file = r.str();
  c.scenario_toml = r.str();
  const auto rows = r.pod<std::int64_t>(), cols = r.pod<std::int64_t>();
  if (rows < 0 || cols < 0 || (cols > 0 && rows > static_cast<std::int64_t>(bytes.size() / 8) / cols))
    r.bad("bad state shape");
  c.state.resize(rows, cols);
  r.doubles(c.state.data(), static_cast<std::size_t>(c.state.size()));
  c.record.n_diverged = r.pod<std::int64_t>();
  const auto nd = r.pod<std::uint64_t>();
  if (nd > bytes.size() / 8) r.bad("bad divergence table");
  c.record.diverged_at.resize(nd);
  for (auto& v : c.record.diverged_at) v = r.pod<std::int64_t>();
  const auto ns = r.pod<std::uint64_t>();
  if (ns > bytes.size()) r.bad("bad series length");
  for (std::uint64_t i = 0; i < ns; ++i) {
    SeriesRow row;
    row.k = r.pod<std::int64_t>();
    row.tau = r.pod<double>();
    row.n_alive = r.pod<std::int64_t>();
    const auto nv = r.pod<std::uint64_t>();
    if (nv > bytes.size()) r.bad("bad row");
    for (std::uint64_t j = 0; j < nv; ++j) {
      Observation o;
      o.name = r.str();
      o.est.value = r.pod<double>();
      o.est.se = r.pod<double>();
      o.est.n = r.pod<std::int64_t>();
      o.est.dof = r.pod<double>();
      o.est.method = r.str();
      row.values.push_back(std::move(o));
    }
    c.record.series.push_back(std::move(row));
  }
  const auto no = r.pod<std::uint64_t>();
  if (no > bytes.size()) r.bad("bad observer table");
  for (std::uint64_t i = 0; i < no; ++i) c.observer_states.push_back(r.str());
  if (!r.done()) r.bad("trailing bytes");
  if (c.record.series.empty()) r.bad("no observation recorded");
  return c;
}

std::filesystem::path partial_dir(const std::filesystem::path& run_dir) {
  std::string s = run_dir.lexically_normal().string();
  while (!s.empty() && s.back() == '/') s.pop_back();
  s.append(".partial");
  return s;
}

std::filesystem::path checkpoint_path(const std::filesystem::path& run_dir) {
  return partial_dir(run_dir) / "checkpoint.bin";
}

}  // namespace sgdnoise
