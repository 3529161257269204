// Perf buffers (PERF_EVENT_ARRAY), one libbpf perf_buffer per map in raw mode, so the wake-up
// policy maps onto wakeup_events and lost-sample records are counted, never ignored. One epoll
// waits on every perf buffer's own epoll fd and on the interrupt.
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "epoll_set.h"
#include "transport.h"

namespace ringside {
namespace {

class PerfbufSource final : public EventSource {
 public:
  PerfbufSource(const SourceConfig& cfg, RecordSink& sink) : sink_(sink) {
    const int ncpu = libbpf_num_possible_cpus();
    // per-CPU data pages: a power of two, from the configured total size
    const long page = sysconf(_SC_PAGESIZE);
    size_t pages = 1;
    while (pages * 2 * static_cast<size_t>(page) * static_cast<size_t>(ncpu) <= cfg.perf_bytes) pages *= 2;

    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_BPF_OUTPUT;
    attr.sample_type = PERF_SAMPLE_RAW;
    attr.sample_period = 1;
    attr.wakeup_events = cfg.wakeup.kind == WakeupPolicy::Kind::batch ? cfg.wakeup.batch : 1;
    try {
      for (int fd : cfg.map_fds) {
        perf_buffer* pb = perf_buffer__new_raw(fd, pages, &attr, &PerfbufSource::on_event, this, nullptr);
        if (!pb) throw std::runtime_error(std::string("failed to create perf buffer consumer: ") + std::strerror(errno));
        buffers_.push_back(pb);
        epoll_.watch(perf_buffer__epoll_fd(pb), EPOLLIN, "perf buffer");
      }
    } catch (...) {
      release();
      throw;
    }
  }
  ~PerfbufSource() override { release(); }

  int poll(int timeout_ms) override {
    const int n = epoll_.wait(timeout_ms);
    if (n < 0) return n;
    // batched wake-ups leave records below the watermark: read every buffer every time
    return drain();
  }

  int drain() override {
    sink_.on_batch_start();
    int total = 0;
    for (perf_buffer* pb : buffers_) {
      const int n = perf_buffer__consume(pb);
      if (n < 0) {
        sink_.on_batch_end();
        return n;
      }
      total += n;
    }
    sink_.on_batch_end();
    return total;
  }

  void interrupt() noexcept override { epoll_.interrupt(); }
  uint64_t lost_reported() const override { return lost_; }
  const char* name() const override { return "perfbuf"; }

 private:
  struct RawSample {
    perf_event_header header;
    uint32_t size;
    char data[];
  };
  struct LostRecord {
    perf_event_header header;
    uint64_t id;
    uint64_t lost;
  };

  static bpf_perf_event_ret on_event(void* ctx, int /*cpu*/, perf_event_header* ev) {
    auto* self = static_cast<PerfbufSource*>(ctx);
    if (ev->type == PERF_RECORD_SAMPLE) {
      auto* s = reinterpret_cast<RawSample*>(ev);
      self->sink_.on_record(s->data, s->size);
    } else if (ev->type == PERF_RECORD_LOST) {
      self->lost_ += reinterpret_cast<LostRecord*>(ev)->lost;
    }
    return LIBBPF_PERF_EVENT_CONT;
  }

  void release() noexcept {
    for (perf_buffer* pb : buffers_) perf_buffer__free(pb);
    buffers_.clear();
  }

  RecordSink& sink_;
  std::vector<perf_buffer*> buffers_;
  EpollSet epoll_;
  uint64_t lost_ = 0;
};

}  // namespace

std::unique_ptr<EventSource> make_ringbuf_source(const SourceConfig& c, RecordSink& sink);

std::unique_ptr<EventSource> make_source(const SourceConfig& c, RecordSink& sink) {
  if (c.map_fds.empty()) throw std::runtime_error("no ring to read");
  if (c.transport == Transport::perfbuf) return std::make_unique<PerfbufSource>(c, sink);
  return make_ringbuf_source(c, sink);
}

}  // namespace ringside
