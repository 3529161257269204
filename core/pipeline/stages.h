// The stages an event passes through, each a difference of two timestamps on one clock
// (CLOCK_MONOTONIC in userspace == bpf_ktime_get_ns() in BPF), and one histogram per stage.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "histogram.h"

namespace ringside {

enum class Stage : int {
  syscall_to_hook = 0,  // the workload's own stamp just before the call → BPF program entry
  hook_to_submit,       // program entry → just before submit/output
  submit_to_read,       // submit → the consumer sees the record (wake-up + poll)
  read_to_parse,        // record seen → validated and copied into a pooled event
  queue_wait,           // enqueued → a worker dequeues it
  handle,               // handler start → done
  end_to_end,           // first timestamp → handler done
  count
};

inline constexpr std::size_t kStageCount = static_cast<std::size_t>(Stage::count);

// In results.json order.
inline constexpr std::array<const char*, kStageCount> kStageNames = {
    "syscall_to_hook", "hook_to_submit", "submit_to_read", "read_to_parse", "queue_wait", "handle", "end_to_end"};

// A set of stages, e.g. those a program's records carry timestamps for.
using StageMask = uint32_t;
inline constexpr StageMask stage_bit(Stage s) { return StageMask{1} << static_cast<int>(s); }
inline constexpr StageMask kAllStages = (StageMask{1} << kStageCount) - 1;

// One histogram per stage, indexed by Stage.
struct StageHistograms {
  std::array<LogHistogram, kStageCount> stage;

  LogHistogram& operator[](Stage s) noexcept { return stage[static_cast<std::size_t>(s)]; }
  const LogHistogram& operator[](Stage s) const noexcept { return stage[static_cast<std::size_t>(s)]; }

  void merge(const StageHistograms& other) noexcept {
    for (std::size_t i = 0; i < kStageCount; ++i) stage[i].merge(other.stage[i]);
  }
};

}  // namespace ringside
