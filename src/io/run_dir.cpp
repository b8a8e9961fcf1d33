#include "io/run_dir.hpp"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "core/errors.hpp"

namespace sgdnoise {

namespace fs = std::filesystem;

RunDirWriter::RunDirWriter(fs::path dir, bool force) : dir_(std::move(dir)), force_(force) {
  if (fs::exists(dir_) && !force_)
    throw InputError(dir_.string(), "", "output directory already exists (use --force to replace it)");
  if (fs::exists(dir_) && !fs::is_directory(dir_))
    throw InputError(dir_.string(), "", "output path exists and is not a directory");
  const fs::path parent = dir_.has_parent_path() ? dir_.parent_path() : fs::path(".");
  std::string name = dir_.filename().string();
  name.insert(0, 1, '.');
  name.append(".tmp-").append(std::to_string(::getpid()));
  tmp_ = parent / name;
}

RunDirWriter::~RunDirWriter() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }
}

fs::path RunDirWriter::temp_path(const std::string& name) const { return tmp_ / name; }

void RunDirWriter::write(const std::string& name, const std::string& contents) {
  fs::create_directories(tmp_);
  std::ofstream out(tmp_ / name, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + (tmp_ / name).string());
}

void RunDirWriter::commit() {
  fs::create_directories(tmp_);
  if (fs::exists(dir_)) {
    if (!force_) throw InputError(dir_.string(), "", "output directory appeared during the run");
    const fs::path old = dir_.string() + ".old-" + std::to_string(::getpid());
    fs::rename(dir_, old);
    fs::rename(tmp_, dir_);
    fs::remove_all(old);
  } else {
    if (dir_.has_parent_path()) fs::create_directories(dir_.parent_path());
    fs::rename(tmp_, dir_);
  }
  committed_ = true;
}

void write_file_atomically(const fs::path& path, const std::string& contents) {
  const fs::path tmp = path.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << contents;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

}  // namespace sgdnoise
