// The typed results of every measuring command. Commands fill these structs; only the report
// library turns them into results.json (and back, for the gate) or into console lines. The
// accounting that must always add up — conservation, drop totals, CPU per event — is defined
// here once.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "capacity_model.h"
#include "governor.h"
#include "options.h"
#include "stages.h"
#include "types.h"
#include "workload.h"

namespace ringside {

inline constexpr const char* kResultsSchema = "ringside.results/v1";

// Every way an event can be lost, each counted where it happens.
struct DropCounts {
  uint64_t kernel_reserve = 0;  // bpf_ringbuf_reserve/output failed: ring full (BPF per-CPU counter)
  uint64_t perf_lost = 0;       // bpf_perf_event_output failed: perf buffer full (BPF counter)
  uint64_t sampled_out = 0;     // skipped by in-kernel 1/N sampling (the governor)
  uint64_t queue_full = 0;      // worker queue full under --queue-policy drop
  uint64_t pool_exhausted = 0;  // no free pooled event
  uint64_t malformed = 0;       // a record breaking its program's size rules
  [[nodiscard]] uint64_t total() const;
  [[nodiscard]] uint64_t lost() const { return total() - sampled_out; }  // what nobody chose to drop
  DropCounts& operator+=(const DropCounts& o);
};

// Conservation: issued (ground truth) == matched by the programs == received + every named drop.
struct EventCounts {
  uint64_t expected = 0;
  bool expected_from_workload = true;  // false (trace): the kernel's matched count stands in
  uint64_t matched = 0;
  uint64_t received = 0;
  uint64_t stamped = 0;  // received events that carried timestamps (1 of every --stamp-every)
  DropCounts dropped;
  std::map<std::string, uint64_t> by_kind;  // received per kind (syscall name, ...)
  std::string kinds_key = "by_syscall";     // what results.json calls by_kind (by_syscall, by_function, by_kind)
  bool detached = false;        // the governor detached: calls issued after that were never seen
  uint64_t targets_full = 0;    // children that could not be added to the target set (untraced)
  uint64_t pids_overflow = 0;   // events of pids beyond the handlers' pid tables (trace by_pid)
  std::optional<uint64_t> perf_lost_reported;  // perf lost-records callback total (cross-check)
  std::map<uint32_t, uint64_t> by_pid;         // trace: received per tgid
  bool parts_conserved = true;  // a sum of runs: whether every run was conserved on its own
  // false: nothing independent says how many events there should be (a user's object without
  // --expect-per-op): received and drops are reported, conservation is not judged.
  bool checked = true;

  [[nodiscard]] uint64_t dropped_total() const { return dropped.total(); }
  [[nodiscard]] uint64_t unobserved_after_detach() const;
  // received + every drop == matched, and matched == expected (≤ expected once detached), and
  // no child went untraced, in this count and every part summed into it. Unchecked counts pass
  // (results.json says "conserved": null for them).
  [[nodiscard]] bool conserved() const;
  EventCounts& operator+=(const EventCounts& o);
};

struct StageSummary {
  uint64_t count = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};

// Percentiles of every stage (histogram midpoints, ≤ 0.39 % error).
struct StageLatency {
  std::array<StageSummary, kStageCount> stage{};
  std::vector<std::pair<uint64_t, double>> end_to_end_cdf;  // [[ns, fraction], …] for plotting
  StageMask reported = kAllStages;                          // stages that apply
  static StageLatency of(const StageHistograms& h, StageMask reported = kAllStages);
  [[nodiscard]] const StageSummary& operator[](Stage s) const { return stage[static_cast<std::size_t>(s)]; }
};

// Tracer CPU: BPF run time plus the pipeline's threads, against the budget.
struct CpuCost {
  uint64_t bpf_ns = 0, bpf_runs = 0, consumer_ns = 0, workers_ns = 0, wall_ns = 0;
  uint64_t events = 0;  // received + dropped: what the per-event costs divide by
  int cpus = 1;
  double budget_pct = 1.0;
  [[nodiscard]] uint64_t user_ns() const { return consumer_ns + workers_ns; }
  [[nodiscard]] double ns_per_event() const { return per_event(bpf_ns + user_ns()); }
  [[nodiscard]] double kernel_ns_per_event() const { return per_event(bpf_ns); }
  [[nodiscard]] double user_ns_per_event() const { return per_event(user_ns()); }
  [[nodiscard]] double pct_of_machine() const;
  [[nodiscard]] double kernel_pct_of_machine() const;
  [[nodiscard]] bool within_budget() const { return pct_of_machine() <= budget_pct; }
  CpuCost& operator+=(const CpuCost& o);  // sums time and events (cpus, budget kept)

 private:
  [[nodiscard]] double per_event(uint64_t ns) const {
    return events ? static_cast<double>(ns) / static_cast<double>(events) : 0.0;
  }
};

struct PhaseComparison {
  double ops_per_sec = 0;
  double slowdown_pct = 0;  // vs baseline: median of per-round (1 − phase/baseline)×100
  std::array<double, 2> ci95{};
};

struct Overhead {
  double baseline_ops_per_sec = 0;
  PhaseComparison traced;
  std::optional<PhaseComparison> floor, bare, aggregate;
  std::optional<CpuCost> aggregate_cpu;  // the aggregate phase's tracer CPU (kernel only)
  // BPF_ENABLE_STATS' own cost: floor (stats on) vs floor_nostats, paired by round. Its slowdown
  // and the time it adds per workload op; the traced slowdown with that subtracted.
  std::optional<PhaseComparison> floor_nostats;
  double stats_cost_pct = 0;
  std::array<double, 2> stats_cost_ci95{};
  double stats_cost_ns_per_op = 0;
  double traced_slowdown_without_stats_pct = 0;
  bool stats_sysctl_on = false;  // kernel.bpf_stats_enabled=1: floor_nostats had stats too (no measure)
  std::string bare_program;       // what the bare phase ran: "lean_tap", or the programs themselves
  double traced_vs_bare_pct = 0;  // traced throughput as % of the bare consumer's
  std::array<double, 2> traced_vs_bare_ci95{};
};

struct WorkloadSummary {
  uint64_t ops = 0;        // issued in traced rounds
  double ops_per_sec = 0;  // median traced throughput
  double target_rate = 0;  // 0 = max
  uint64_t worst_lag_ns = 0;
};

// One program of a run: its events, the stages its records measure, its BPF programs' run time
// and its share of the pipeline's CPU, its record sizes.
struct ProgramSummary {
  std::string name;
  EventCounts events;
  StageLatency latency;
  uint64_t bpf_ns = 0, bpf_runs = 0;
  std::map<uint32_t, uint64_t> bpf_ns_by_prog;  // BPF program id → run_time_ns
  uint64_t user_ns = 0;         // its share of consumer + workers CPU, by events
  uint64_t record_bytes = 0;    // summed over received records
  uint64_t max_record_bytes = 0;
  [[nodiscard]] uint64_t events_seen() const { return events.received + events.dropped_total(); }
  [[nodiscard]] double bpf_ns_per_event() const {
    return events_seen() ? static_cast<double>(bpf_ns) / static_cast<double>(events_seen()) : 0.0;
  }
  [[nodiscard]] double user_ns_per_event() const {
    return events_seen() ? static_cast<double>(user_ns) / static_cast<double>(events_seen()) : 0.0;
  }
  [[nodiscard]] double mean_record_bytes() const {
    return events.received ? static_cast<double>(record_bytes) / static_cast<double>(events.received) : 0.0;
  }
  ProgramSummary& operator+=(const ProgramSummary& o);  // latency is the caller's to merge
};

struct Summary {
  std::optional<WorkloadSummary> workload;
  EventCounts events;
  StageLatency latency;
  CpuCost cpu;
  std::optional<Overhead> overhead;
  std::optional<GovernorReport> governor;
  std::vector<ProgramSummary> programs;  // by slot
  [[nodiscard]] double mean_record_bytes() const;  // over every program's received records
};

// One non-warm-up phase run of a `run` round.
struct PhaseRecord {
  int index = 0;  // round
  Phase phase = Phase::baseline;
  WorkloadResult workload;
  std::optional<double> slowdown_pct;  // vs the round's baseline
  std::optional<EventCounts> events;   // traced, bare
  std::optional<StageLatency> latency;  // traced
  std::optional<CpuCost> cpu;           // traced, bare, aggregate
  std::optional<GovernorReport> governor;
  std::vector<ProgramSummary> programs;  // traced
  bool stats_on_anyway = false;           // floor_nostats: run-time stats were on all the same
};

struct HostInfo {
  std::string kernel, kernel_version;
  bool preempt_rt = false;
  int cpus = 1;
  bool btf = false, jit = false;
  std::optional<Transport> transport;
  std::optional<WakeupPolicy> wakeup;
  std::optional<Hook> hook;
  std::optional<std::string> capabilities_after_attach;
  std::optional<std::string> bpf_stats;  // how BPF run time was counted
};

struct RunScenario {
  WorkloadKind workload = WorkloadKind::write;
  double rate = 0;  // 0 = max
  uint32_t threads = 1;
  double duration_s = 0;
  uint32_t repeat = 0;
  uint32_t workers = 1;     // 0 when inline
  uint32_t max_latency_ms = 10;
  uint32_t stamp_every = 1;
  QueuePolicy queue_policy = QueuePolicy::drop;
  uint32_t ring_bytes = 0;
  double budget_pct = 1.0;
  bool governor = false;
  std::vector<ProgramId> programs;
  uint32_t payload_bytes = 0;
  std::optional<std::string> name;  // "governor" for --scenario governor
  std::optional<BpfObjectInfo> bpf_object;  // --bpf-object: the user's object
};

struct TraceScenario {
  std::vector<int> pids;
  std::vector<ProgramId> programs;
  std::vector<std::string> syscalls;
  double duration_s = 0;
  uint32_t stamp_every = 1;
  std::string stopped_by;
  std::optional<BpfObjectInfo> bpf_object;
};

struct Comparison {
  std::string label;  // "ringbuf/batch:64"
  Transport transport = Transport::ringbuf;
  WakeupPolicy wakeup;
  Summary summary;
};

struct SweepPoint {
  double target_rate = 0;  // 0 = max (closed loop)
  double achieved_rate = 0;
  uint64_t expected = 0, received = 0, dropped = 0;
  uint64_t e2e_p50_ns = 0, e2e_p99_ns = 0;
  double tracer_cpu_pct = 0, bpf_cpu_pct = 0, user_cpu_pct = 0;
  double slowdown_pct = 0;
  bool within_budget = false, conserved = false;
  static SweepPoint of(double target_rate, const Summary& s);
};

// One rung of a sweep over record sizes (--payload-sizes): the same rate, a bigger payload.
struct PayloadPoint {
  uint32_t payload_bytes = 0;
  double record_bytes = 0;  // mean record size measured
  SweepPoint point;
  double kernel_ns_per_event = 0, user_ns_per_event = 0;
};

// The rate ladder under one reader latency bound (--latency-bounds): CPU vs latency bound.
struct LatencyBoundRun {
  uint32_t max_latency_ms = 10;
  std::vector<SweepPoint> points;
  LinearFit total;                               // tracer % = a + b·rate over its open-loop points
  std::optional<double> max_rate_within_budget;  // that fit solved for the budget
};

struct SweepPlan {
  double rate = 0;
  int cpus = 0;
  double predicted_pct = 0;
  bool within_budget = false;
};

struct SweepResult {
  WorkloadKind workload = WorkloadKind::write;
  double budget_pct = 1.0;
  std::vector<SweepPoint> points;
  std::vector<PayloadPoint> payload_points;  // --payload-sizes
  std::vector<LatencyBoundRun> latency_bounds;  // --latency-bounds
  LinearFit kernel, user, total;
  std::optional<double> max_rate_no_drops, observed_max_rate_within_budget, max_rate_within_budget;
  double kernel_ns_per_event = 0, user_ns_per_event = 0;
  std::optional<RingAdvice> ring_recommendation;
  double record_bytes = 0;  // mean record size measured in the run (what the ring advice uses)
  std::optional<SweepPlan> plan;
  std::vector<Summary> summaries;
};

// One governed run of `run --scenario governor`.
struct GovernedRun {
  GovernorReport governor;
  double rate = 0;  // 0 = max
  double achieved_rate = 0;
  EventCounts events;  // expected = the writes issued
  [[nodiscard]] double mean_overhead_pct() const;
};

struct MustFireVerdict {
  bool fired = false;
  std::optional<double> first_action_ms;
  double limit_ms = 0;
  bool detached = false;
  std::optional<double> overhead_after_pct;
  bool passed = false;
};

struct MustNotFireVerdict {
  std::size_t windows = 0, false_triggers = 0;
  bool passed = false;
};

struct GovernorValidation {
  GovernedRun must_fire, must_not_fire;
  MustFireVerdict fire_verdict;
  MustNotFireVerdict calm_verdict;
  std::vector<GovernedRun> edge;
  GovernorOptions options;
  bool passed = false;
};

// `ringside measure`: an agent's BPF program over one window.
struct BpfProgramCost {
  uint32_t id = 0;
  std::string name, type;  // full function name; libbpf's program type name
  uint64_t run_cnt = 0, run_time_ns = 0;
  [[nodiscard]] double ns_per_run() const {
    return run_cnt ? static_cast<double>(run_time_ns) / static_cast<double>(run_cnt) : 0.0;
  }
};

// One phase of `ringside measure`: the workload alone (baseline) or with the agent running.
struct MeasurePhase {
  int round = 0;  // 0 = warm-up (discarded)
  bool agent = false;
  WorkloadResult workload;
  uint64_t wall_ns = 0;          // go() → result: the window CPU is sampled over
  uint64_t workload_cpu_ns = 0;  // the workload process's CPU (RUSAGE_CHILDREN delta)
  // Programs not the agent's that ran during the window (another tracer on this machine).
  std::vector<std::string> foreign_programs;
  uint64_t foreign_run_cnt = 0, foreign_run_time_ns = 0;
  // agent phase only
  bool valid = true;  // false: the agent exited before the window ended
  std::string invalid_reason;
  uint64_t agent_cpu_ns = 0;  // the agent's process tree, user + system
  std::size_t agent_processes = 0;
  std::vector<BpfProgramCost> programs;  // its programs, run time as window deltas
  std::string stop_signal;               // what it took to stop it ("" if it had exited)
  std::optional<double> slowdown_pct;    // agent phase vs its round's baseline

  [[nodiscard]] uint64_t bpf_ns() const;
  [[nodiscard]] uint64_t bpf_runs() const;
  [[nodiscard]] double agent_cpu_pct(int cpus) const;
  [[nodiscard]] double bpf_cpu_pct(int cpus) const;
  [[nodiscard]] double ops_per_cpu_sec() const;  // 0 when no CPU time was measured
};

struct MeasureScenario {
  WorkloadKind workload = WorkloadKind::write;
  double rate = 0;  // 0 = max
  int threads = 1;
  double duration_s = 0;
  int repeat = 0;
  std::string agent;
  double settle_s = 0;
  double budget_pct = 1.0;
};

struct MeasureSummary {
  uint64_t ops = 0;  // median per agent round
  double ops_per_sec = 0, target_rate = 0;
  double baseline_ops_per_sec = 0, traced_ops_per_sec = 0;
  double slowdown_pct = 0;
  std::array<double, 2> ci95{};
  std::size_t paired_rounds = 0;
  double baseline_ops_per_cpu_sec = 0, traced_ops_per_cpu_sec = 0;
  double per_cpu_slowdown_pct = 0;
  std::array<double, 2> per_cpu_ci95{};
  int phases_with_foreign_bpf = 0;
  double bpf_ns = 0, agent_user_ns = 0;  // medians per round
  double pct_of_machine = 0, budget_pct = 1.0;
  double kernel_ns_per_event = 0, bpf_ns_per_workload_op = 0;
  double agent_cpu_pct = 0, bpf_cpu_pct = 0;
  std::vector<BpfProgramCost> programs;  // summed over the measured rounds
  [[nodiscard]] bool within_budget() const { return pct_of_machine <= budget_pct; }
};

struct MeasureResults {
  MeasureSummary summary;
  std::vector<MeasurePhase> runs;
};

// Everything a measuring command reports; report/results_json.h writes it.
// The --sink file after the command: what reached it and what did not.
struct SinkStats {
  std::string path;
  uint64_t lines = 0, lost = 0, write_errors = 0;
  std::string last_error;
};

struct Results {
  std::string command;  // run, trace, sweep, measure
  HostInfo host;
  std::variant<std::monostate, RunScenario, TraceScenario, MeasureScenario> scenario;
  std::optional<Summary> summary;
  std::vector<PhaseRecord> runs;
  std::vector<Comparison> comparisons;
  std::optional<SweepResult> sweep;
  std::optional<GovernorValidation> governor_validation;
  std::optional<MeasureResults> measure;
  std::optional<SinkStats> sink;
  bool interrupted = false;
  std::string stopped_by;  // interrupted: the signal, or the failure that ended the run early
};

}  // namespace ringside
