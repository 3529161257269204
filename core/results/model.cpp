#include "model.h"

#include <algorithm>

#include "summary.h"

namespace ringside {

uint64_t DropCounts::total() const {
  return kernel_reserve + perf_lost + sampled_out + queue_full + pool_exhausted + malformed;
}

DropCounts& DropCounts::operator+=(const DropCounts& o) {
  kernel_reserve += o.kernel_reserve;
  perf_lost += o.perf_lost;
  sampled_out += o.sampled_out;
  queue_full += o.queue_full;
  pool_exhausted += o.pool_exhausted;
  malformed += o.malformed;
  return *this;
}

uint64_t EventCounts::unobserved_after_detach() const {
  return detached && expected > matched ? expected - matched : 0;
}

bool EventCounts::conserved() const {
  const bool balanced = received + dropped.total() == matched;
  const bool complete = detached ? matched <= expected : matched == expected;
  if (!checked) return parts_conserved && targets_full == 0;
  return parts_conserved && balanced && complete && targets_full == 0;
}

EventCounts& EventCounts::operator+=(const EventCounts& o) {
  parts_conserved = parts_conserved && o.conserved();
  checked = checked && o.checked;
  expected += o.expected;
  matched += o.matched;
  received += o.received;
  stamped += o.stamped;
  dropped += o.dropped;
  for (const auto& [k, n] : o.by_kind) by_kind[k] += n;
  targets_full += o.targets_full;
  pids_overflow += o.pids_overflow;
  detached = detached || o.detached;
  if (o.perf_lost_reported) perf_lost_reported = perf_lost_reported.value_or(0) + *o.perf_lost_reported;
  for (const auto& [pid, n] : o.by_pid) by_pid[pid] += n;
  return *this;
}

StageLatency StageLatency::of(const StageHistograms& h, StageMask reported) {
  StageLatency out;
  out.reported = reported;
  for (std::size_t s = 0; s < kStageCount; ++s) {
    const LogHistogram& x = h.stage[s];
    out.stage[s] = {x.count(), x.percentile(50), x.percentile(90), x.percentile(99), x.percentile(99.9), x.max()};
  }
  if (h[Stage::end_to_end].count() > 0) out.end_to_end_cdf = h[Stage::end_to_end].cdf(100);
  return out;
}

double CpuCost::pct_of_machine() const { return ringside::pct_of_machine(bpf_ns + user_ns(), wall_ns, cpus); }
double CpuCost::kernel_pct_of_machine() const { return ringside::pct_of_machine(bpf_ns, wall_ns, cpus); }

CpuCost& CpuCost::operator+=(const CpuCost& o) {
  bpf_ns += o.bpf_ns;
  bpf_runs += o.bpf_runs;
  consumer_ns += o.consumer_ns;
  workers_ns += o.workers_ns;
  wall_ns += o.wall_ns;
  events += o.events;
  return *this;
}

SweepPoint SweepPoint::of(double target_rate, const Summary& s) {
  SweepPoint p;
  p.target_rate = target_rate;
  p.achieved_rate = s.workload ? s.workload->ops_per_sec : 0;
  p.expected = s.events.expected;
  p.received = s.events.received;
  p.dropped = s.events.dropped_total();
  p.e2e_p50_ns = s.latency[Stage::end_to_end].p50;
  p.e2e_p99_ns = s.latency[Stage::end_to_end].p99;
  p.tracer_cpu_pct = s.cpu.pct_of_machine();
  p.bpf_cpu_pct = s.cpu.kernel_pct_of_machine();
  p.user_cpu_pct = p.tracer_cpu_pct - p.bpf_cpu_pct;
  p.slowdown_pct = s.overhead ? s.overhead->traced.slowdown_pct : 0;
  p.within_budget = s.cpu.within_budget();
  p.conserved = s.events.conserved();
  return p;
}

ProgramSummary& ProgramSummary::operator+=(const ProgramSummary& o) {
  events += o.events;
  bpf_ns += o.bpf_ns;
  bpf_runs += o.bpf_runs;
  for (const auto& [id, ns] : o.bpf_ns_by_prog) bpf_ns_by_prog[id] += ns;
  user_ns += o.user_ns;
  record_bytes += o.record_bytes;
  max_record_bytes = std::max(max_record_bytes, o.max_record_bytes);
  return *this;
}

double Summary::mean_record_bytes() const {
  uint64_t bytes = 0, n = 0;
  for (const ProgramSummary& p : programs) bytes += p.record_bytes, n += p.events.received;
  return n ? static_cast<double>(bytes) / static_cast<double>(n) : 0.0;
}

double GovernedRun::mean_overhead_pct() const {
  if (governor.windows.empty()) return 0;
  double sum = 0;
  for (const auto& w : governor.windows) sum += w.overhead_pct;
  return sum / static_cast<double>(governor.windows.size());
}

uint64_t MeasurePhase::bpf_ns() const {
  uint64_t ns = 0;
  for (const auto& p : programs) ns += p.run_time_ns;
  return ns;
}

uint64_t MeasurePhase::bpf_runs() const {
  uint64_t n = 0;
  for (const auto& p : programs) n += p.run_cnt;
  return n;
}

double MeasurePhase::agent_cpu_pct(int cpus) const { return ringside::pct_of_machine(agent_cpu_ns, wall_ns, cpus); }
double MeasurePhase::bpf_cpu_pct(int cpus) const { return ringside::pct_of_machine(bpf_ns(), wall_ns, cpus); }

double MeasurePhase::ops_per_cpu_sec() const {
  return workload_cpu_ns ? static_cast<double>(workload.ops) * 1e9 / static_cast<double>(workload_cpu_ns) : 0.0;
}

}  // namespace ringside
