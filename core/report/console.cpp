#include "console.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace ringside {
namespace {

std::string with_ci(double value, const std::array<double, 2>& ci) {
  return fmt::format("{:.1f} [{:.1f}, {:.1f}]", value, ci[0], ci[1]);
}

std::string rate_label(double rate) { return rate > 0 ? fmt::format("{:.0f}/s", rate) : "max"; }

void print_events_line(const EventCounts& ev) {
  const DropCounts& d = ev.dropped;
  fmt::print("events: expected {}, received {}, dropped {} (kernel_reserve {}, perf_lost {}, sampled_out {}, "
             "queue_full {}, pool_exhausted {}, malformed {}) -> {}\n",
             ev.checked ? std::to_string(ev.expected) : "-", ev.received, ev.dropped_total(), d.kernel_reserve, d.perf_lost, d.sampled_out, d.queue_full,
             d.pool_exhausted, d.malformed,
             !ev.checked ? "conservation unchecked (nothing says how many to expect: --expect-per-op K)"
             : ev.conserved() ? "conserved" : "NOT CONSERVED");
  if (ev.targets_full) fmt::print("events: {} child process(es) went untraced: the target map was full\n", ev.targets_full);
}

void print_latency_table(const StageLatency& l) {
  fmt::print("{:<16} {:>10} {:>10} {:>10} {:>10} {:>12}\n", "latency ns", "p50", "p90", "p99", "p99.9", "max");
  for (std::size_t i = 0; i < kStageCount; ++i) {
    const StageSummary& h = l.stage[i];
    if (h.count == 0) continue;
    fmt::print("{:<16} {:>10} {:>10} {:>10} {:>10} {:>12}\n", kStageNames[i], h.p50, h.p90, h.p99, h.p999, h.max);
  }
}

void print_programs(const std::vector<ProgramSummary>& programs) {
  if (programs.size() < 2 && (programs.empty() || programs.front().name == "syscall_tap")) return;
  fmt::print("{:<16} {:>12} {:>12} {:>10} {:>10} {:>11} {:>11} {:>13} {:>12}\n", "program", "expected", "received",
             "dropped", "conserved", "bpf ns/ev", "user ns/ev", "bytes avg/max", "e2e p50 ns");
  for (const ProgramSummary& p : programs)
    fmt::print("{:<16} {:>12} {:>12} {:>10} {:>10} {:>11.0f} {:>11.0f} {:>13} {:>12}\n", p.name, p.events.expected,
               p.events.received, p.events.dropped_total(), !p.events.checked ? "-" : p.events.conserved() ? "yes" : "NO", p.bpf_ns_per_event(),
               p.user_ns_per_event(), fmt::format("{:.0f}/{}", p.mean_record_bytes(), p.max_record_bytes),
               p.latency[Stage::end_to_end].p50);
}

}  // namespace

Progress::Progress(std::string label) : label_(std::move(label)), tty_(isatty(STDERR_FILENO)) {}

void Progress::operator()(std::string_view line) const {
  const std::string prefix = label_.empty() ? "" : "[" + label_ + "] ";
  fmt::print(stderr, "{}{}{}{}", tty_ ? "\r\033[K" : "", prefix, line, tty_ ? "" : "\n");
  std::fflush(stderr);
}

void Progress::done() const {
  if (tty_) fmt::print(stderr, "\n");
}

void print_run_summary(const RunOptions& o, const Summary& s) {
  fmt::print("\n{} workload, rate {}, {} thread(s), {} s x {} rounds, {} {} via {}\n", to_string(o.workload),
             to_string(o.rate), o.threads, o.duration_s, o.repeat, to_string(o.pipeline.transport),
             to_string(o.pipeline.wakeup), to_string(o.pipeline.hook));
  if (s.overhead) {
    const Overhead& ov = *s.overhead;
    fmt::print("{:<10} {:>14} {:>24}\n", "phase", "ops/s median", "slowdown % [95% CI]");
    fmt::print("{:<10} {:>14.0f}\n", "baseline", ov.baseline_ops_per_sec);
    if (ov.floor)
      fmt::print("{:<10} {:>14.0f} {:>24}\n", "floor", ov.floor->ops_per_sec, with_ci(ov.floor->slowdown_pct, ov.floor->ci95));
    if (ov.floor_nostats) {
      fmt::print("{:<10} {:>14.0f} {:>24}\n", "floor_nost", ov.floor_nostats->ops_per_sec,
                 with_ci(ov.floor_nostats->slowdown_pct, ov.floor_nostats->ci95));
      if (ov.floor)
        fmt::print("           BPF_ENABLE_STATS costs {} % ({:.0f} ns per op){}; traced slowdown without it {:.2f} %\n",
                   with_ci(ov.stats_cost_pct, ov.stats_cost_ci95), ov.stats_cost_ns_per_op,
                   ov.stats_sysctl_on ? " [stats were on anyway: not measured]" : "", ov.traced_slowdown_without_stats_pct);
    }
    fmt::print("{:<10} {:>14.0f} {:>24}\n", "traced", ov.traced.ops_per_sec, with_ci(ov.traced.slowdown_pct, ov.traced.ci95));
    if (ov.bare)
      fmt::print("{:<10} {:>14.0f} {:>24}   traced keeps {:.1f} % of bare ({}) throughput\n", "bare", ov.bare->ops_per_sec,
                 with_ci(ov.bare->slowdown_pct, ov.bare->ci95), ov.traced_vs_bare_pct, ov.bare_program);
    if (ov.aggregate)
      fmt::print("{:<10} {:>14.0f} {:>24}   counting in the kernel: {:.0f} ns/event, {:.3f} % of the machine\n",
                 "aggregate", ov.aggregate->ops_per_sec, with_ci(ov.aggregate->slowdown_pct, ov.aggregate->ci95),
                 ov.aggregate_cpu ? ov.aggregate_cpu->kernel_ns_per_event() : 0.0,
                 ov.aggregate_cpu ? ov.aggregate_cpu->pct_of_machine() : 0.0);
  }
  print_events_line(s.events);
  print_programs(s.programs);
  print_latency_table(s.latency);
  const CpuCost& c = s.cpu;
  fmt::print("cpu: kernel {:.0f} ns/event, user {:.0f} ns/event; tracer {:.2f} % of the machine (budget {:.2f} %): {}\n",
             c.kernel_ns_per_event(), c.user_ns_per_event(), c.pct_of_machine(), c.budget_pct,
             c.within_budget() ? "within budget" : "OVER BUDGET");
  if (s.governor && s.governor->enabled)
    fmt::print("governor: triggered {}, last action {}\n", s.governor->triggered, s.governor->action.value_or("null"));
}

void print_trace_summary(const TraceScenario& t, const Summary& s) {
  const DropCounts& d = s.events.dropped;
  fmt::print("trace stopped ({}): matched {}, received {}, dropped {} (kernel_reserve {}, perf_lost {}, sampled_out {}, "
             "queue_full {}, pool_exhausted {}, malformed {}), end_to_end p50 {} ns p99 {} ns\n",
             t.stopped_by, s.events.matched, s.events.received, s.events.dropped_total(), d.kernel_reserve, d.perf_lost,
             d.sampled_out, d.queue_full, d.pool_exhausted, d.malformed, s.latency[Stage::end_to_end].p50,
             s.latency[Stage::end_to_end].p99);
  print_programs(s.programs);
}

void print_sweep_point(const SweepPoint& p) {
  fmt::print("rate {:>10}: achieved {:>10.0f}/s, dropped {}, tracer {:.3f} % (kernel {:.3f}, user {:.3f}), "
             "slowdown {:.1f} %, e2e p50 {} ns p99 {} ns\n",
             rate_label(p.target_rate), p.achieved_rate, p.dropped, p.tracer_cpu_pct, p.bpf_cpu_pct, p.user_cpu_pct,
             p.slowdown_pct, p.e2e_p50_ns, p.e2e_p99_ns);
}

void print_capacity(const SweepResult& s, int cpus) {
  fmt::print("\ncapacity ({}, {} CPUs, budget {:.2f} %):\n", to_string(s.workload), cpus, s.budget_pct);
  fmt::print("  model: tracer % = {:.4f} + {:.3e}·rate (r² {:.3f}); kernel {:.0f} ns/event, user {:.0f} ns/event\n",
             s.total.a, s.total.b, s.total.r2, s.kernel_ns_per_event, s.user_ns_per_event);
  fmt::print("  max rate without drops (observed): {}\n",
             s.max_rate_no_drops ? fmt::format("{:.0f}/s", *s.max_rate_no_drops) : "none");
  fmt::print("  max rate within budget (model): {}\n",
             s.max_rate_within_budget ? fmt::format("{:.0f}/s", *s.max_rate_within_budget) : "n/a");
  if (const auto& r = s.ring_recommendation)
    fmt::print("  burst {:.0f}/s for {:.1f} s with drain {:.0f}/s: needs {} bytes -> ring of {} bytes\n", r->burst_rate,
               r->burst_seconds, r->drain_rate, r->bytes_needed, r->ring_bytes);
  if (const auto& p = s.plan)
    fmt::print("  plan: {:.0f}/s on {} CPUs -> {:.3f} % of the machine ({})\n", p->rate, p->cpus, p->predicted_pct,
               p->within_budget ? "within budget" : "over budget");
}

void print_governor_validation(const GovernorValidation& v) {
  const MustFireVerdict& f = v.fire_verdict;
  const auto show = [](const std::optional<double>& x) { return x ? fmt::format("{}", *x) : std::string("null"); };
  fmt::print("must-fire:     {} (first action at {} ms, limit {} ms; {}; overhead after {} %)\n",
             f.passed ? "PASS" : "FAIL", show(f.first_action_ms), f.limit_ms, f.detached ? "detached" : "sampling",
             show(f.overhead_after_pct));
  fmt::print("must-not-fire: {} ({} windows, {} false triggers)\n", v.calm_verdict.passed ? "PASS" : "FAIL",
             v.calm_verdict.windows, v.calm_verdict.false_triggers);
  for (const GovernedRun& e : v.edge)
    fmt::print("edge {:>8}: mean overhead {:.3f} %, triggered {}, last action {}\n", rate_label(e.rate),
               e.mean_overhead_pct(), e.governor.triggered, e.governor.action.value_or("null"));
}

void print_measure_phase(const MeasurePhase& r, int repeat, int cpus) {
  const std::string round = r.round == 0 ? "warm-up" : fmt::format("round {}/{}", r.round, repeat);
  std::string line = fmt::format("{:<12} {:<8} {:>12.0f} ops/s", round, r.agent ? "agent" : "baseline",
                                 r.workload.ops_per_sec);
  if (r.agent)
    line += fmt::format("  agent cpu {:.2f} %  bpf {:.2f} % ({} programs, {} runs)", r.agent_cpu_pct(cpus),
                        r.bpf_cpu_pct(cpus), r.programs.size(), r.bpf_runs());
  if (!r.foreign_programs.empty())
    line += fmt::format("  [other bpf programs ran: {} runs in {}]", r.foreign_run_cnt, r.foreign_programs.size());
  if (!r.valid) line += "  INVALID: agent exited";
  fmt::print("{}\n", line);
  std::fflush(stdout);
}

void print_measure_summary(const MeasureScenario& sc, const MeasureSummary& s) {
  const std::string rate = sc.rate > 0 ? fmt::format("{:g}", sc.rate) : "max";
  fmt::print("\nagent: {}\n{} workload, rate {}, {} thread(s), {} s x {} rounds (+1 warm-up), settle {} s\n", sc.agent,
             to_string(sc.workload), rate, sc.threads, sc.duration_s, sc.repeat, sc.settle_s);
  fmt::print("{:<10} {:>14} {:>10} {:>22} {:>16} {:>22}\n", "phase", "ops/s median", "target", "slowdown % [95% CI]",
             "ops/cpu-s", "slowdown % [95% CI]");
  fmt::print("{:<10} {:>14.0f} {:>10} {:>22} {:>16.0f}\n", "baseline", s.baseline_ops_per_sec, rate, "",
             s.baseline_ops_per_cpu_sec);
  fmt::print("{:<10} {:>14.0f} {:>10} {:>22} {:>16.0f} {:>22}\n", "agent", s.traced_ops_per_sec, rate,
             with_ci(s.slowdown_pct, s.ci95), s.traced_ops_per_cpu_sec, with_ci(s.per_cpu_slowdown_pct, s.per_cpu_ci95));
  fmt::print("{:<6} {:<40} {:<16} {:>14} {:>12}\n", "id", "bpf program", "type", "runs", "ns/run");
  for (const auto& p : s.programs)
    fmt::print("{:<6} {:<40} {:<16} {:>14} {:>12.1f}\n", p.id, p.name, p.type, p.run_cnt, p.ns_per_run());
  if (s.programs.empty()) fmt::print("(no bpf programs attributed to the agent)\n");
  if (s.phases_with_foreign_bpf > 0)
    fmt::print("warning: other tracers' bpf programs ran during {} measured phase(s): expect noisier numbers\n",
               s.phases_with_foreign_bpf);
  fmt::print("agent cost: process tree {:.2f} % + bpf {:.2f} % ({:.0f} ns/run) = {:.2f} % of the machine "
             "(budget {:.2f} %): {}\n",
             s.agent_cpu_pct, s.bpf_cpu_pct, s.kernel_ns_per_event, s.pct_of_machine, s.budget_pct,
             s.within_budget() ? "within budget" : "OVER BUDGET");
}

}  // namespace ringside
