// The floor a pipeline is compared against: a bare libbpf ring-buffer consumer that only counts
// records (batched wake-ups, 10 ms poll), as in the kernel's ringbuf benchmarks.
#pragma once

#include <atomic>
#include <thread>

#include "syscall_tap_loader.h"
#include "thread_cpu.h"

struct ring_buffer;

namespace ringside {

class BareConsumer {
 public:
  explicit BareConsumer(const SyscallTap& tap);  // ring buffer only; throws std::runtime_error
  ~BareConsumer();
  BareConsumer(const BareConsumer&) = delete;
  BareConsumer& operator=(const BareConsumer&) = delete;

  void start();
  void stop();  // final drain, join
  [[nodiscard]] uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t cpu_ns() const noexcept { return cpu_.used_ns(); }

 private:
  static int on_sample(void* ctx, void* data, size_t size);
  ring_buffer* rb_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> count_{0};
  ThreadCpu cpu_;
};

}  // namespace ringside
