// Ring buffers read through their mmap'ed pages (ring_reader.h), one edge-triggered epoll over
// every ring plus an eventfd for interrupt().
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "epoll_set.h"
#include "ring_reader.h"
#include "transport.h"

namespace ringside {

namespace {

constexpr int kCaughtUp = 256;  // a pass shorter than this means we caught up: wait again
// Batch wake-ups with idle flags: after this many empty polls the reader raises the flags and
// sleeps this long (the next record wakes it; the timeout only bounds a record that raced it).
constexpr int kEmptyPollsBeforeIdle = 1;
constexpr int kIdleWaitMs = 250;

// One ring's mappings.
class MappedRing {
 public:
  explicit MappedRing(int map_fd) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(map_fd, &info, &len)) fail("failed to read ring buffer info");
    page_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    size_ = info.max_entries;
    void* c = mmap(nullptr, page_, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
    if (c == MAP_FAILED) fail("failed to map ring buffer consumer page");
    consumer_ = c;
    // producer page + data pages mapped twice, so a record wrapping the end reads contiguously
    void* p = mmap(nullptr, page_ + 2 * size_, PROT_READ, MAP_SHARED, map_fd, static_cast<off_t>(page_));
    if (p == MAP_FAILED) fail("failed to map ring buffer data pages");
    producer_ = p;
  }
  ~MappedRing() { release(); }
  MappedRing(const MappedRing&) = delete;
  MappedRing& operator=(const MappedRing&) = delete;

  [[nodiscard]] RingView view() const {
    return {static_cast<unsigned long*>(consumer_), static_cast<const unsigned long*>(producer_),
            static_cast<const uint8_t*>(producer_) + page_, size_};
  }

 private:
  [[noreturn]] void fail(const char* what) {
    const int err = errno;
    release();
    throw std::runtime_error(std::string(what) + ": " + std::strerror(err));
  }
  void release() noexcept {
    if (consumer_) munmap(consumer_, page_);
    if (producer_) munmap(producer_, page_ + 2 * size_);
    consumer_ = producer_ = nullptr;
  }
  std::size_t page_ = 0, size_ = 0;
  void* consumer_ = nullptr;
  void* producer_ = nullptr;
};

class RingbufSource final : public EventSource {
 public:
  RingbufSource(const std::vector<int>& fds, RecordSink& sink, bool drain_to_empty, std::vector<uint32_t*> idle_flags)
      : sink_(sink), drain_to_empty_(drain_to_empty), idle_flags_(std::move(idle_flags)) {
    for (int fd : fds) {
      maps_.push_back(std::make_unique<MappedRing>(fd));
      readers_.emplace_back(maps_.back()->view());
      // Edge-triggered: a ring reports readable whenever anything is pending, so level-triggered
      // waits would return at once and turn a storm into passes of one or two records. Edges are
      // the kernel's wake-ups (per the wake-up policy); the poll timeout covers the tail.
      epoll_.watch(fd, EPOLLIN | EPOLLET, "ring buffer");
    }
  }

  int poll(int timeout_ms) override {
    int wait_ms = timeout_ms;
    if (!idle_flags_.empty() && empty_polls_ >= kEmptyPollsBeforeIdle) {
      // raise the flags first (a full barrier), then look: a record committed before the look is
      // seen here, one committed after it sees the flag and wakes us
      for (uint32_t* f : idle_flags_) __atomic_store_n(f, 1u, __ATOMIC_SEQ_CST);
      if (!any_pending()) wait_ms = timeout_ms < 0 ? -1 : std::max(timeout_ms, kIdleWaitMs);
    }
    const int n = epoll_.wait(wait_ms);
    if (n < 0) return n;
    // batched wake-ups leave records pending without an epoll event: always read every ring
    int total = 0;
    bool again;
    do {
      again = false;
      for (RingReader& r : readers_) {
        const int got = r.pass(sink_);
        total += got;
        // every/adaptive: the kernel wakes us only once we have caught up, so stop only when
        // nothing is pending; batch: threshold crossings and the poll timeout bring us back
        again = again || got >= kCaughtUp || (drain_to_empty_ && got > 0 && r.pending());
      }
    } while (again);
    if (!idle_flags_.empty()) {
      if (total > 0) {
        if (empty_polls_ >= kEmptyPollsBeforeIdle)
          for (uint32_t* f : idle_flags_) __atomic_store_n(f, 0u, __ATOMIC_RELAXED);
        empty_polls_ = 0;
      } else {
        ++empty_polls_;
      }
    }
    return total;
  }

  int drain() override {
    int total = 0;
    for (RingReader& r : readers_) total += r.pass(sink_);
    return total;
  }
  void interrupt() noexcept override { epoll_.interrupt(); }
  uint64_t lost_reported() const override { return 0; }
  const char* name() const override { return "ringbuf"; }

 private:
  bool any_pending() const noexcept {
    for (const RingReader& r : readers_)
      if (r.pending()) return true;
    return false;
  }
  RecordSink& sink_;
  const bool drain_to_empty_;
  std::vector<std::unique_ptr<MappedRing>> maps_;
  std::vector<RingReader> readers_;
  EpollSet epoll_;
  std::vector<uint32_t*> idle_flags_;
  int empty_polls_ = 0;
};

}  // namespace

std::unique_ptr<EventSource> make_ringbuf_source(const SourceConfig& c, RecordSink& sink) {
  const bool batch = c.wakeup.kind == WakeupPolicy::Kind::batch;
  return std::make_unique<RingbufSource>(c.map_fds, sink, !batch,
                                         batch ? c.idle_flags : std::vector<uint32_t*>{});
}

}  // namespace ringside
