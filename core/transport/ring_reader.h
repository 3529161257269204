// Reading a BPF ring buffer (BPF_MAP_TYPE_RINGBUF) through the memory the kernel maps: a
// consumer-position page the reader writes, a producer-position page the kernel writes, and the
// data pages mapped twice in a row so a record that wraps the end reads contiguously. Each record
// is an 8-byte header (u32 length with the BUSY and DISCARD bits, u32 page offset) followed by
// its bytes, padded to 8. No syscalls here: the walk is testable on a ring laid out in memory.
#pragma once

#include <cstddef>
#include <cstdint>

#include "source.h"

namespace ringside {

struct RingView {
  unsigned long* consumer_pos = nullptr;        // written by the reader
  const unsigned long* producer_pos = nullptr;  // written by the kernel
  const uint8_t* data = nullptr;                // `size` bytes, mapped twice back to back
  std::size_t size = 0;                         // a power of two
};

class RingReader {
 public:
  // consumer_pos is published (release) at least every kPublishEvery records of a pass, so the
  // kernel sees space free up during a long pass without a store per record.
  static constexpr uint32_t kPublishEvery = 256;

  explicit RingReader(RingView view) noexcept : v_(view), mask_(view.size - 1) {}

  // One pass up to the producer position seen at its start: every submitted record goes to
  // sink.on_record (between on_batch_start/on_batch_end, only if there is anything), discarded
  // ones are skipped, and the pass stops at a record still being written (BUSY). Returns the
  // records delivered.
  int pass(RecordSink& sink) noexcept;

  // Whether the producer is ahead of the consumer.
  [[nodiscard]] bool pending() const noexcept;
  // Bytes between the consumer and the producer.
  [[nodiscard]] unsigned long backlog() const noexcept;

 private:
  RingView v_;
  std::size_t mask_;
};

}  // namespace ringside
