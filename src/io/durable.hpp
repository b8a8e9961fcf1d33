#pragma once
// The one way sgdnoise writes its outputs and checkpoints (README, reliability): the bytes go
// to a temporary sibling, which is fsynced, renamed into place, and the directory fsynced, so
// that after a crash or power loss a reader finds the old file or the new one, whole, never a
// mixture. Every failure is an IoError (exit code 4) naming the path and the system's reason,
// and no temporary is left behind on any failure path.
#include <filesystem>
#include <string>
#include <string_view>

namespace sgdnoise {

/// `path` + ".tmp-" + this process id: the temporary sibling of an output.
std::filesystem::path temp_sibling(const std::filesystem::path& path);

/// Writes `contents` to `path` through temp_sibling(path): write, fsync, rename, fsync of the
/// directory. An existing directory at `path` is refused (IoError, EISDIR).
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);
/// Writes and fsyncs one file in place (inside a temporary directory that is renamed later).
void write_file_synced(const std::filesystem::path& path, std::string_view contents);
/// fsync of a directory (its entries: created, renamed, removed files).
void sync_dir(const std::filesystem::path& dir);
/// rename(from, to), then fsync of the directories of both.
void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to);
/// mkdir -p, as IoError on failure.
void create_dirs(const std::filesystem::path& dir);
/// The whole file, as IoError on failure.
std::string read_file(const std::filesystem::path& path);
/// The directory holding `path` ("." for a bare name).
std::filesystem::path parent_of(const std::filesystem::path& path);

/// Removes a temporary file or directory when it goes out of scope, unless released.
class TempGuard {
 public:
  explicit TempGuard(std::filesystem::path p) : path_(std::move(p)) {}
  ~TempGuard();
  TempGuard(const TempGuard&) = delete;
  TempGuard& operator=(const TempGuard&) = delete;
  void release() { released_ = true; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool released_ = false;
};

}  // namespace sgdnoise
