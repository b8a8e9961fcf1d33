#include "io/durable.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/errors.hpp"

namespace sgdnoise {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& p, int err) { throw IoError::from_errno(p.string(), err); }

// Writes all bytes to fd, restarting after signals; false with errno set on failure.
bool write_all(int fd, std::string_view s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

fs::path parent_of(const fs::path& path) {
  const fs::path p = path.lexically_normal();
  fs::path parent = p.has_filename() ? p.parent_path() : p.parent_path().parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

fs::path temp_sibling(const fs::path& path) {
  std::string s = path.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s + ".tmp-" + std::to_string(::getpid());
}

TempGuard::~TempGuard() {
  if (released_) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_file_synced(const fs::path& path, std::string_view contents) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, errno);
  if (!write_all(fd, contents) || ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail(path, err);
  }
  if (::close(fd) != 0) fail(path, errno);
}

void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(dir, errno);
  // Some file systems cannot fsync a directory (EINVAL): nothing more can be done there.
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int err = errno;
    ::close(fd);
    fail(dir, err);
  }
  ::close(fd);
}

void rename_durably(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) fail(to, errno);
  const fs::path a = parent_of(from), b = parent_of(to);
  sync_dir(b);
  if (a != b) sync_dir(a);
}

void write_file_atomically(const fs::path& path, std::string_view contents) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) fail(path, EISDIR);
  const fs::path tmp = temp_sibling(path);
  TempGuard guard(tmp);
  write_file_synced(tmp, contents);
  rename_durably(tmp, path);
  guard.release();
}

void create_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(dir.string(), ec.message());
}

std::string read_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, errno);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail(path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace sgdnoise
