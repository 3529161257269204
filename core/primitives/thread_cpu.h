// CPU time of one pipeline thread, readable from other threads while it runs and after it ends.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>

#include "clock.h"

namespace ringside {

class ThreadCpu {
 public:
  // Called by the thread itself when it starts.
  void begin() noexcept {
    clockid_t id;
    if (pthread_getcpuclockid(pthread_self(), &id) == 0) clock_.store(id, std::memory_order_release);
    start_ns_.store(cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID), std::memory_order_release);
    live_.store(true, std::memory_order_release);
  }
  // Called by the thread itself just before it returns.
  void end() noexcept {
    final_ns_.store(cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID), std::memory_order_release);
    live_.store(false, std::memory_order_release);
  }
  // CPU ns this thread used since begin(); live while it runs, final after end().
  [[nodiscard]] uint64_t used_ns() const noexcept {
    uint64_t now = live_.load(std::memory_order_acquire) ? cpu_clock_ns(clock_.load(std::memory_order_acquire))
                                                          : final_ns_.load(std::memory_order_acquire);
    uint64_t start = start_ns_.load(std::memory_order_acquire);
    return now > start ? now - start : 0;
  }

 private:
  std::atomic<clockid_t> clock_{CLOCK_THREAD_CPUTIME_ID};
  std::atomic<uint64_t> start_ns_{0};
  std::atomic<uint64_t> final_ns_{0};
  std::atomic<bool> live_{false};
};

}  // namespace ringside
