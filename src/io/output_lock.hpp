#pragma once
// The lock on an output: DIR.lock, created with O_CREAT|O_EXCL next to DIR and holding the
// owner's process id, guards DIR.partial/ (checkpoints) and DIR itself. The owner also holds
// a flock() on it, which the kernel drops when the owner dies however it dies: a lock file
// whose flock is free and whose process is gone is stale, and is taken over (with a note).
#include <filesystem>
#include <optional>
#include <ostream>
#include <sys/types.h>

namespace sgdnoise {

/// DIR.lock for the output DIR (a trailing '/' ignored).
std::filesystem::path lock_path(const std::filesystem::path& dir);

class OutputLock {
 public:
  /// Takes the lock of `dir`, creating its parent directories. Another live holder: an
  /// InputError (exit 2) naming the lock file and its process id. A path that cannot be
  /// written (read-only, a parent that is a file, a name too long): an IoError (exit 4).
  /// A stale lock is taken over and `notes` says so.
  OutputLock(const std::filesystem::path& dir, std::ostream& notes);
  ~OutputLock();  // removes the lock file
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace sgdnoise
