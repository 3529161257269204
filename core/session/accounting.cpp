#include "accounting.h"

#include "registry.h"

namespace ringside {

DropCounts drop_counts(const SessionReading& r) {
  DropCounts d;
  d.kernel_reserve = r.kernel.kernel_reserve;
  d.perf_lost = r.kernel.perf_output;
  d.sampled_out = r.kernel.sampled_out;
  d.queue_full = r.user.queue_full;
  d.pool_exhausted = r.user.pool_exhausted;
  d.malformed = r.user.malformed;
  return d;
}

EventCounts event_counts(const SessionReport& rep, const SessionConfig& config, std::optional<uint64_t> expected,
                         bool detached) {
  EventCounts e;
  e.matched = rep.total.kernel.matched;
  e.expected = expected.value_or(e.matched);
  e.expected_from_workload = expected.has_value();
  e.received = rep.aggregate.handled;
  e.dropped = drop_counts(rep.total);
  e.detached = detached;
  e.targets_full = rep.total.kernel.targets_full;
  e.pids_overflow = rep.aggregate.pids_overflow;
  e.by_pid = rep.aggregate.by_pid;
  if (config.load.transport == Transport::perfbuf) e.perf_lost_reported = rep.perf_lost_reported;
  for (std::size_t slot = 0; slot < rep.aggregate.programs.size() && slot < config.programs.size(); ++slot) {
    const ProgramSpec& spec = program_spec(config.programs[slot]);
    const auto& by_kind = rep.aggregate.programs[slot].by_kind;
    for (std::size_t k = 0; k < by_kind.size(); ++k)
      if (by_kind[k]) e.by_kind[spec.kind_name(static_cast<uint16_t>(k))] += by_kind[k];
  }
  return e;
}

CpuCost cpu_cost(const SessionReading& r, uint64_t events, int cpus, double budget_pct) {
  CpuCost c;
  c.bpf_ns = r.bpf_ns;
  c.bpf_runs = r.bpf_runs;
  c.consumer_ns = r.consumer_ns;
  c.workers_ns = r.workers_ns;
  c.wall_ns = r.wall_ns;
  c.events = events;
  c.cpus = cpus;
  c.budget_pct = budget_pct;
  return c;
}

}  // namespace ringside
