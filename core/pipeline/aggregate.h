// What a handler thread accumulates per program while events flow (no allocation, no sharing),
// merged into one Aggregate after the threads stop.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "event.h"
#include "record_format.h"
#include "stages.h"

namespace ringside {

// Fixed-size open-addressing table of per-tgid counts: no allocation per event. Beyond its
// slots a pid is counted as overflow (reported, never silently merged into another pid).
class PidCounts {
 public:
  static constexpr uint32_t kSlots = 4096;
  static constexpr uint32_t kMaxProbe = 64;
  void add(uint32_t tgid) noexcept;
  void merge_into(std::map<uint32_t, uint64_t>& out, uint64_t& overflow) const;

 private:
  std::array<uint32_t, kSlots> keys_{};
  std::array<uint64_t, kSlots> counts_{};
  uint64_t overflow_ = 0;
};

struct ProgramAggregate {
  StageHistograms hist;
  std::vector<uint64_t> by_kind;  // events per rs_hdr.kind (syscall number, operation, ...)
  uint64_t handled = 0;
  uint64_t bytes = 0, max_bytes = 0;  // record sizes
  uint64_t stamped = 0;               // events whose record carried the hook's timestamp
  void merge(const ProgramAggregate& other);
};

struct Aggregate {
  std::vector<ProgramAggregate> programs;  // by slot
  std::map<uint32_t, uint64_t> by_pid;     // filled by merge (not on the hot path)
  uint64_t pids_overflow = 0;              // events of pids beyond a worker's pid table
  uint64_t handled = 0;
  // Every program's stages merged.
  [[nodiscard]] StageHistograms merged_stages() const;
};

// One thread's accumulation: what a worker (or the consumer, inline) does with each event.
class Accumulator {
 public:
  explicit Accumulator(const RecordFormat& format);
  // Accounts one event whose userspace stage times are known; `t_deq` is when it left its queue
  // (t_enqueued when there was none).
  void account(const Event& e, uint64_t t_deq) noexcept {
    ProgramAggregate& a = agg_.programs[e.slot];
    StageHistograms& hist = a.hist;
    if (e.kind < a.by_kind.size()) ++a.by_kind[e.kind];
    a.bytes += e.size;
    if (e.size > a.max_bytes) a.max_bytes = e.size;
    if (e.tgid) pids_.add(e.tgid);
    if (e.t_hook) {
      ++a.stamped;
      if (e.flags & RS_F_USER) hist[Stage::syscall_to_hook].record(e.t_hook - e.t_first);
      hist[Stage::hook_to_submit].record(e.t_submit > e.t_hook ? e.t_submit - e.t_hook : 0);
    }
    if (e.t_submit) hist[Stage::submit_to_read].record(e.t_read > e.t_submit ? e.t_read - e.t_submit : 0);
    hist[Stage::read_to_parse].record(e.t_parsed - e.t_read);
    hist[Stage::queue_wait].record(t_deq > e.t_enqueued ? t_deq - e.t_enqueued : 0);
  }
  // Closes a run of `n` events handled between t_deq and t_done: handle is the run's time
  // divided evenly, end_to_end each event's first timestamp to t_done.
  void finish_run(const Event* const* events, uint32_t n, uint64_t t_deq, uint64_t t_done) noexcept;
  [[nodiscard]] uint64_t handled() const noexcept { return agg_.handled; }
  // Merges this thread's numbers into `out` (after the thread stopped).
  void merge_into(Aggregate& out) const;

 private:
  Aggregate agg_;
  PidCounts pids_;
};

}  // namespace ringside
