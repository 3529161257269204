// writev-only output and line input for the child side of the control protocol.
#include "control_channel.h"

#include <fmt/format.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

namespace ringside::workload_detail {

bool writev_all(int fd, std::string_view text) noexcept {
  while (!text.empty()) {
    iovec iov{const_cast<char*>(text.data()), text.size()};
    const ssize_t n = ::writev(fd, &iov, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(size_t(n));
  }
  return true;
}

bool wait_for_go(int fd) {
  std::string line;
  char c = 0;
  // One byte at a time: nothing after the go line is consumed from the channel.
  for (;;) {
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (c != '\n') {
      if (line.size() < 64) line += c;
      continue;
    }
    if (line == "go") return true;
    throw std::runtime_error(fmt::format("unexpected control line '{}' (want 'go')", line));
  }
}

void wait_for_eof(int fd) noexcept {
  char buf[64];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
  }
}

}  // namespace ringside::workload_detail
