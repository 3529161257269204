#include "epoll_set.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ringside {

EpollSet::EpollSet() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  eventfd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epfd_ < 0 || eventfd_ < 0) {
    const int err = errno;
    if (epfd_ >= 0) close(epfd_);
    if (eventfd_ >= 0) close(eventfd_);
    throw std::runtime_error(std::string("failed to create epoll: ") + std::strerror(err));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = eventfd_;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, eventfd_, &ev) < 0) {
    const int err = errno;
    close(epfd_);
    close(eventfd_);
    throw std::runtime_error(std::string("failed to watch eventfd: ") + std::strerror(err));
  }
}

EpollSet::~EpollSet() {
  close(epfd_);
  close(eventfd_);
}

void EpollSet::watch(int fd, uint32_t events, const char* what) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0)
    throw std::runtime_error(std::string("failed to watch ") + what + ": " + std::strerror(errno));
}

int EpollSet::wait(int timeout_ms) noexcept {
  epoll_event ev[8];
  const int n = epoll_wait(epfd_, ev, 8, timeout_ms);
  if (n < 0) return errno == EINTR ? 0 : -errno;
  for (int i = 0; i < n; ++i)
    if (ev[i].data.fd == eventfd_) {
      uint64_t v;
      [[maybe_unused]] ssize_t r = read(eventfd_, &v, sizeof(v));
    }
  return n;
}

void EpollSet::interrupt() noexcept {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(eventfd_, &one, sizeof(one));
}

}  // namespace ringside
