// Perf buffer consumer (PERF_EVENT_ARRAY). Raw mode so the wake-up policy maps onto
// wakeup_events and lost-sample records are counted, never ignored.
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "event_source.h"

namespace ringside {
namespace {

class PerfbufSource final : public EventSource {
 public:
  PerfbufSource(const SyscallTap& tap, RecordSink& sink) : sink_(sink) {
    const TapConfig& cfg = tap.config();
    const int ncpu = libbpf_num_possible_cpus();
    // per-CPU data pages: a power of two, from the configured total size
    const long page = sysconf(_SC_PAGESIZE);
    size_t pages = 1;
    while (pages * 2 * static_cast<size_t>(page) * static_cast<size_t>(ncpu) <= cfg.ring_bytes) pages *= 2;

    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_BPF_OUTPUT;
    attr.sample_type = PERF_SAMPLE_RAW;
    attr.sample_period = 1;
    attr.wakeup_events = cfg.wakeup.kind == WakeupPolicy::batch ? cfg.wakeup.batch_size : 1;
    pb_ = perf_buffer__new_raw(tap.events_map_fd(), pages, &attr, &PerfbufSource::on_event, this, nullptr);
    if (!pb_) throw std::runtime_error(std::string("failed to create perf buffer consumer: ") + std::strerror(errno));
  }
  ~PerfbufSource() override { perf_buffer__free(pb_); }

  int poll(int timeout_ms) override {
    sink_.on_batch_start();
    int n = perf_buffer__poll(pb_, timeout_ms);
    sink_.on_batch_end();
    // batched wake-ups leave records below the watermark: read them too
    if (n >= 0) {
      int m = drain();
      return m < 0 ? m : n + m;
    }
    return n == -EINTR ? 0 : n;
  }

  int drain() override {
    sink_.on_batch_start();
    int n = perf_buffer__consume(pb_);
    sink_.on_batch_end();
    return n;
  }

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

  RecordSink& sink_;
  perf_buffer* pb_ = nullptr;
  uint64_t lost_ = 0;
};

}  // namespace

std::unique_ptr<EventSource> make_perfbuf_source(const SyscallTap& tap, RecordSink& sink) {
  return std::make_unique<PerfbufSource>(tap, sink);
}

std::unique_ptr<EventSource> make_ringbuf_source(int map_fd, RecordSink& sink, bool drain_to_empty);

std::unique_ptr<EventSource> make_event_source(const SyscallTap& tap, RecordSink& sink) {
  if (tap.config().transport == "perfbuf") return make_perfbuf_source(tap, sink);
  return make_ringbuf_source(tap.events_map_fd(), sink, tap.config().wakeup.kind != WakeupPolicy::batch);
}

}  // namespace ringside
