// Sources over the kernel's transports: BPF ring buffers and perf buffers, one or several maps
// behind one wait (several programs with a ring each, or one ring per CPU).
#pragma once

#include <memory>
#include <vector>

#include "source.h"
#include "types.h"

namespace ringside {

struct SourceConfig {
  Transport transport = Transport::ringbuf;
  WakeupPolicy wakeup;
  std::vector<int> map_fds;  // BPF_MAP_TYPE_RINGBUF or PERF_EVENT_ARRAY maps, all of `transport`
  uint32_t perf_bytes = 8u << 20;  // perf buffer: data pages per CPU from this total over all CPUs
  // Ring buffer, batch wake-ups: every producing program's "reader is idle" flag. When every
  // program has one, an empty reader sleeps until the next record instead of polling.
  std::vector<uint32_t*> idle_flags;
};

// Throws std::runtime_error("failed to map ring buffer ...: <errno text>").
std::unique_ptr<EventSource> make_source(const SourceConfig& config, RecordSink& sink);

}  // namespace ringside
