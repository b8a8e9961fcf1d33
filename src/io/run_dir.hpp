#pragma once
// Run directories are written atomically: every file goes into a temporary
// sibling directory, which is renamed into place only when complete. A run that
// fails or is interrupted before that leaves the previous contents untouched.
#include <filesystem>
#include <string>

namespace sgdnoise {

class RunDirWriter {
 public:
  /// Refuses (InputError) if `dir` exists and force is false; nothing is created yet.
  RunDirWriter(std::filesystem::path dir, bool force);
  ~RunDirWriter();  // removes the temporary directory unless committed
  RunDirWriter(const RunDirWriter&) = delete;
  RunDirWriter& operator=(const RunDirWriter&) = delete;

  /// Writes one file of the run (relative name) into the temporary directory.
  void write(const std::string& name, const std::string& contents);
  std::filesystem::path temp_path(const std::string& name) const;
  /// Moves the complete run into place (replacing an old one when forced).
  void commit();
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_, tmp_;
  bool force_, committed_ = false;
};

/// Writes `contents` to `path` through a temporary file and a rename.
void write_file_atomically(const std::filesystem::path& path, const std::string& contents);

}  // namespace sgdnoise
