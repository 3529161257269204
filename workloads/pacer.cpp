// Open-loop schedule, burst windows and the per-thread issue loops.
#include "pacer.h"

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

namespace ringside::workload_detail {
namespace {

constexpr double kBatchWindowNs = 20'000;          // sleep once per ~20 us of slots
constexpr int64_t kMinCatchUpLimitNs = 2'000'000;  // catch up on at most ~2 ms of slots (VM wake-ups run ~1.1 ms late at times)

void run_open_loop(const PaceParams& p, OpIssuer& issuer, ThreadTally& tally) noexcept {
  const OpenLoopSchedule schedule(p.rate, p.threads, p.thread_index, p.burst_on_ms, p.burst_off_ms);
  uint64_t issued = 0;
  for (uint64_t slot = 0; issued < p.op_limit;) {
    const int64_t due = p.start_ns + schedule.due_ns(slot);
    if (due >= p.end_ns) break;
    int64_t now = monotonic_ns();
    if (due > now) {  // behind schedule: no sleep syscall, issue at once (catching up)
      sleep_until_ns(due);
      now = monotonic_ns();
    }
    const int64_t lag = now - due;
    if (lag > 0) tally.worst_lag_ns = std::max(tally.worst_lag_ns, uint64_t(lag));
    if (lag > schedule.catch_up_limit_ns()) {
      // Stalled: skip the slots that went by (up to the end) instead of bursting them.
      const uint64_t next = schedule.first_slot_from(std::min(now, p.end_ns) - p.start_ns);
      tally.missed_slots += next - slot;
      slot = next;
      continue;
    }
    const uint64_t batch = std::min<uint64_t>(schedule.batch(), p.op_limit - issued);
    for (uint64_t i = 0; i < batch; ++i) issuer.issue(tally);
    issued += batch;
    slot += batch;
  }
  // A timed run lasts its whole window even when its last slot came early.
  if (p.end_ns != kNoEnd) sleep_until_ns(p.end_ns);
}

void run_closed_loop(const PaceParams& p, OpIssuer& issuer, ThreadTally& tally) noexcept {
  const bool bursts = p.burst_on_ms > 0;
  const bool timed = p.end_ns != kNoEnd || bursts;
  const int64_t on_ns = std::llround(p.burst_on_ms * 1e6);
  const int64_t cycle_ns = on_ns + std::llround(p.burst_off_ms * 1e6);
  for (uint64_t op = 0; op < p.op_limit;) {
    if (timed) {
      const int64_t now = monotonic_ns();
      if (now >= p.end_ns) break;
      const int64_t phase = bursts ? (now - p.start_ns) % cycle_ns : 0;
      if (bursts && phase >= on_ns) {  // OFF: idle until the next ON window (or the end)
        sleep_until_ns(std::min(p.end_ns, now + cycle_ns - phase));
        continue;
      }
    }
    issuer.issue(tally);
    ++op;
  }
}

}  // namespace

int64_t monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleep_until_ns(int64_t deadline) noexcept {
  const timespec ts{time_t(deadline / 1'000'000'000), long(deadline % 1'000'000'000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

OpenLoopSchedule::OpenLoopSchedule(double total_rate, int threads, int thread_index, double burst_on_ms,
                                   double burst_off_ms)
    : period_ns_(1e9 * threads / total_rate), offset_ns_(1e9 * thread_index / total_rate) {
  if (burst_on_ms > 0) {
    on_ns_ = burst_on_ms * 1e6;
    cycle_ns_ = (burst_on_ms + burst_off_ms) * 1e6;
  }
  batch_ = uint32_t(std::max(1.0, std::ceil(kBatchWindowNs / period_ns_)));
  catch_up_limit_ns_ = std::max(kMinCatchUpLimitNs, int64_t(batch_ * period_ns_));
}

int64_t OpenLoopSchedule::due_ns(uint64_t op) const noexcept {
  const double active = offset_ns_ + double(op) * period_ns_;  // time spent in ON windows
  if (cycle_ns_ == 0) return int64_t(active);
  // Map "active" time onto the wall clock: each ON window is followed by an OFF gap.
  const double windows = std::floor(active / on_ns_);
  return int64_t(windows * cycle_ns_ + (active - windows * on_ns_));
}

uint64_t OpenLoopSchedule::first_slot_from(int64_t t) const noexcept {
  // Inverse of due_ns(): the active time elapsed by wall time t, then the next slot.
  double active = double(t);
  if (cycle_ns_ > 0) {
    const double windows = std::floor(double(t) / cycle_ns_);
    active = windows * on_ns_ + std::min(double(t) - windows * cycle_ns_, on_ns_);
  }
  auto slot = uint64_t(std::max(0.0, std::ceil((active - offset_ns_) / period_ns_)));
  while (due_ns(slot) < t) ++slot;  // guard against rounding
  return slot;
}

void run_paced(const PaceParams& params, OpIssuer& issuer, ThreadTally& tally) noexcept {
  if (params.rate > 0) {
    run_open_loop(params, issuer, tally);
  } else {
    run_closed_loop(params, issuer, tally);
  }
  tally.finished_ns = monotonic_ns();
}

}  // namespace ringside::workload_detail
