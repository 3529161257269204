#include "accounting.h"

#include "registry.h"

namespace ringside {
namespace {

// Received per kind of one program, under its kinds' names (prefixed "program/" when several
// programs' counts share one map).
void add_kinds(const ProgramSpec& spec, const SessionReport& rep, std::size_t slot, const std::string& prefix,
               std::map<std::string, uint64_t>& out) {
  std::vector<uint64_t> counts;
  if (slot < rep.aggregate.programs.size()) counts = rep.aggregate.programs[slot].by_kind;
  if (slot < rep.aggregates.size() && !rep.aggregates[slot].empty()) {
    counts.assign(rep.aggregates[slot].size(), 0);
    for (std::size_t k = 0; k < counts.size(); ++k) counts[k] = rep.aggregates[slot][k].count;
  }
  for (std::size_t k = 0; k < counts.size(); ++k)
    if (counts[k]) out[prefix + spec.kind_name(static_cast<uint16_t>(k))] += counts[k];
}

}  // namespace

DropCounts drop_counts(const ProgramCounters& kernel, const PipelineDrops& user) {
  DropCounts d;
  d.kernel_reserve = kernel.kernel_reserve;
  d.perf_lost = kernel.perf_output;
  d.sampled_out = kernel.sampled_out;
  d.queue_full = user.queue_full;
  d.pool_exhausted = user.pool_exhausted;
  d.malformed = user.malformed;
  return d;
}

DropCounts drop_counts(const SessionReading& r) { return drop_counts(r.kernel, r.user); }

uint64_t received_events(const SessionReport& rep, std::optional<std::size_t> slot) {
  uint64_t n = 0;
  bool aggregated = false;
  for (std::size_t s = 0; s < rep.aggregates.size(); ++s) {
    if (rep.aggregates[s].empty() || (slot && *slot != s)) continue;
    aggregated = true;
    for (const KindCount& k : rep.aggregates[s]) n += k.count;
  }
  if (aggregated) return n;
  if (!slot) return rep.aggregate.handled;
  return *slot < rep.aggregate.programs.size() ? rep.aggregate.programs[*slot].handled : 0;
}

EventCounts event_counts(const SessionReport& rep, const SessionConfig& config, const WorkloadResult* truth,
                         bool detached) {
  EventCounts e;
  e.received = received_events(rep);
  e.dropped = drop_counts(rep.total);
  e.matched = rep.total.kernel.matched;
  bool own_count = true;  // every program counts what it matched
  for (ProgramId id : config.programs) own_count = own_count && program_spec(id).counts_matched;
  if (!own_count) e.matched = e.received + e.dropped.total();  // a user's object: its own account
  e.expected = e.matched;
  e.checked = own_count;
  if (truth) {
    e.expected = 0;
    e.checked = true;
    for (ProgramId id : config.programs) {
      const auto n = expected_events(program_spec(id), *truth, config.load);
      e.checked = e.checked && n.has_value();
      e.expected += n.value_or(0);
    }
    if (!e.checked) e.expected = e.matched;
  }
  e.expected_from_workload = truth != nullptr && e.checked;
  e.detached = detached;
  e.targets_full = rep.total.kernel.targets_full;
  e.pids_overflow = rep.aggregate.pids_overflow;
  e.by_pid = rep.aggregate.by_pid;
  for (const ProgramAggregate& a : rep.aggregate.programs) e.stamped += a.stamped;
  if (config.load.transport == Transport::perfbuf) e.perf_lost_reported = rep.perf_lost_reported;
  for (std::size_t slot = 0; slot < config.programs.size(); ++slot) {
    const ProgramSpec& spec = program_spec(config.programs[slot]);
    add_kinds(spec, rep, slot, config.programs.size() > 1 ? std::string(name_of(spec)) + "/" : "", e.by_kind);
  }
  e.kinds_key = config.programs.size() == 1 ? program_spec(config.programs.front()).kinds_key : "by_kind";
  return e;
}

std::vector<ProgramSummary> program_summaries(const SessionReport& rep, const SessionConfig& config,
                                              const WorkloadResult* truth, bool detached) {
  std::vector<ProgramSummary> out;
  const uint64_t user_ns = rep.total.consumer_ns + rep.total.workers_ns;
  uint64_t all_seen = 0;
  for (std::size_t slot = 0; slot < config.programs.size(); ++slot)
    all_seen += received_events(rep, slot) + drop_counts(rep.total.per_program[slot], rep.total.user_per_program[slot]).lost();
  for (std::size_t slot = 0; slot < config.programs.size(); ++slot) {
    const ProgramSpec& spec = program_spec(config.programs[slot]);
    ProgramSummary p;
    p.name = std::string(name_of(spec));
    EventCounts& e = p.events;
    const ProgramCounters& k = rep.total.per_program[slot];
    e.received = received_events(rep, slot);
    e.dropped = drop_counts(k, rep.total.user_per_program[slot]);
    e.matched = spec.counts_matched ? k.matched : e.received + e.dropped.total();
    const auto promised = truth ? expected_events(spec, *truth, config.load) : std::nullopt;
    e.checked = spec.counts_matched || promised.has_value();
    e.expected = promised.value_or(e.matched);
    e.expected_from_workload = promised.has_value();
    e.detached = detached;
    e.targets_full = k.targets_full;
    add_kinds(spec, rep, slot, "", e.by_kind);
    e.kinds_key = spec.kinds_key;
    if (slot < rep.aggregate.programs.size()) {
      const ProgramAggregate& a = rep.aggregate.programs[slot];
      p.latency = StageLatency::of(a.hist, spec.format(config.load).stages);
      e.stamped = a.stamped;
      p.record_bytes = a.bytes;
      p.max_record_bytes = a.max_bytes;
    }
    if (slot < rep.bpf_by_program.size()) {
      p.bpf_ns = rep.bpf_by_program[slot].ns;
      p.bpf_runs = rep.bpf_by_program[slot].runs;
      p.bpf_ns_by_prog = rep.bpf_by_program[slot].ns_by_prog;
    }
    const uint64_t seen = e.received + e.dropped.lost();
    p.user_ns = all_seen ? static_cast<uint64_t>(static_cast<double>(user_ns) * static_cast<double>(seen) /
                                                 static_cast<double>(all_seen))
                         : 0;
    out.push_back(std::move(p));
  }
  return out;
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
