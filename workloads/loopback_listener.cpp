// LoopbackListener: accept-and-close peer for the connect workload.
#include "loopback_listener.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ringside::workload_detail {

LoopbackListener::LoopbackListener() : socket_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  if (!socket_) throw std::runtime_error(fmt::format("failed to create listener socket: {}", std::strerror(errno)));
  address_.sin_family = AF_INET;
  address_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address_.sin_port = 0;  // the kernel picks an ephemeral port
  socklen_t len = sizeof(address_);
  if (::bind(socket_.get(), reinterpret_cast<const sockaddr*>(&address_), sizeof(address_)) != 0 ||
      ::listen(socket_.get(), SOMAXCONN) != 0 ||
      ::getsockname(socket_.get(), reinterpret_cast<sockaddr*>(&address_), &len) != 0)
    throw std::runtime_error(fmt::format("failed to listen on 127.0.0.1: {}", std::strerror(errno)));
  acceptor_ = std::thread([this] { accept_loop(); });
}

LoopbackListener::~LoopbackListener() {
  // shutdown() on a listening socket makes a blocked accept() fail with EINVAL.
  ::shutdown(socket_.get(), SHUT_RDWR);
  acceptor_.join();
}

void LoopbackListener::wait_for_room() const noexcept {
  // Well under the accept-queue cap (net.core.somaxconn: 4096 now, 128 before Linux 5.4).
  constexpr uint64_t kMaxPending = 100;
  while (connected_.load(std::memory_order_relaxed) - accepted_.load(std::memory_order_relaxed) >= kMaxPending)
    ::sched_yield();
}

void LoopbackListener::accept_loop() noexcept {
  for (;;) {
    int fd = ::accept4(socket_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      ::close(fd);
      accepted_.fetch_add(1, std::memory_order_relaxed);
    } else if (errno == EINVAL || errno == EBADF) {
      return;  // shut down
    }
    // ECONNABORTED, EMFILE, ...: keep serving; the client side counts its own errors.
  }
}

}  // namespace ringside::workload_detail
