// The ring buffer walk; see ring_reader.h. Unlike libbpf 1.1's ring_buffer__consume(), which
// chases the producer record by record and publishes consumer_pos after every record, a pass
// reads up to the producer position seen at its start and publishes every kPublishEvery records:
// on a storm the reader neither chases each record the instant another CPU writes it nor bounces
// the consumer_pos cache line per record.
#include "ring_reader.h"

#include <linux/bpf.h>

#include <atomic>

namespace ringside {
namespace {

unsigned long load_acquire(const unsigned long* p) noexcept {
  return std::atomic_ref(*const_cast<unsigned long*>(p)).load(std::memory_order_acquire);
}

}  // namespace

bool RingReader::pending() const noexcept { return load_acquire(v_.producer_pos) > load_acquire(v_.consumer_pos); }

unsigned long RingReader::backlog() const noexcept {
  const unsigned long prod = load_acquire(v_.producer_pos), cons = load_acquire(v_.consumer_pos);
  return prod > cons ? prod - cons : 0;
}

int RingReader::pass(RecordSink& sink) noexcept {
  std::atomic_ref consumer(*v_.consumer_pos);
  unsigned long cons = consumer.load(std::memory_order_relaxed);
  const unsigned long prod = load_acquire(v_.producer_pos);
  if (cons >= prod) return 0;
  int n = 0;
  uint32_t unpublished = 0;
  sink.on_batch_start();
  while (cons < prod) {
    const auto* hdr = reinterpret_cast<const uint32_t*>(v_.data + (cons & mask_));
    const uint32_t len = std::atomic_ref(*const_cast<uint32_t*>(hdr)).load(std::memory_order_acquire);
    if (len & BPF_RINGBUF_BUSY_BIT) break;  // reserved, not yet submitted: stop here
    const uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
    if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
      sink.on_record(reinterpret_cast<const uint8_t*>(hdr) + BPF_RINGBUF_HDR_SZ, size);
      ++n;
    }
    cons += (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
    if (++unpublished == kPublishEvery) {
      consumer.store(cons, std::memory_order_release);
      unpublished = 0;
    }
  }
  consumer.store(cons, std::memory_order_release);
  sink.on_batch_end();
  return n;
}

}  // namespace ringside
