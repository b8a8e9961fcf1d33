#include "core/input_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

#include "core/errors.hpp"

namespace sgdnoise {

std::string byte_count(std::uintmax_t bytes) {
  if (bytes >= (std::uintmax_t{1} << 30) && bytes % (std::uintmax_t{1} << 30) == 0)
    return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (std::uintmax_t{1} << 20) && bytes % (std::uintmax_t{1} << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

std::string read_input_file(const std::string& path, const std::string& what, std::uintmax_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError(path, "", "cannot open the " + what + " (" + std::strerror(errno) + ")");
  if (S_ISDIR(st.st_mode)) throw InputError(path, "", "is a directory, not a " + what);
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
    const char* kind = S_ISCHR(st.st_mode)    ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "a special file";
    throw InputError(
        path, "",
        std::string("is ") + kind + ", not a regular file; give the " + what + " as a regular file (or a pipe)");
  }
  const auto too_big = [&] {
    return InputError(path, "", "the " + what + " is larger than the limit of " + byte_count(max_bytes));
  };
  if (S_ISREG(st.st_mode) && static_cast<std::uintmax_t>(st.st_size) > max_bytes) throw too_big();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open the " + what);
  std::string text;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes) throw too_big();  // a pipe (or a file that grew)
  }
  if (in.bad()) throw InputError(path, "", "cannot read the " + what);
  return text;
}

}  // namespace sgdnoise
