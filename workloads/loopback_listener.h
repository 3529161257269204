// LoopbackListener: a TCP listener on 127.0.0.1 (ephemeral port) whose own thread
// accepts and immediately closes every connection; the connect workload's peer.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "owned_fd.h"

namespace ringside::workload_detail {

class LoopbackListener {
 public:
  LoopbackListener();  // binds, listens and starts the accept thread; throws std::runtime_error
  ~LoopbackListener();
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  const sockaddr_in& address() const noexcept { return address_; }

  // Clients call these around each connect: a full accept queue drops SYNs and stalls a
  // connect for a 1 s retransmit, so clients yield while too many wait to be accepted.
  void wait_for_room() const noexcept;
  void note_connected() noexcept { connected_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void accept_loop() noexcept;

  OwnedFd socket_;
  sockaddr_in address_{};
  alignas(64) std::atomic<uint64_t> connected_{0};
  alignas(64) std::atomic<uint64_t> accepted_{0};
  std::thread acceptor_;
};

}  // namespace ringside::workload_detail
