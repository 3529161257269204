#include "phases.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "accounting.h"
#include "clock.h"
#include "governor_loop.h"
#include "privileges.h"
#include "registry.h"
#include "stop_signal.h"
#include "summary.h"
#include "syscall_names.h"
#include "usage_error.h"
#include "workload_process.h"

namespace ringside {
namespace {

struct PhaseRun {
  PhaseRecord record;
  std::optional<SessionReport> session;
  StageHistograms stages;  // traced: every program's stages merged
};

// The events the workload's ground truth promises to the session's programs.
uint64_t expected_events(const WorkloadResult& truth, const SessionConfig& sc) {
  uint64_t n = 0;
  for (ProgramId id : sc.programs) n += program_spec(id).expected(truth, sc.load);
  return n;
}

PhaseRun run_phase(Phase phase, int round, const RunOptions& o, const WorkloadSpec& spec, const std::vector<int>& nrs,
                   const std::shared_ptr<SinkWriter>& sink, int cpus) {
  PhaseRun pr;
  pr.record.index = round;
  pr.record.phase = phase;
  WorkloadProcess child = WorkloadProcess::spawn(spec);
  if (phase == Phase::baseline) {
    child.go();
    pr.record.workload = child.wait();
    return pr;
  }
  SessionConfig sc = session_config(o, nrs, needs_follow_children(spec), sink);
  if (phase == Phase::floor) {
    sc.load.floor = true;
    sc.consumer = Consumer::none;
  }
  if (phase == Phase::bare) {
    sc.load.transport = Transport::ringbuf;
    sc.load.wakeup = WakeupPolicy{WakeupPolicy::Kind::batch, 2048};  // 128 KiB pending before a wake-up
    sc.consumer = Consumer::counting;
  }
  TraceSession session(sc);
  session.add_target(static_cast<uint32_t>(child.pid()));
  session.start();
  if (capabilities_dropped().empty()) drop_capabilities_after_attach(KeepCaps::bpf, session.any_map_fd());
  std::optional<GovernorLoop> governor;
  if (phase == Phase::traced) governor.emplace(o.governor, session, cpus);
  child.go();
  pr.record.workload = child.wait();
  if (governor) {
    governor->stop();
    pr.record.governor = governor->report();
  }
  session.stop();
  if (phase == Phase::floor) return pr;
  const SessionReport rep = session.report();
  const uint64_t expected = expected_events(pr.record.workload, sc);
  EventCounts ev = event_counts(rep, sc, expected, governor && governor->detached());
  ev.by_pid.clear();  // one pid: the workload's
  pr.record.cpu = cpu_cost(rep.total, ev.received + ev.dropped_total(), cpus, o.budget_pct);
  if (phase == Phase::traced) {
    pr.stages = rep.aggregate.merged_stages();
    pr.record.latency = StageLatency::of(pr.stages);
  }
  pr.record.events = std::move(ev);
  pr.session = rep;
  return pr;
}

std::array<double, 2> ci_of(const std::vector<double>& v) { return bootstrap_median_ci95(v); }

PhaseComparison compare(const std::vector<double>& base, const std::vector<double>& phase) {
  const auto slow = paired_slowdowns(base, phase);
  return {median(phase), median(slow), ci_of(slow)};
}

}  // namespace

uint32_t default_workers(uint32_t workers) {
  if (workers > 0) return workers;
  return static_cast<uint32_t>(std::clamp(online_cpus() - 1, 1, 8));
}

SessionConfig session_config(const RunOptions& o, std::vector<int> syscalls, bool follow_children,
                             std::shared_ptr<SinkWriter> sink) {
  SessionConfig c;
  c.programs = o.programs;
  c.load.transport = o.pipeline.transport;
  c.load.hook = o.pipeline.hook;
  c.load.wakeup = o.pipeline.wakeup;
  c.load.ring_bytes = o.pipeline.ring_bytes;
  c.load.syscalls = std::move(syscalls);
  c.load.follow_children = follow_children;
  c.pipeline.workers = default_workers(o.pipeline.workers);
  c.pipeline.queue_policy = o.pipeline.queue_policy;
  c.pipeline.pool_size = o.pipeline.pool_size;
  c.pipeline.queue_size = o.pipeline.queue_size;
  c.pipeline.pin = o.pipeline.pin;
  c.pipeline.sink = std::move(sink);
  c.pipeline.inject_handler_delay_ns = o.pipeline.inject_handler_delay_ns;
  // batched wake-ups leave a tail below the threshold: a short poll timeout picks it up
  c.pipeline.poll_timeout_ms = c.load.wakeup.kind == WakeupPolicy::Kind::batch ? 10 : 100;
  return c;
}

WorkloadSpec workload_spec(const RunOptions& o, double duration_s) {
  WorkloadSpec s;
  s.kind = o.workload;
  s.rate = o.rate.per_sec;
  s.threads = static_cast<int>(o.threads);
  s.duration_s = duration_s;
  return s;
}

RunScenario scenario_of(const RunOptions& o) {
  RunScenario s;
  s.workload = o.workload;
  s.rate = o.rate.per_sec;
  s.threads = o.threads;
  s.duration_s = o.duration_s;
  s.repeat = o.repeat;
  s.workers = default_workers(o.pipeline.workers);
  s.queue_policy = o.pipeline.queue_policy;
  s.ring_bytes = o.pipeline.ring_bytes;
  s.budget_pct = o.budget_pct;
  s.governor = o.governor.enabled;
  return s;
}

ScenarioOutcome run_scenario(const RunOptions& o, const ProbeReport& probe, const ProgressFn& progress,
                             const std::vector<Phase>& phases, const std::shared_ptr<SinkWriter>& sink) {
  const WorkloadSpec spec = workload_spec(o, o.duration_s);
  const std::vector<int> nrs = parse_syscall_list(traced_syscalls(spec));
  const int rounds = static_cast<int>(o.repeat);
  const uint64_t t0 = now_ns();
  std::vector<PhaseRun> runs;

  for (int round = 0; round <= rounds; ++round) {  // round 0: warm-up, discarded
    const WorkloadSpec s = round == 0 ? workload_spec(o, std::min(1.0, o.duration_s)) : spec;
    // rotate the phase order so drift over time does not favour one phase
    std::vector<Phase> order = phases;
    std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(round % order.size()), order.end());
    for (Phase ph : order) {
      if (stop_requested()) throw UsageError("interrupted");
      progress(fmt::format("round {}/{}{} {:<8} elapsed {:.0f} s", round, rounds, round == 0 ? " (warm-up)" : "",
                           to_string(ph), static_cast<double>(now_ns() - t0) / 1e9));
      PhaseRun pr = run_phase(ph, round, o, s, nrs, sink, probe.cpus);
      if (round > 0) runs.push_back(std::move(pr));
    }
  }

  // Per-round throughput, paired by round for slowdown.
  std::map<Phase, std::vector<double>> ops;
  for (int r = 1; r <= rounds; ++r)
    for (const auto& pr : runs)
      if (pr.record.index == r) ops[pr.record.phase].push_back(pr.record.workload.ops_per_sec);
  const auto& base = ops[Phase::baseline];

  ScenarioOutcome out;
  Summary& s = out.summary;
  StageHistograms hist;
  WorkloadSummary work;
  work.target_rate = spec.rate;
  std::vector<GovernorReport> governors;
  for (auto& pr : runs) {
    PhaseRecord& rec = pr.record;
    const double b = base[static_cast<std::size_t>(rec.index - 1)];
    if (rec.phase != Phase::baseline && b > 0) rec.slowdown_pct = (1.0 - rec.workload.ops_per_sec / b) * 100.0;
    work.worst_lag_ns = std::max(work.worst_lag_ns, rec.workload.worst_lag_ns);
    if (rec.phase == Phase::traced) {
      if (rec.governor) governors.push_back(*rec.governor);
      hist.merge(pr.stages);
      s.events += *rec.events;
      s.cpu += *rec.cpu;
      work.ops += rec.workload.ops;
    }
    out.runs.push_back(rec);
  }
  work.ops_per_sec = median(ops[Phase::traced]);
  s.workload = work;
  s.latency = StageLatency::of(hist);
  s.cpu.cpus = probe.cpus;
  s.cpu.budget_pct = o.budget_pct;
  Overhead ov;
  ov.baseline_ops_per_sec = median(base);
  ov.traced = compare(base, ops[Phase::traced]);
  if (ops.count(Phase::floor)) ov.floor = compare(base, ops[Phase::floor]);
  if (ops.count(Phase::bare)) {
    const auto& bare = ops[Phase::bare];
    const auto& traced = ops[Phase::traced];
    ov.bare = compare(base, bare);
    std::vector<double> kept;  // traced throughput as a fraction of the bare consumer's, per round
    for (std::size_t i = 0; i < bare.size() && i < traced.size(); ++i)
      if (bare[i] > 0) kept.push_back(traced[i] / bare[i] * 100.0);
    ov.traced_vs_bare_pct = median(kept);
    ov.traced_vs_bare_ci95 = ci_of(kept);
  }
  s.overhead = ov;
  GovernorReport g;
  if (o.governor.enabled && !governors.empty()) {
    g = governors.back();
    g.triggered_in_runs = std::count_if(governors.begin(), governors.end(), [](const auto& x) { return x.triggered; });
  }
  s.governor = g;
  return out;
}

}  // namespace ringside
