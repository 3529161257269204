// One wait over a source's fds plus an eventfd, so another thread can interrupt the wait.
#pragma once

#include <cstdint>

namespace ringside {

// One wait over a source's fds plus an eventfd that interrupt() makes readable.
class EpollSet {
 public:
  EpollSet();  // throws std::runtime_error
  ~EpollSet();
  EpollSet(const EpollSet&) = delete;
  EpollSet& operator=(const EpollSet&) = delete;
  // Adds `fd` with `events` (EPOLLIN, EPOLLET, ...); throws std::runtime_error naming `what`.
  void watch(int fd, uint32_t events, const char* what);
  // Waits up to timeout_ms (-1: until an event or interrupt()); 0 or more fds ready, or -errno
  // (EINTR reads as 0). An interrupt is consumed here.
  int wait(int timeout_ms) noexcept;
  void interrupt() noexcept;

 private:
  int epfd_ = -1;
  int eventfd_ = -1;
};

}  // namespace ringside
