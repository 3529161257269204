// BPF ring buffer consumer: our own epoll wait, then ring_buffer__consume() so a batch has
// one "seen" timestamp.
#include <bpf/libbpf.h>
#include <sys/epoll.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "event_source.h"

namespace ringside {
namespace {

class RingbufSource final : public EventSource {
 public:
  RingbufSource(int map_fd, RecordSink& sink) : sink_(sink) {
    rb_ = ring_buffer__new(map_fd, &RingbufSource::on_sample, this, nullptr);
    if (!rb_) throw std::runtime_error(std::string("failed to create ring buffer consumer: ") + std::strerror(errno));
    epfd_ = ring_buffer__epoll_fd(rb_);
  }
  ~RingbufSource() override { ring_buffer__free(rb_); }

  int poll(int timeout_ms) override {
    epoll_event ev[1];
    int n = epoll_wait(epfd_, ev, 1, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -errno;
    // Batch wake-ups leave records pending without an epoll event: always read.
    return drain();
  }

  int drain() override {
    sink_.on_batch_start();
    int n = ring_buffer__consume(rb_);
    sink_.on_batch_end();
    return n;
  }

  uint64_t lost_reported() const override { return 0; }
  const char* name() const override { return "ringbuf"; }

 private:
  static int on_sample(void* ctx, void* data, size_t size) {
    static_cast<RingbufSource*>(ctx)->sink_.on_record(data, size);
    return 0;
  }

  RecordSink& sink_;
  ring_buffer* rb_ = nullptr;
  int epfd_ = -1;
};

}  // namespace

std::unique_ptr<EventSource> make_ringbuf_source(int map_fd, RecordSink& sink) {
  return std::make_unique<RingbufSource>(map_fd, sink);
}

}  // namespace ringside
