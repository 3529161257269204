// The lean consumer a pipeline is judged against: libbpf's ring_buffer__poll on one ring, a
// callback that only counts, a 10 ms poll — what a minimal libbpf tool does.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "thread_cpu.h"

struct ring_buffer;

namespace ringside {

class CountingConsumer {
 public:
  CountingConsumer(int ring_fd, int poll_ms);  // throws std::runtime_error
  ~CountingConsumer();
  CountingConsumer(const CountingConsumer&) = delete;
  CountingConsumer& operator=(const CountingConsumer&) = delete;

  void start();
  void stop();  // final drain, join
  [[nodiscard]] uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t cpu_ns() const noexcept { return cpu_.used_ns(); }

 private:
  static int on_sample(void* ctx, void* data, size_t size);
  ring_buffer* rb_ = nullptr;
  int poll_ms_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> count_{0};
  ThreadCpu cpu_;
};

}  // namespace ringside
