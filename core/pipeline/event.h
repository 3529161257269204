// The pooled userspace event: what the consumer decoded from a record's header, the userspace
// stage timestamps, and the record's bytes right behind it (the pool gives each event room for
// the largest record of the run).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ringside {

struct alignas(64) Event {
  uint64_t t_read = 0;      // the consumer saw the record (CLOCK_MONOTONIC ns)
  uint64_t t_parsed = 0;    // validated and copied into this event
  uint64_t t_enqueued = 0;  // handed to a worker queue
  uint64_t t_first = 0;     // the record's first timestamp (workload, hook or submit), 0 = none
  uint64_t t_hook = 0;      // program entry, 0 = not stamped
  uint64_t t_submit = 0;    // submit, 0 = the record carries none
  uint32_t size = 0;        // record bytes (may exceed what was copied for opaque records)
  uint32_t tgid = 0;        // 0 = unknown (opaque records)
  uint16_t slot = 0;        // the program's index in the run's RecordFormat
  uint16_t kind = 0;
  uint16_t copied = 0;      // record bytes behind this event
  uint8_t flags = 0;        // rs_hdr flags (RS_F_STAMPED, RS_F_USER, ...)
  uint8_t reserved = 0;

  // The bytes right behind the event, inside the pool slot (through an integer, so the compiler
  // does not mistake them for past-the-end of the Event object).
  [[nodiscard]] uint8_t* record() noexcept {
    return reinterpret_cast<uint8_t*>(reinterpret_cast<std::uintptr_t>(this) + sizeof(Event));
  }
  [[nodiscard]] const uint8_t* record() const noexcept {
    return reinterpret_cast<const uint8_t*>(reinterpret_cast<std::uintptr_t>(this) + sizeof(Event));
  }
};

static_assert(sizeof(Event) == 64, "Event is one cache line of metadata; the record follows it");

// Copies up to `room` bytes of a record of `size` behind the event: small records (the common
// case) in 16- and 8-byte moves the compiler inlines instead of a call into memcpy for a size
// known only at run time.
inline void copy_record(Event& e, const uint8_t* src, std::size_t size, std::size_t room) noexcept {
  const std::size_t n = size < room ? size : room;
  e.copied = static_cast<uint16_t>(n);
  uint8_t* dst = e.record();
  if (n > 256) {
    std::memcpy(dst, src, n);
    return;
  }
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) std::memcpy(dst + i, src + i, 16);
  for (; i + 8 <= n; i += 8) std::memcpy(dst + i, src + i, 8);
  for (; i < n; ++i) dst[i] = src[i];
}

}  // namespace ringside
