#include "io/checkpoint.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/bytes.hpp"
#include "core/checksum.hpp"
#include "core/errors.hpp"
#include "io/durable.hpp"

namespace sgdnoise {

namespace {
// Version 2 adds the observers' states (first passages so far); version 3 a CRC-32 over
// everything before it, the trajectory-steps so far and the --save-states flag.
constexpr char kMagic[8] = {'S', 'G', 'D', 'N', 'C', 'K', 'P', '3'};
constexpr std::size_t kCrcBytes = 4;

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
  w.pod<std::uint8_t>(c.save_states ? 1 : 0);
  w.pod<std::int64_t>(c.state.rows());
  w.pod<std::int64_t>(c.state.cols());
  w.doubles(c.state.data(), static_cast<std::size_t>(c.state.size()));
  w.pod<std::int64_t>(c.record.n_diverged);
  w.pod<std::uint64_t>(c.record.diverged_at.size());
  for (auto v : c.record.diverged_at) w.pod<std::int64_t>(v);
  w.pod<double>(c.record.trajectory_steps);
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
  std::string bytes = w.take();
  const std::uint32_t crc = crc32(bytes);
  bytes.append(reinterpret_cast<const char*>(&crc), kCrcBytes);
  return bytes;
}

Checkpoint parse_checkpoint(const std::string& file_bytes, const std::string& where) {
  auto bad = [&](const std::string& why) -> void { throw InputError(where, "", "corrupt checkpoint: " + why); };
  if (file_bytes.size() < sizeof kMagic + kCrcBytes)
    bad("too short to hold a checksum (" + std::to_string(file_bytes.size()) + " bytes)");
  const std::string bytes = file_bytes.substr(0, file_bytes.size() - kCrcBytes);
  std::uint32_t stored = 0;
  std::memcpy(&stored, file_bytes.data() + bytes.size(), kCrcBytes);
  if (const std::uint32_t computed = crc32(bytes); computed != stored) {
    if (bytes.compare(0, 7, "SGDNCKP") == 0 && bytes[7] != kMagic[7])
      throw InputError(where, "",
                       std::string("checkpoint format ") + bytes[7] +
                           " (an older sgdnoise, or a corrupt file: its checksum does not match); this sgdnoise reads "
                           "format 3 only, which carries a checksum: start the run again");
    char msg[96];
    std::snprintf(msg, sizeof msg, "checksum mismatch (stored %08x, computed %08x)", stored, computed);
    bad(msg);
  }
  Reader r(bytes, where);
  for (char ch : kMagic)
    if (r.pod<char>() != ch) r.bad("not an sgdnoise checkpoint of format 3 (wrong magic; the checksum matches)");
  Checkpoint c;
  c.scenario_file = r.str();
  c.scenario_toml = r.str();
  const auto save_states = r.pod<std::uint8_t>();
  if (save_states > 1) r.bad("bad --save-states flag");
  c.save_states = save_states == 1;
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
  c.record.trajectory_steps = r.pod<double>();
  if (!(c.record.trajectory_steps >= 0.0)) r.bad("bad trajectory-step count");
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

std::filesystem::path previous_checkpoint_path(const std::filesystem::path& run_dir) {
  return partial_dir(run_dir) / "checkpoint.prev.bin";
}

bool has_checkpoint(const std::filesystem::path& run_dir) {
  std::error_code ec;
  return std::filesystem::exists(checkpoint_path(run_dir), ec) ||
         std::filesystem::exists(previous_checkpoint_path(run_dir), ec);
}

void save_checkpoint(const std::filesystem::path& run_dir, const Checkpoint& c) {
  namespace fs = std::filesystem;
  const fs::path cur = checkpoint_path(run_dir), prev = previous_checkpoint_path(run_dir), tmp = temp_sibling(cur);
  create_dirs(partial_dir(run_dir));
  TempGuard guard(tmp);
  write_file_synced(tmp, checkpoint_bytes(c));
  // A crash between the two renames leaves checkpoint.prev.bin alone, which load_checkpoint takes.
  std::error_code ec;
  if (fs::exists(cur, ec)) rename_durably(cur, prev);
  rename_durably(tmp, cur);
  guard.release();
}

Checkpoint load_checkpoint(const std::filesystem::path& run_dir, std::ostream& notes) {
  namespace fs = std::filesystem;
  const fs::path cur = checkpoint_path(run_dir), prev = previous_checkpoint_path(run_dir);
  std::error_code ec;
  std::string why;
  if (fs::exists(cur, ec)) {
    try {
      return parse_checkpoint(read_file(cur), cur.string());
    } catch (const InputError& e) {
      if (!fs::exists(prev, ec)) throw;
      why = e.what();
    }
  } else if (fs::exists(prev, ec)) {
    why = cur.string() + ": missing";
  } else {
    throw InputError(cur.string(), "", "no checkpoint to resume from");
  }
  Checkpoint c;
  try {
    c = parse_checkpoint(read_file(prev), prev.string());
  } catch (const InputError& e) {
    throw InputError(cur.string(), "", "no good checkpoint: " + why + "; and " + e.what());
  }
  notes << "sgdnoise: " << why << "\nsgdnoise: resuming from the previous checkpoint " << prev.string() << " (step "
        << c.record.series.back().k << ")\n";
  // The next checkpoint must not move the corrupt file over the good one.
  if (fs::exists(cur, ec)) {
    if (::rename(cur.c_str(), (cur.string() + ".corrupt").c_str()) != 0) throw IoError::from_errno(cur.string(), errno);
    notes << "sgdnoise: the corrupt checkpoint is kept as " << cur.string() << ".corrupt\n";
  }
  return c;
}

bool discard_checkpoints(const std::filesystem::path& run_dir) {
  namespace fs = std::filesystem;
  const fs::path dir = partial_dir(run_dir);
  std::error_code ec;
  if (!fs::exists(dir, ec)) return true;
  try {
    std::vector<fs::path> ours;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string n = e.path().filename().string();
      if (n == "checkpoint.bin" || n == "checkpoint.prev.bin" || n == "checkpoint.bin.corrupt" || n == "summary.json" ||
          n.find(".tmp-") != std::string::npos)
        ours.push_back(e.path());
    }
    for (const auto& p : ours) fs::remove(p, ec);
    return fs::remove(dir, ec) && !ec;
  } catch (const std::exception&) {  // used in destructors: never throws
    return false;
  }
}

}  // namespace sgdnoise
