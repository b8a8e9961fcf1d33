#pragma once
// Run directories are written atomically: every file goes into a temporary sibling
// directory (fsynced file by file), which is renamed into place only when complete, and the
// parent directory fsynced (io/durable.hpp). A run that fails or is interrupted before that
// leaves the previous contents untouched and no temporary behind. The caller holds the
// output's lock (io/output_lock.hpp) while it writes.
#include <filesystem>
#include <string>

namespace sgdnoise {

class RunDirWriter {
 public:
  /// Refuses (InputError) if `dir` exists and force is false, or, with force, if `dir` is
  /// not a run or sweep directory that sgdnoise wrote (replaceable_output); nothing is
  /// created yet.
  RunDirWriter(std::filesystem::path dir, bool force);
  /// The same, staging in `staging` (a sweep's resumable OUT.partial/, filled by the caller)
  /// instead of a temporary sibling: left in place, with what it holds, unless committed.
  RunDirWriter(std::filesystem::path dir, bool force, std::filesystem::path staging);
  ~RunDirWriter();  // removes the temporary directory unless committed (or given as staging)
  RunDirWriter(const RunDirWriter&) = delete;
  RunDirWriter& operator=(const RunDirWriter&) = delete;

  /// Creates the temporary directory now, so that an output that cannot be written is
  /// found before the computation (IoError).
  void prepare();
  /// Writes one file of the run (relative name) into the temporary directory.
  void write(const std::string& name, const std::string& contents);
  std::filesystem::path temp_path(const std::string& name) const;
  /// Moves the complete run into place (replacing an old one when forced).
  void commit();
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_, tmp_;
  bool force_, committed_ = false, keep_staging_ = false;
};

/// Throws InputError unless `dir` is a directory that sgdnoise wrote: a run directory
/// (summary.json) or a sweep directory (sweep.json) holding nothing but the files sgdnoise
/// writes there. --force replaces only such directories.
void check_replaceable_output(const std::filesystem::path& dir);

/// Under the output's lock: removes what an earlier process killed while writing `dir`
/// left behind (.NAME.tmp-PID/, NAME.old-PID/, DIR.partial/*.tmp-PID). Returns how many.
int remove_stale_temporaries(const std::filesystem::path& dir);

}  // namespace sgdnoise
