// The --sink file: every handled event as one JSON line. Opened once per command (every phase
// appends to it); handler threads format into their own buffers and hand over whole lines, which
// are written under a lock with short writes retried, so lines from two threads never interleave
// even on a pipe. Failures (ENOSPC, EPIPE, ...) are counted and reported, never ignored.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace ringside {

struct Event;
struct ProgramFormat;

// Appends one handled event as its sink line: {"program":…,"size":…, the header's fields, the
// program's own fields (ProgramFormat::to_json), "t_submit":…,"t_read":…,"t_parsed":…}\n.
void append_sink_line(const ProgramFormat& program, const Event& e, std::string& out);

class SinkWriter {
 public:
  // Opens (creates, truncates) `path`, mode 0600: events carry arguments and pointers.
  // Throws std::runtime_error("cannot open sink F: ...").
  explicit SinkWriter(const std::string& path);
  ~SinkWriter();
  SinkWriter(const SinkWriter&) = delete;
  SinkWriter& operator=(const SinkWriter&) = delete;

  // Writes `lines` (whole lines) and clears it. Callable from any thread.
  void write(std::string& lines) noexcept;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] uint64_t lines_written() const noexcept { return lines_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t lines_lost() const noexcept { return lost_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t write_errors() const noexcept { return errors_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::string last_error() const;

 private:
  std::string path_;
  int fd_ = -1;
  mutable std::mutex mu_;
  std::string last_error_;
  std::atomic<uint64_t> lines_{0}, lost_{0}, errors_{0};
};

}  // namespace ringside
