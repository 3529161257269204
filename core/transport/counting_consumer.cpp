#include "counting_consumer.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ringside {

CountingConsumer::CountingConsumer(int ring_fd, int poll_ms) : poll_ms_(poll_ms) {
  rb_ = ring_buffer__new(ring_fd, &CountingConsumer::on_sample, this, nullptr);
  if (!rb_) throw std::runtime_error(std::string("failed to create ring buffer consumer: ") + std::strerror(errno));
}

CountingConsumer::~CountingConsumer() {
  stop();
  ring_buffer__free(rb_);
}

int CountingConsumer::on_sample(void* ctx, void*, size_t) {
  auto* self = static_cast<CountingConsumer*>(ctx);
  self->count_.store(self->count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return 0;
}

void CountingConsumer::start() {
  thread_ = std::thread([this] {
    cpu_.begin();
    while (!stop_.load(std::memory_order_acquire)) ring_buffer__poll(rb_, poll_ms_);
    while (ring_buffer__consume(rb_) > 0) {
    }
    cpu_.end();
  });
}

void CountingConsumer::stop() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

}  // namespace ringside
