// A results directory, opened once — before privileges are dropped — and written through its
// fd: files appear whole (a temporary O_EXCL|O_NOFOLLOW file, fsync, rename), readable only by
// their owner (they hold command lines, arguments and pointers).
#pragma once

#include <string>

namespace ringside {

class OutputDir {
 public:
  // Creates `path` (and parents) and opens it; throws UsageError ("cannot create --out D: ...",
  // "cannot write to --out D: ...") so a long run fails before it starts, not at the end.
  // `for_dropped_capabilities`: the command drops its capabilities before it writes (run, sweep,
  // trace), so the directory must be writable without CAP_DAC_OVERRIDE too.
  explicit OutputDir(std::string path, bool for_dropped_capabilities = false);
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  // Writes `name` atomically; throws UsageError("cannot write D/name: ...") and leaves no
  // partial file behind.
  void write_file(const std::string& name, const std::string& content) const;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace ringside
