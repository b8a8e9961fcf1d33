#include "io/run_dir.hpp"

#include <unistd.h>

#include <set>
#include <vector>

#include "core/errors.hpp"
#include "io/durable.hpp"

namespace sgdnoise {

namespace fs = std::filesystem;

namespace {

std::string base_name(const fs::path& dir) {
  std::string s = dir.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return fs::path(s).filename().string();
}

// Whether `name` is `prefix` followed by a process id.
bool is_prefix_pid(const std::string& name, const std::string& prefix) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
  for (std::size_t i = prefix.size(); i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return false;
  return true;
}

}  // namespace

void check_replaceable_output(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError(dir.string(), "",
                     "the output path exists and is not a directory; --force replaces only run directories");
  const bool run = fs::exists(dir / "summary.json", ec), sweep = fs::exists(dir / "sweep.json", ec);
  if (!run && !sweep)
    throw InputError(
        dir.string(), "",
        "not a run or sweep directory (no summary.json or sweep.json): --force replaces only what sgdnoise "
        "wrote; choose another --out or remove it yourself");
  static const std::set<std::string> run_files = {"summary.json", "series.csv", "final_states.npy", "paths.npz",
                                                  "distributions.npz"};
  // sweep-plan.json: left by a sweep killed between moving OUT.partial into place and removing it.
  static const std::set<std::string> sweep_files = {"sweep.json", "sweep.csv", "points", "sweep-plan.json"};
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if ((run && run_files.count(n)) || (sweep && sweep_files.count(n))) continue;
    throw InputError(dir.string(), "",
                     "holds " + n +
                         ", which sgdnoise did not write: --force replaces only what sgdnoise wrote; move it "
                         "away first");
  }
  if (ec) throw IoError(dir.string(), ec.message());
}

int remove_stale_temporaries(const fs::path& dir) {
  const std::string name = base_name(dir);
  const fs::path parent = parent_of(dir);
  const std::string mine = std::to_string(::getpid());
  int removed = 0;
  std::error_code ec;
  auto sweep_dir = [&](const fs::path& where, const std::vector<std::string>& prefixes) {
    if (!fs::is_directory(where, ec)) return;
    std::vector<fs::path> stale;
    for (const auto& e : fs::directory_iterator(where, ec)) {
      const std::string n = e.path().filename().string();
      for (const auto& p : prefixes)
        if (is_prefix_pid(n, p) && n.substr(p.size()) != mine) stale.push_back(e.path());
    }
    for (const auto& p : stale) {
      fs::remove_all(p, ec);
      if (!ec) ++removed;
    }
  };
  sweep_dir(parent, {"." + name + ".tmp-", name + ".old-", name + ".partial.tmp-"});
  const fs::path partial = parent / (name + ".partial");
  sweep_dir(partial, {"checkpoint.bin.tmp-", "summary.json.tmp-", "sweep-plan.json.tmp-"});
  return removed;
}

RunDirWriter::RunDirWriter(fs::path dir, bool force) : dir_(std::move(dir)), force_(force) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dir_, ec))) {
    if (!force_) throw InputError(dir_.string(), "", "output directory already exists (use --force to replace it)");
    check_replaceable_output(dir_);
  }
  std::string name = base_name(dir_);
  name.insert(0, 1, '.');
  name.append(".tmp-").append(std::to_string(::getpid()));
  tmp_ = parent_of(dir_) / name;
}

RunDirWriter::RunDirWriter(fs::path dir, bool force, fs::path staging) : RunDirWriter(std::move(dir), force) {
  tmp_ = std::move(staging);
  keep_staging_ = true;
}

RunDirWriter::~RunDirWriter() {
  if (!committed_ && !keep_staging_) {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }
}

fs::path RunDirWriter::temp_path(const std::string& name) const { return tmp_ / name; }

void RunDirWriter::prepare() { create_dirs(tmp_); }

void RunDirWriter::write(const std::string& name, const std::string& contents) {
  create_dirs(tmp_);
  write_file_synced(tmp_ / name, contents);
}

void RunDirWriter::commit() {
  create_dirs(tmp_);
  sync_dir(tmp_);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dir_, ec))) {
    if (!force_) throw InputError(dir_.string(), "", "output directory appeared during the run");
    check_replaceable_output(dir_);
    const fs::path old = dir_.string() + ".old-" + std::to_string(::getpid());
    TempGuard old_guard(old);  // whatever happens next, the old run is gone once replaced
    rename_durably(dir_, old);
    try {
      rename_durably(tmp_, dir_);
    } catch (...) {
      old_guard.release();
      fs::rename(old, dir_, ec);  // put the old run back
      throw;
    }
  } else {
    create_dirs(parent_of(dir_));
    rename_durably(tmp_, dir_);
  }
  committed_ = true;
}

}  // namespace sgdnoise
