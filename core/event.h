// The pooled userspace event: the kernel record plus the userspace stage timestamps.
#pragma once

#include <cstdint>
#include <linux/types.h>

extern "C" {
#include "syscall_tap.h"
}

namespace ringside {

static_assert(sizeof(rs_event) == 64, "rs_event must stay 64 bytes (shared with BPF)");

struct Event {
  rs_event rec;          // copied out of the ring (size-checked)
  uint64_t t_read = 0;   // consumer saw the record (CLOCK_MONOTONIC ns)
  uint64_t t_parsed = 0; // validated and copied into this event
  uint64_t t_enqueued = 0;
  uint64_t pad_ = 0;     // keep Event a multiple of 32 bytes
};

static_assert(sizeof(Event) == 96, "Event layout changed: update benchmarks");

// Named latency stages, in results.json order.
enum class Stage : int {
  syscall_to_hook = 0,
  hook_to_submit,
  submit_to_read,
  read_to_parse,
  queue_wait,
  handle,
  end_to_end,
  count
};

inline constexpr const char* kStageNames[] = {"syscall_to_hook", "hook_to_submit", "submit_to_read",
                                              "read_to_parse",   "queue_wait",     "handle",
                                              "end_to_end"};
static_assert(sizeof(kStageNames) / sizeof(kStageNames[0]) == static_cast<int>(Stage::count),
              "every stage needs a name");

}  // namespace ringside
