#include "io/output_lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "core/errors.hpp"
#include "io/durable.hpp"
#include "scenario/scenario.hpp"

namespace sgdnoise {

namespace fs = std::filesystem;

namespace {

// The process id written in a lock file; 0 when there is none (being written, or garbage).
pid_t read_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  long v = 0;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) v = v * 10 + (buf[i] - '0');
  return static_cast<pid_t>(v);
}

bool alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

void write_pid(int fd, const fs::path& p) {
  const std::string s = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, s.data(), s.size(), 0) != static_cast<ssize_t>(s.size()) ||
      ::fsync(fd) != 0)
    throw IoError::from_errno(p.string(), errno);
}

[[noreturn]] void held(const fs::path& p, pid_t pid) {
  throw InputError(p.string(), "",
                   "the output is locked by " +
                       (pid > 0 ? "process " + std::to_string(pid) : std::string("another process")) +
                       " (another sgdnoise writing the same output); wait for it, or remove the lock file if no "
                       "sgdnoise is running");
}

}  // namespace

fs::path lock_path(const fs::path& dir) {
  std::string s = dir.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s + ".lock";
}

OutputLock::OutputLock(const fs::path& dir, std::ostream& notes) : path_(lock_path(dir)) {
  create_dirs(parent_of(path_));
  for (int attempt = 0; attempt < 8; ++attempt) {
    int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {  // taken over between open and flock
        ::close(fd);
        held(path_, 0);
      }
      fd_ = fd;
      try {
        write_pid(fd_, path_);
        sync_dir(parent_of(path_));
      } catch (...) {
        ::unlink(path_.c_str());
        ::close(fd_);
        throw;
      }
      return;
    }
    if (errno != EEXIST) throw IoError::from_errno(path_.string(), errno);
    fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;  // released meanwhile
      throw IoError::from_errno(path_.string(), errno);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const pid_t pid = read_pid(fd);
      ::close(fd);
      held(path_, pid);
    }
    // The flock is ours: the file must still be the one at the path (not one its owner
    // removed while releasing).
    struct stat a {
    }, b{};
    if (::fstat(fd, &a) != 0 || ::stat(path_.c_str(), &b) != 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
      ::close(fd);
      continue;
    }
    const pid_t pid = read_pid(fd);
    const auto age = std::chrono::system_clock::now().time_since_epoch() - std::chrono::seconds(a.st_mtime);
    // A live process that has not taken its flock yet (it has just created the file), or a
    // file being written: not stale.
    if ((pid != ::getpid() && alive(pid)) || (pid == 0 && age < std::chrono::seconds(10))) {
      ::close(fd);
      held(path_, pid);
    }
    fd_ = fd;
    write_pid(fd_, path_);
    notes << "sgdnoise: took over the stale lock " << path_.string() << " of "
          << (pid > 0 ? "process " + std::to_string(pid) : std::string("an unknown process"))
          << ", which is no longer running\n";
    return;
  }
  held(path_, 0);
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while the flock is held: a waiter then sees another inode, or none
  ::close(fd_);
}

}  // namespace sgdnoise
