// BPF ring buffer consumer over the map's own mmap'ed pages (the kernel's documented layout:
// consumer_pos page, producer_pos page, data pages mapped twice). Unlike libbpf 1.1's
// ring_buffer__consume(), which chases the producer record by record and publishes
// consumer_pos after every record, a pass here reads up to the producer position it saw at the
// start and publishes its progress every kPublishEvery records: on a storm the consumer no
// longer reads each record the instant another CPU writes it, nor bounces consumer_pos per
// record.
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "event_source.h"

namespace ringside {
namespace {

constexpr uint32_t kPublishEvery = 256;   // records between consumer_pos updates
constexpr int kCaughtUp = 256;            // a pass shorter than this means we caught up: wait again

class RingbufSource final : public EventSource {
 public:
  RingbufSource(int map_fd, RecordSink& sink, bool drain_to_empty) : sink_(sink), drain_to_empty_(drain_to_empty) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(map_fd, &info, &len)) fail("failed to read ring buffer info");
    page_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    size_ = info.max_entries;
    mask_ = size_ - 1;
    void* c = mmap(nullptr, page_, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
    if (c == MAP_FAILED) fail("failed to map ring buffer consumer page");
    consumer_page_ = c;
    // producer page + data pages mapped twice, so a record wrapping the end reads contiguously
    void* p = mmap(nullptr, page_ + 2 * size_, PROT_READ, MAP_SHARED, map_fd, static_cast<off_t>(page_));
    if (p == MAP_FAILED) fail("failed to map ring buffer data pages");
    producer_page_ = p;
    data_ = static_cast<const uint8_t*>(p) + page_;
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    // Edge-triggered: the ring reports readable whenever anything is pending, so level-triggered
    // waits would return at once and turn a storm into passes of one or two records. Edges are
    // the kernel's wake-ups (per the wake-up policy); the poll timeout covers the tail.
    ev.events = EPOLLIN | EPOLLET;
    if (epfd_ < 0 || epoll_ctl(epfd_, EPOLL_CTL_ADD, map_fd, &ev) < 0) fail("failed to watch ring buffer");
  }

  ~RingbufSource() override { release(); }

  int poll(int timeout_ms) override {
    epoll_event ev[1];
    int n = epoll_wait(epfd_, ev, 1, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -errno;
    // batched wake-ups leave records pending without an epoll event: always read
    int total = 0, got;
    do {
      got = pass();
      total += got;
      // every/adaptive: the kernel wakes us only once we have caught up, so stop only when
      // nothing is pending; batch: threshold crossings and the poll timeout bring us back
    } while (got >= kCaughtUp || (drain_to_empty_ && got > 0 && pending()));
    return total;
  }

  int drain() override { return pass(); }
  uint64_t lost_reported() const override { return 0; }
  const char* name() const override { return "ringbuf"; }

 private:
  std::atomic_ref<unsigned long> consumer_pos() const { return std::atomic_ref(*static_cast<unsigned long*>(consumer_page_)); }
  unsigned long producer_pos() const {
    return std::atomic_ref(*static_cast<unsigned long*>(producer_page_)).load(std::memory_order_acquire);
  }

  bool pending() const { return producer_pos() > consumer_pos().load(std::memory_order_relaxed); }

  // One pass up to the producer position seen at its start.
  int pass() {
    unsigned long cons = consumer_pos().load(std::memory_order_acquire);
    const unsigned long prod = producer_pos();
    if (cons >= prod) return 0;
    int n = 0;
    uint32_t unpublished = 0;
    sink_.on_batch_start();
    while (cons < prod) {
      auto* hdr = const_cast<uint32_t*>(reinterpret_cast<const uint32_t*>(data_ + (cons & mask_)));
      const uint32_t len = std::atomic_ref(*hdr).load(std::memory_order_acquire);
      if (len & BPF_RINGBUF_BUSY_BIT) break;  // reserved, not yet submitted: stop here
      const uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
        sink_.on_record(reinterpret_cast<const uint8_t*>(hdr) + BPF_RINGBUF_HDR_SZ, size);
        ++n;
      }
      cons += (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
      if (++unpublished == kPublishEvery) {
        consumer_pos().store(cons, std::memory_order_release);
        unpublished = 0;
      }
    }
    consumer_pos().store(cons, std::memory_order_release);
    sink_.on_batch_end();
    return n;
  }

  [[noreturn]] void fail(const char* what) {
    const int err = errno;
    release();
    throw std::runtime_error(std::string(what) + ": " + std::strerror(err));
  }

  void release() {
    if (epfd_ >= 0) close(epfd_);
    if (consumer_page_) munmap(consumer_page_, page_);
    if (producer_page_) munmap(producer_page_, page_ + 2 * size_);
    epfd_ = -1;
    consumer_page_ = producer_page_ = nullptr;
  }

  RecordSink& sink_;
  const bool drain_to_empty_;
  std::size_t page_ = 0, size_ = 0, mask_ = 0;
  void* consumer_page_ = nullptr;
  void* producer_page_ = nullptr;
  const uint8_t* data_ = nullptr;
  int epfd_ = -1;
};

}  // namespace

std::unique_ptr<EventSource> make_ringbuf_source(int map_fd, RecordSink& sink, bool drain_to_empty) {
  return std::make_unique<RingbufSource>(map_fd, sink, drain_to_empty);
}

}  // namespace ringside
