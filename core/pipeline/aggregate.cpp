#include "aggregate.h"

namespace ringside {

void PidCounts::add(uint32_t tgid) noexcept {
  // Linear probing bounded by kMaxProbe: a pid not placed within it (a crowded or full table)
  // is counted as overflow at a bounded cost, never by scanning the table.
  uint32_t i = (tgid * 2654435761u) & (kSlots - 1);
  for (uint32_t probe = 0; probe < kMaxProbe; ++probe, i = (i + 1) & (kSlots - 1)) {
    if (counts_[i] == 0) {
      keys_[i] = tgid;
      counts_[i] = 1;
      return;
    }
    if (keys_[i] == tgid) {
      ++counts_[i];
      return;
    }
  }
  ++overflow_;
}

void PidCounts::merge_into(std::map<uint32_t, uint64_t>& out, uint64_t& overflow) const {
  for (uint32_t i = 0; i < kSlots; ++i)
    if (counts_[i]) out[keys_[i]] += counts_[i];
  overflow += overflow_;
}

void ProgramAggregate::merge(const ProgramAggregate& other) {
  hist.merge(other.hist);
  if (by_kind.size() < other.by_kind.size()) by_kind.resize(other.by_kind.size());
  for (std::size_t k = 0; k < other.by_kind.size(); ++k) by_kind[k] += other.by_kind[k];
  handled += other.handled;
  bytes += other.bytes;
  max_bytes = std::max(max_bytes, other.max_bytes);
  stamped += other.stamped;
}

StageHistograms Aggregate::merged_stages() const {
  StageHistograms all;
  for (const auto& p : programs) all.merge(p.hist);
  return all;
}

Accumulator::Accumulator(const RecordFormat& format) {
  for (const ProgramFormat& p : format.programs()) {
    agg_.programs.emplace_back();
    agg_.programs.back().by_kind.assign(p.kinds, 0);
  }
}

void Accumulator::finish_run(const Event* const* events, uint32_t n, uint64_t t_deq, uint64_t t_done) noexcept {
  if (n == 0) return;
  const uint64_t each = (t_done - t_deq) / n;
  // Runs are almost always of one program: record `handle` once per stretch of one slot.
  uint32_t from = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const Event& e = *events[i];
    ProgramAggregate& a = agg_.programs[e.slot];
    if (e.t_first) a.hist[Stage::end_to_end].record(t_done > e.t_first ? t_done - e.t_first : 0);
    if (i + 1 == n || events[i + 1]->slot != e.slot) {
      a.hist[Stage::handle].record_n(each, i + 1 - from);
      a.handled += i + 1 - from;
      from = i + 1;
    }
  }
  agg_.handled += n;
}

void Accumulator::merge_into(Aggregate& out) const {
  if (out.programs.size() < agg_.programs.size()) out.programs.resize(agg_.programs.size());
  for (std::size_t s = 0; s < agg_.programs.size(); ++s) out.programs[s].merge(agg_.programs[s]);
  pids_.merge_into(out.by_pid, out.pids_overflow);
  out.handled += agg_.handled;
}

}  // namespace ringside
