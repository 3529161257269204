// Pacing of one worker thread: closed loop (as fast as it can), or open loop on an
// absolute CLOCK_MONOTONIC schedule, optionally in ON/OFF bursts.
//
// Open loop: a thread owns every threads-th slot of the total rate (phase-shifted, so
// threads interleave) and sleeps with clock_nanosleep(TIMER_ABSTIME) until each slot.
// When slots are closer than ~20 us it sleeps once per batch of slots and issues the
// batch back to back. Waking late is recorded as lag (actual - scheduled start). A late
// thread catches up on at most ~1 ms of slots; after a longer stall the slots that went by
// are skipped (counted as missed) and it resumes at the next slot still ahead, so a stall
// never turns into a burst above the target rate: it shows up as worst_lag_ns, missed
// slots and an achieved rate below target. The schedule itself never moves.
#pragma once

#include <cstdint>
#include <limits>

#include "syscall_ops.h"

namespace ringside::workload_detail {

inline constexpr int64_t kNoEnd = std::numeric_limits<int64_t>::max();
inline constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

int64_t monotonic_ns() noexcept;
void sleep_until_ns(int64_t monotonic_deadline) noexcept;

// When one thread's k-th op is due, as an offset from the start of the run.
class OpenLoopSchedule {
 public:
  OpenLoopSchedule(double total_rate, int threads, int thread_index, double burst_on_ms, double burst_off_ms);

  int64_t due_ns(uint64_t slot) const noexcept;
  uint64_t first_slot_from(int64_t t) const noexcept;  // first slot due at or after t
  uint32_t batch() const noexcept { return batch_; }
  int64_t catch_up_limit_ns() const noexcept { return catch_up_limit_ns_; }

 private:
  double period_ns_;  // between this thread's slots
  double offset_ns_;  // this thread's phase
  double on_ns_ = 0, cycle_ns_ = 0;
  uint32_t batch_;
  int64_t catch_up_limit_ns_;
};

struct PaceParams {
  int64_t start_ns = 0;           // CLOCK_MONOTONIC
  int64_t end_ns = kNoEnd;        // duration mode: stop issuing at this time
  uint64_t op_limit = kNoLimit;   // ops mode: this thread's exact share
  double rate = 0;                // total ops/s across threads; 0 = closed loop
  int threads = 1, thread_index = 0;
  double burst_on_ms = 0, burst_off_ms = 0;
};

// Issues this thread's ops under `params` into `tally`; sets tally.finished_ns.
void run_paced(const PaceParams& params, OpIssuer& issuer, ThreadTally& tally) noexcept;

}  // namespace ringside::workload_detail
