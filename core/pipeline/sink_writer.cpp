#include "sink_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "event.h"
#include "record_format.h"

namespace ringside {

void append_sink_line(const ProgramFormat& p, const Event& e, std::string& line) {
  auto out = std::back_inserter(line);
  fmt::format_to(out, "{{\"program\":\"{}\",\"size\":{},", p.name, e.size);
  if (p.has_header)
    fmt::format_to(out, "\"tgid\":{},\"kind\":{},\"t_hook\":{},", e.tgid, e.kind, e.t_hook);
  if (p.to_json) {
    p.to_json(e.record(), e.copied, line);
    line += ',';
  }
  fmt::format_to(out, "\"t_submit\":{},\"t_read\":{},\"t_parsed\":{}}}\n", e.t_submit, e.t_read, e.t_parsed);
}

SinkWriter::SinkWriter(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open sink " + path + ": " + std::strerror(errno));
}

SinkWriter::~SinkWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void SinkWriter::write(std::string& lines) noexcept {
  if (lines.empty()) return;
  const auto count = static_cast<uint64_t>(std::count(lines.begin(), lines.end(), '\n'));
  std::lock_guard lock(mu_);
  std::size_t done = 0;
  while (done < lines.size()) {
    const ssize_t n = ::write(fd_, lines.data() + done, lines.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // ENOSPC, EPIPE, EIO, or a write of 0 bytes: the lines not fully written are lost
    const int err = n < 0 ? errno : EIO;
    errors_.fetch_add(1, std::memory_order_relaxed);
    last_error_ = std::strerror(err);
    const auto written_lines = static_cast<uint64_t>(std::count(lines.begin(), lines.begin() + done, '\n'));
    lines_.fetch_add(written_lines, std::memory_order_relaxed);
    lost_.fetch_add(count - written_lines, std::memory_order_relaxed);
    lines.clear();
    return;
  }
  lines_.fetch_add(count, std::memory_order_relaxed);
  lines.clear();
}

std::string SinkWriter::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

}  // namespace ringside
