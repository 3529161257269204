// An event source fed from memory: tests (and anything without a kernel ring) push records from
// any thread; poll() hands them to the sink in batches, exactly as a ring-buffer pass would.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "source.h"

namespace ringside {

class MemorySource final : public EventSource {
 public:
  explicit MemorySource(RecordSink& sink) : sink_(sink) {}

  // Queues one record (copied); thread-safe.
  void push(const void* data, std::size_t size);
  // Records queued and not yet handed to the sink.
  [[nodiscard]] std::size_t queued() const;

  int poll(int timeout_ms) override;
  int drain() override;
  void interrupt() noexcept override;
  uint64_t lost_reported() const override { return 0; }
  const char* name() const override { return "memory"; }

 private:
  int deliver(std::unique_lock<std::mutex>& lock);

  RecordSink& sink_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<uint8_t>> records_;
  bool interrupted_ = false;
};

}  // namespace ringside
