#include "memory_source.h"

#include <chrono>

namespace ringside {

void MemorySource::push(const void* data, std::size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  {
    std::lock_guard lock(mu_);
    records_.emplace_back(p, p + size);
  }
  cv_.notify_one();
}

std::size_t MemorySource::queued() const {
  std::lock_guard lock(mu_);
  return records_.size();
}

int MemorySource::deliver(std::unique_lock<std::mutex>& lock) {
  std::deque<std::vector<uint8_t>> batch;
  batch.swap(records_);
  lock.unlock();
  if (batch.empty()) return 0;
  sink_.on_batch_start();
  for (const auto& r : batch) sink_.on_record(r.data(), r.size());
  sink_.on_batch_end();
  return static_cast<int>(batch.size());
}

int MemorySource::poll(int timeout_ms) {
  std::unique_lock lock(mu_);
  const auto ready = [&] { return !records_.empty() || interrupted_; };
  if (timeout_ms < 0)
    cv_.wait(lock, ready);
  else
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), ready);
  interrupted_ = false;
  return deliver(lock);
}

int MemorySource::drain() {
  std::unique_lock lock(mu_);
  return deliver(lock);
}

void MemorySource::interrupt() noexcept {
  {
    std::lock_guard lock(mu_);
    interrupted_ = true;
  }
  cv_.notify_all();
}

}  // namespace ringside
