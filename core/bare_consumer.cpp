#include "bare_consumer.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ringside {

BareConsumer::BareConsumer(const SyscallTap& tap) {
  if (tap.config().transport != "ringbuf") throw std::runtime_error("the bare consumer reads the ring buffer only");
  rb_ = ring_buffer__new(tap.events_map_fd(), &BareConsumer::on_sample, this, nullptr);
  if (!rb_) throw std::runtime_error(std::string("failed to create ring buffer consumer: ") + std::strerror(errno));
}

BareConsumer::~BareConsumer() {
  stop();
  ring_buffer__free(rb_);
}

int BareConsumer::on_sample(void* ctx, void*, size_t) {
  auto* self = static_cast<BareConsumer*>(ctx);
  self->count_.store(self->count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return 0;
}

void BareConsumer::start() {
  thread_ = std::thread([this] {
    cpu_.begin();
    while (!stop_.load(std::memory_order_acquire)) ring_buffer__poll(rb_, 10);
    while (ring_buffer__consume(rb_) > 0) {
    }
    cpu_.end();
  });
}

void BareConsumer::stop() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

}  // namespace ringside
