#include "phases.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "accounting.h"
#include "bpf_object.h"
#include "clock.h"
#include "elf_symbols.h"
#include "governor_loop.h"
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
  StageHistograms stages;                  // traced: every program's stages merged
  std::vector<StageHistograms> by_program;  // traced: each program's
};

PhaseRun run_phase(Phase phase, int round, const RunOptions& o, const WorkloadSpec& spec, const std::vector<int>& nrs,
                   const std::shared_ptr<SinkWriter>& sink, int cpus) {
  PhaseRun pr;
  pr.record.index = round;
  pr.record.phase = phase;
  SpawnOptions spawn;
  spawn.stop = stop_requested;
  WorkloadProcess child = WorkloadProcess::spawn(spec, spawn);
  if (phase == Phase::baseline) {
    child.go();
    pr.record.workload = child.wait();
    return pr;
  }
  SessionConfig sc = session_config(o, nrs, needs_follow_children(spec), sink);
  if (phase == Phase::floor || phase == Phase::floor_nostats) {
    sc.load.floor = true;
    sc.consumer = Consumer::none;
    sc.bpf_stats = phase == Phase::floor;  // floor_nostats: the same hooks, no run-time stats
  }
  if (phase == Phase::aggregate) {
    sc.load.aggregate = true;
    sc.consumer = Consumer::none;
  }
  if (phase == Phase::bare && o.bpf_object.file.empty()) {
    sc.load.transport = Transport::ringbuf;
    sc.load.wakeup = WakeupPolicy{WakeupPolicy::Kind::batch, 2048};  // 128 KiB pending before a wake-up
    sc.consumer = Consumer::counting;
    sc.rings = RingLayout::shared;
    if (lean_bare(o, nrs)) sc.programs = {ProgramId::lean_tap};  // the minimal program, not ringside's
  }
  if (phase == Phase::bare && !o.bpf_object.file.empty()) sc.consumer = Consumer::counting;  // the object's ring
  sc.load.target_pid = child.pid();  // a user's object: --rodata NAME={pid}
  sc.load.single_target = static_cast<uint32_t>(child.pid());  // one fixed target: no map lookup (unless children follow)
  TraceSession session(sc);
  session.add_target(static_cast<uint32_t>(child.pid()));
  session.start();
  std::optional<GovernorLoop> governor;
  if (phase == Phase::traced) governor.emplace(o.governor, session, cpus);
  child.go();
  child.wait_done();  // every op issued: the traced window ends exactly here
  if (governor) {
    governor->stop();
    pr.record.governor = governor->report();
  }
  if (phase == Phase::floor_nostats) pr.record.stats_on_anyway = bpf_stats_sysctl_on();  // someone else's stats
  session.stop();
  pr.record.workload = child.wait();
  if (phase == Phase::floor || phase == Phase::floor_nostats) return pr;
  const SessionReport rep = session.report();
  const bool detached = governor && governor->detached();
  EventCounts ev = event_counts(rep, sc, &pr.record.workload, detached);
  ev.by_pid.clear();  // one pid: the workload's
  pr.record.cpu = cpu_cost(rep.total, ev.received + ev.dropped_total(), cpus, o.budget_pct);
  if (phase == Phase::traced) {
    pr.stages = rep.aggregate.merged_stages();
    pr.record.latency = StageLatency::of(pr.stages);
    pr.record.programs = program_summaries(rep, sc, &pr.record.workload, detached);
    for (const auto& p : rep.aggregate.programs) pr.by_program.push_back(p.hist);
  }
  pr.record.events = std::move(ev);
  return pr;
}

PhaseComparison compare(const std::vector<double>& base, const std::vector<double>& phase) {
  const auto slow = paired_slowdowns(base, phase);
  return {median(phase), median(slow), bootstrap_median_ci95(slow)};
}

}  // namespace

// The bare phase runs lean_tap (the minimal syscall tap) where it measures the same events as the
// traced phase: syscall_tap alone on syscalls; otherwise the programs themselves feed a counting reader.
bool lean_bare(const RunOptions& o, const std::vector<int>& nrs) {
  return o.bpf_object.file.empty() && o.programs == std::vector<ProgramId>{ProgramId::syscall_tap} && !nrs.empty() &&
         o.payload_bytes == 0;
}

// 0 workers (the default) = inline: the consumer handles each event itself. Measured on 2 CPUs
// (bench/harness_cost.sh), the hand-off to a worker costs more than it spreads at every rate.
bool handles_inline(const PipelineOptions& p) { return p.inline_handling || p.workers == 0; }

void default_workload_for_programs(RunOptions& o) {
  std::vector<WorkloadKind> kinds;
  for (ProgramId id : o.programs) {
    const WorkloadKind k = program_spec(id).default_workload;
    if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
  }
  if (kinds.size() == 1) {
    o.workload = kinds.front();
    return;
  }
  o.workload = WorkloadKind::mixed;
  o.mix.clear();
  for (WorkloadKind k : kinds) o.mix[std::string(to_string(k))] = 1;
}

void check_rings(const RunOptions& o) {
  if (o.pipeline.rings != RingLayout::per_cpu) return;
  if (!o.bpf_object.file.empty()) throw UsageError("--rings per-cpu: a --bpf-object writes its own ring");
  if (o.pipeline.transport == Transport::perfbuf) throw UsageError("--rings per-cpu: the perf buffer is per-CPU already");
}

void check_phases(const RunOptions& o, const std::vector<Phase>& phases) {
  const auto has = [&](Phase p) { return std::find(phases.begin(), phases.end(), p) != phases.end(); };
  if (has(Phase::aggregate))
    for (ProgramId id : o.programs)
      if (!program_spec(id).aggregates)
        throw UsageError(fmt::format("--phases aggregate: {} has no aggregate mode", to_string(id)));
  if (has(Phase::bare) && !o.bpf_object.file.empty() && o.pipeline.transport != Transport::ringbuf)
    throw UsageError("--phases bare: the lean consumer reads a ring buffer; map '" + o.bpf_object.ring +
                     "' is a perf event array");
}

std::optional<BpfObjectInfo> complete_program_options(RunOptions& o, const std::function<bool(std::string_view)>& given) {
  const auto was_given = [&](std::string_view key) { return given && given(key); };
  std::optional<BpfObjectInfo> object;
  if (!o.bpf_object.file.empty()) {
    if (was_given("agent.ebpf.programs")) throw UsageError("--bpf-object runs instead of --program: give one of them");
    if (o.payload_bytes > 0) throw UsageError("--payload-bytes: a --bpf-object's records are its own");
    o.bpf_object.ring_bytes = was_given("agent.ebpf.ring_bytes") ? o.pipeline.ring_bytes : 0;
    object = inspect_bpf_object(o.bpf_object, o.bpf_object.ring_bytes);
    if (was_given("agent.ebpf.transport") && o.pipeline.transport != object->transport)
      throw UsageError(fmt::format("--transport {}: map '{}' is a {}", to_string(o.pipeline.transport),
                                   o.bpf_object.ring, object->transport == Transport::ringbuf ? "ring buffer" : "perf event array"));
    o.pipeline.transport = object->transport;
    o.programs = {ProgramId::bpf_object};
    // the object's submit flags decide its wake-ups; flags 0 (the kernel's adaptive wake-up)
    // unless --wakeup says what the object does
    if (!was_given("agent.ebpf.wakeup")) o.pipeline.wakeup = WakeupPolicy{WakeupPolicy::Kind::adaptive, 0};
  } else {
    if (!o.bpf_object.ring.empty() || !o.bpf_object.rodata.empty() || o.bpf_object.timestamp_offset >= 0 ||
        !o.bpf_object.drop_counters.empty() || o.bpf_object.expect_per_op >= 0)
      throw UsageError("--ring, --rodata, --timestamp-offset, --drop-counter and --expect-per-op need --bpf-object FILE");
  }
  const auto has = [&](ProgramId id) { return std::find(o.programs.begin(), o.programs.end(), id) != o.programs.end(); };
  check_rings(o);
  if (has(ProgramId::function_timing) && o.function.empty())
    o.function = default_workload_exe() + ":" + kWorkloadCallSymbol;
  if (o.payload_bytes > 0 && !has(ProgramId::syscall_tap) && !has(ProgramId::file_ops))
    throw UsageError("--payload-bytes: none of the programs carries a payload (syscall_tap and file_ops do)");
  if (!o.function.empty()) {
    std::string why;
    const auto target = parse_function_target(o.function, &why);
    if (!target) throw UsageError("--function: " + why);
    check_function_target(*target);
  }
  return object;
}

SessionConfig session_config(const RunOptions& o, std::vector<int> syscalls, bool follow_children,
                             std::shared_ptr<SinkWriter> sink) {
  SessionConfig c;
  c.programs = o.programs;
  c.rings = o.pipeline.rings;
  c.load.transport = o.pipeline.transport;
  c.load.hook = o.pipeline.hook;
  c.load.wakeup = o.pipeline.wakeup;
  c.load.ring_bytes = o.pipeline.ring_bytes;
  c.load.syscalls = std::move(syscalls);
  c.load.follow_children = follow_children;
  c.load.payload_bytes = o.payload_bytes;
  c.load.max_targets = o.pipeline.max_targets;
  c.load.stamp_every = o.pipeline.stamp_every;
  c.load.bpf_object = o.bpf_object;
  if (auto target = parse_function_target(o.function, nullptr)) {
    c.load.function_path = target->path;
    c.load.function_symbol = target->symbol;
  }
  c.pipeline.inline_handling = handles_inline(o.pipeline);
  c.pipeline.workers = o.pipeline.workers;  // the pipeline makes 0 one accumulator
  c.pipeline.queue_policy = o.pipeline.queue_policy;
  c.pipeline.pool_size = o.pipeline.pool_size;
  c.pipeline.queue_size = o.pipeline.queue_size;
  c.pipeline.pin = o.pipeline.pin;
  c.pipeline.sink = std::move(sink);
  c.pipeline.inject_handler_delay_ns = o.pipeline.inject_handler_delay_ns;
  // batched wake-ups leave a tail below the threshold: the poll timeout (the latency bound) picks
  // it up; with a wake-up per record (or adaptive) the timeout only paces the stop check
  c.pipeline.poll_timeout_ms =
      c.load.wakeup.kind == WakeupPolicy::Kind::batch ? static_cast<int>(o.pipeline.max_latency_ms) : 100;
  return c;
}

WorkloadSpec workload_spec(const RunOptions& o, double duration_s) {
  WorkloadSpec s;
  s.kind = o.workload;
  s.rate = o.rate.per_sec;
  s.threads = static_cast<int>(o.threads);
  s.duration_s = duration_s;
  if (o.workload == WorkloadKind::mixed) s.mix = o.mix;
  // the payload a program carries is what the workload hands it: longer writes, longer names
  s.write_bytes = std::max<uint32_t>(64, o.payload_bytes);
  s.path_bytes = o.payload_bytes;
  return s;
}

RunScenario scenario_of(const RunOptions& o) {
  RunScenario s;
  s.workload = o.workload;
  s.rate = o.rate.per_sec;
  s.threads = o.threads;
  s.duration_s = o.duration_s;
  s.repeat = o.repeat;
  s.workers = handles_inline(o.pipeline) ? 0 : o.pipeline.workers;
  s.max_latency_ms = o.pipeline.max_latency_ms;
  s.stamp_every = o.pipeline.stamp_every;
  s.queue_policy = o.pipeline.queue_policy;
  s.ring_bytes = o.pipeline.ring_bytes;
  s.budget_pct = o.budget_pct;
  s.governor = o.governor.enabled;
  s.programs = o.programs;
  s.payload_bytes = o.payload_bytes;
  return s;
}

ScenarioOutcome run_scenario(const RunOptions& o, const ProbeReport& probe, const ProgressFn& progress,
                             const std::vector<Phase>& phases, const std::shared_ptr<SinkWriter>& sink,
                             std::optional<double> warmup_s) {
  const WorkloadSpec spec = workload_spec(o, o.duration_s);
  const std::vector<std::string> syscall_names = traced_syscalls(spec);
  const std::vector<int> nrs = syscall_names.empty() ? std::vector<int>{} : parse_syscall_list(syscall_names);
  const int rounds = static_cast<int>(o.repeat);
  const uint64_t t0 = now_ns();
  std::vector<PhaseRun> runs;

  ScenarioOutcome out;
  const double warmup = warmup_s.value_or(std::min(1.0, o.duration_s));
  for (int round = warmup > 0 ? 0 : 1; round <= rounds && !out.interrupted; ++round) {  // round 0: warm-up, discarded
    const WorkloadSpec s = round == 0 ? workload_spec(o, warmup) : spec;
    // rotate the phase order so drift over time does not favour one phase
    std::vector<Phase> order = phases;
    std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(round % order.size()), order.end());
    for (Phase ph : order) {
      if (stop_requested()) {
        out.interrupted = true;
        break;
      }
      progress(fmt::format("round {}/{}{} {:<9} elapsed {:.0f} s", round, rounds, round == 0 ? " (warm-up)" : "",
                           to_string(ph), static_cast<double>(now_ns() - t0) / 1e9));
      try {
        PhaseRun pr = run_phase(ph, round, o, s, nrs, sink, probe.cpus);
        if (round > 0) runs.push_back(std::move(pr));
      } catch (const WorkloadInterrupted&) {
        out.interrupted = true;
        break;
      } catch (const UsageError&) {
        throw;
      } catch (const std::runtime_error& e) {
        // a workload killed mid-round, a ring that cannot be mapped, ...: keep what is complete
        if (out.complete_rounds == 0) throw;
        out.interrupted = true;
        out.failure = fmt::format("round {} {}: {}", round, to_string(ph), e.what());
        break;
      }
    }
    if (out.interrupted) {  // the round in progress is incomplete: it pairs with nothing
      std::erase_if(runs, [&](const PhaseRun& r) { return r.record.index == round; });
    } else if (round > 0) {
      out.complete_rounds = round;
    }
  }

  // Per-round throughput, paired by round for slowdown.
  std::map<Phase, std::vector<double>> ops;
  for (int r = 1; r <= out.complete_rounds; ++r)
    for (const auto& pr : runs)
      if (pr.record.index == r) ops[pr.record.phase].push_back(pr.record.workload.ops_per_sec);
  const auto& base = ops[Phase::baseline];

  Summary& s = out.summary;
  StageHistograms hist;
  std::vector<StageHistograms> program_hist;
  WorkloadSummary work;
  work.target_rate = spec.rate;
  std::vector<GovernorReport> governors;
  std::optional<CpuCost> aggregate_cpu;
  for (auto& pr : runs) {
    PhaseRecord& rec = pr.record;
    const double b = base[static_cast<std::size_t>(rec.index - 1)];
    if (rec.phase != Phase::baseline && b > 0) rec.slowdown_pct = (1.0 - rec.workload.ops_per_sec / b) * 100.0;
    work.worst_lag_ns = std::max(work.worst_lag_ns, rec.workload.worst_lag_ns);
    if (rec.phase == Phase::aggregate && rec.cpu) {
      if (aggregate_cpu) *aggregate_cpu += *rec.cpu;
      else aggregate_cpu = rec.cpu;
    }
    if (rec.phase == Phase::traced) {
      if (rec.governor) governors.push_back(*rec.governor);
      hist.merge(pr.stages);
      s.events += *rec.events;
      s.cpu += *rec.cpu;
      work.ops += rec.workload.ops;
      if (s.programs.empty()) {
        s.programs = rec.programs;
        for (auto& p : s.programs) p.events.parts_conserved = p.events.conserved();
        program_hist = pr.by_program;
      } else {
        for (std::size_t i = 0; i < s.programs.size() && i < rec.programs.size(); ++i) s.programs[i] += rec.programs[i];
        for (std::size_t i = 0; i < program_hist.size() && i < pr.by_program.size(); ++i) program_hist[i].merge(pr.by_program[i]);
      }
    }
    out.runs.push_back(rec);
  }
  for (const auto& pr : runs)
    if (pr.record.phase == Phase::traced && pr.record.events) s.events.kinds_key = pr.record.events->kinds_key;
  for (std::size_t i = 0; i < s.programs.size() && i < program_hist.size(); ++i)
    s.programs[i].latency = StageLatency::of(program_hist[i], s.programs[i].latency.reported);
  work.ops_per_sec = median(ops[Phase::traced]);
  s.workload = work;
  s.latency = StageLatency::of(hist);
  s.cpu.cpus = probe.cpus;
  s.cpu.budget_pct = o.budget_pct;
  Overhead ov;
  ov.baseline_ops_per_sec = median(base);
  ov.traced = compare(base, ops[Phase::traced]);
  if (ops.count(Phase::floor)) ov.floor = compare(base, ops[Phase::floor]);
  if (ops.count(Phase::floor_nostats)) {
    const auto& without = ops[Phase::floor_nostats];
    ov.floor_nostats = compare(base, without);
    if (ops.count(Phase::floor)) {
      const auto& with = ops[Phase::floor];
      const std::vector<double> pct = paired_slowdowns(without, with);
      std::vector<double> ns;  // time per op the stats add
      for (std::size_t i = 0; i < with.size() && i < without.size(); ++i)
        if (with[i] > 0 && without[i] > 0) ns.push_back((1.0 / with[i] - 1.0 / without[i]) * 1e9);
      ov.stats_cost_pct = median(pct);
      ov.stats_cost_ci95 = bootstrap_median_ci95(pct);
      ov.stats_cost_ns_per_op = median(ns);
      ov.traced_slowdown_without_stats_pct = ov.traced.slowdown_pct - ov.stats_cost_pct;
      for (const auto& pr : runs) ov.stats_sysctl_on = ov.stats_sysctl_on || pr.record.stats_on_anyway;
    }
  }
  if (ops.count(Phase::aggregate)) {
    ov.aggregate = compare(base, ops[Phase::aggregate]);
    ov.aggregate_cpu = aggregate_cpu;
    if (ov.aggregate_cpu) {
      ov.aggregate_cpu->cpus = probe.cpus;
      ov.aggregate_cpu->budget_pct = o.budget_pct;
    }
  }
  if (ops.count(Phase::bare)) {
    const auto& bare = ops[Phase::bare];
    const auto& traced = ops[Phase::traced];
    ov.bare = compare(base, bare);
    ov.bare_program = lean_bare(o, nrs) ? "lean_tap" : "programs";
    std::vector<double> kept;  // traced throughput as a fraction of the bare consumer's, per round
    for (std::size_t i = 0; i < bare.size() && i < traced.size(); ++i)
      if (bare[i] > 0) kept.push_back(traced[i] / bare[i] * 100.0);
    ov.traced_vs_bare_pct = median(kept);
    ov.traced_vs_bare_ci95 = bootstrap_median_ci95(kept);
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
