#include "results_json.h"

#include "usage_error.h"

namespace ringside {
namespace {

using nlohmann::json;

json rate_or_null(double rate) { return rate > 0 ? json(rate) : json(nullptr); }
json pair(const std::array<double, 2>& v) { return json::array({v[0], v[1]}); }
template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json names_of(const std::vector<ProgramId>& ids) {
  json out = json::array();
  for (ProgramId id : ids) out.push_back(to_string(id));
  return out;
}

json drops_json(const DropCounts& d) {
  return {{"kernel_reserve", d.kernel_reserve}, {"perf_lost", d.perf_lost},           {"sampled_out", d.sampled_out},
          {"queue_full", d.queue_full},         {"pool_exhausted", d.pool_exhausted}, {"malformed", d.malformed}};
}

json host_json(const HostInfo& h) {
  json j = {{"kernel", h.kernel}, {"kernel_version", h.kernel_version}, {"preempt_rt", h.preempt_rt},
            {"cpus", h.cpus},     {"btf", h.btf},                       {"jit", h.jit}};
  if (h.transport) j["transport"] = to_string(*h.transport);
  if (h.wakeup) j["wakeup"] = to_string(*h.wakeup);
  if (h.hook) j["hook"] = to_string(*h.hook);
  j["ringside_version"] = RINGSIDE_VERSION;
  if (h.capabilities_after_attach) j["capabilities_after_attach"] = *h.capabilities_after_attach;
  if (h.bpf_stats) j["bpf_stats"] = *h.bpf_stats;
  return j;
}

json object_json(const std::optional<BpfObjectInfo>& o) {
  if (!o) return nullptr;
  json programs = json::array();
  for (const auto& p : o->programs) programs.push_back({{"name", p.name}, {"section", p.section}});
  return {{"file", o->file},
          {"ring", o->ring},
          {"transport", to_string(o->transport)},
          {"ring_bytes", o->ring_bytes ? json(o->ring_bytes) : json(nullptr)},
          {"programs", programs},
          {"rodata", o->rodata},
          {"timestamp_offset", o->timestamp_offset >= 0 ? json(o->timestamp_offset) : json(nullptr)},
          {"drop_counters", o->drop_counters},
          {"expect_per_op", o->expect_per_op >= 0 ? json(o->expect_per_op) : json(nullptr)},
          {"floor", "the object's SEC()s attached the same way, every program's body `return 0`"}};
}

json scenario_json(const RunScenario& s) {
  json j = {{"workload", to_string(s.workload)},
            {"rate", rate_or_null(s.rate)},
            {"threads", s.threads},
            {"duration_s", s.duration_s},
            {"repeat", s.repeat},
            {"workers", s.workers},
            {"inline", s.workers == 0},
            {"max_latency_ms", s.max_latency_ms},
            {"stamp_every", s.stamp_every},
            {"queue_policy", to_string(s.queue_policy)},
            {"ring_bytes", s.ring_bytes},
            {"budget_pct", s.budget_pct},
            {"governor", s.governor},
            {"programs", names_of(s.programs)},
            {"payload_bytes", s.payload_bytes}};
  if (s.name) j["name"] = *s.name;
  if (s.bpf_object) j["bpf_object"] = object_json(s.bpf_object);
  return j;
}

json scenario_json(const TraceScenario& s) {
  json j = {{"pids", s.pids},
             {"programs", names_of(s.programs)},
             {"syscalls", s.syscalls},
             {"duration_s", s.duration_s},
             {"stamp_every", s.stamp_every},
             {"stopped_by", s.stopped_by}};
  if (s.bpf_object) j["bpf_object"] = object_json(s.bpf_object);
  return j;
}

json scenario_json(const MeasureScenario& s) {
  return {{"workload", to_string(s.workload)}, {"rate", rate_or_null(s.rate)}, {"threads", s.threads},
          {"duration_s", s.duration_s},         {"repeat", s.repeat},           {"agent", s.agent},
          {"settle_s", s.settle_s},             {"budget_pct", s.budget_pct}};
}

json overhead_json(const Overhead& o) {
  json j = {{"baseline_ops_per_sec", o.baseline_ops_per_sec},
            {"traced_ops_per_sec", o.traced.ops_per_sec},
            {"slowdown_pct", o.traced.slowdown_pct},
            {"ci95", pair(o.traced.ci95)}};
  if (o.floor) {
    j["floor_ops_per_sec"] = o.floor->ops_per_sec;
    j["floor_slowdown_pct"] = o.floor->slowdown_pct;
    j["floor_ci95"] = pair(o.floor->ci95);
  }
  if (o.aggregate) {
    j["aggregate_ops_per_sec"] = o.aggregate->ops_per_sec;
    j["aggregate_slowdown_pct"] = o.aggregate->slowdown_pct;
    j["aggregate_ci95"] = pair(o.aggregate->ci95);
    if (o.aggregate_cpu) j["aggregate_cpu"] = to_json(*o.aggregate_cpu);
  }
  if (o.floor_nostats) {
    j["floor_nostats_ops_per_sec"] = o.floor_nostats->ops_per_sec;
    j["floor_nostats_slowdown_pct"] = o.floor_nostats->slowdown_pct;
    if (o.floor) {
      j["stats_cost"] = {{"pct", o.stats_cost_pct},
                         {"ci95", pair(o.stats_cost_ci95)},
                         {"ns_per_op", o.stats_cost_ns_per_op},
                         {"traced_slowdown_without_stats_pct", o.traced_slowdown_without_stats_pct},
                         {"method", "floor (BPF_ENABLE_STATS held) vs floor_nostats, paired by round; subtracted from "
                                    "the traced slowdown"},
                         {"valid", !o.stats_sysctl_on}};
    }
  }
  if (o.bare) {
    j["bare_program"] = o.bare_program;
    j["bare_ops_per_sec"] = o.bare->ops_per_sec;
    j["bare_slowdown_pct"] = o.bare->slowdown_pct;
    j["bare_ci95"] = pair(o.bare->ci95);
    j["traced_vs_bare_pct"] = o.traced_vs_bare_pct;
    j["traced_vs_bare_ci95"] = pair(o.traced_vs_bare_ci95);
  }
  return j;
}

json workload_json(const WorkloadSummary& w) {
  return {{"ops", w.ops}, {"ops_per_sec", w.ops_per_sec}, {"target_rate", rate_or_null(w.target_rate)},
          {"worst_lag_ns", w.worst_lag_ns}};
}

json program_json(const ProgramSummary& p) {
  json by_prog = json::array();
  for (const auto& [id, ns] : p.bpf_ns_by_prog) by_prog.push_back({{"id", id}, {"run_time_ns", ns}});
  return {{"events", to_json(p.events)},
          {"latency_ns", to_json(p.latency)},
          {"cpu",
           {{"bpf_ns", p.bpf_ns},
            {"bpf_runs", p.bpf_runs},
            {"kernel_ns_per_event", p.bpf_ns_per_event()},
            {"bpf_by_prog", by_prog},
            {"user_ns", p.user_ns},
            {"user_ns_per_event", p.user_ns_per_event()}}},
          {"record_bytes", {{"mean", p.mean_record_bytes()}, {"max", p.max_record_bytes}}}};
}

json programs_json(const std::vector<ProgramSummary>& programs) {
  json out = json::object();
  for (const ProgramSummary& p : programs) out[p.name] = program_json(p);
  return out;
}

json phase_json(const PhaseRecord& r) {
  json j = {{"index", r.index}, {"phase", to_string(r.phase)}, {"workload", r.workload.to_json()}};
  if (r.slowdown_pct) j["slowdown_pct"] = *r.slowdown_pct;
  if (r.events) {
    if (r.phase == Phase::bare)  // the counting consumer knows only how many it read
      j["events"] = {{"expected", r.events->expected},
                     {"received", r.events->received},
                     {"kernel_reserve", r.events->dropped.kernel_reserve}};
    else
      j["events"] = to_json(*r.events);
  }
  if (r.latency) j["latency_ns"] = to_json(*r.latency);
  if (r.cpu) j["cpu"] = to_json(*r.cpu);
  if (r.governor) j["governor"] = to_json(*r.governor);
  if (!r.programs.empty()) j["programs"] = programs_json(r.programs);
  return j;
}

json fit_json(const LinearFit& f) { return {{"a", f.a}, {"b", f.b}, {"r2", f.r2}, {"n", f.n}}; }

json point_json(const SweepPoint& p) {
  return {{"target_rate", rate_or_null(p.target_rate)},
          {"achieved_rate", p.achieved_rate},
          {"expected", p.expected},
          {"received", p.received},
          {"dropped", p.dropped},
          {"e2e_p50_ns", p.e2e_p50_ns},
          {"e2e_p99_ns", p.e2e_p99_ns},
          {"tracer_cpu_pct", p.tracer_cpu_pct},
          {"bpf_cpu_pct", p.bpf_cpu_pct},
          {"user_cpu_pct", p.user_cpu_pct},
          {"slowdown_pct", p.slowdown_pct},
                      {"within_budget", p.within_budget},
                      {"conserved", p.conserved}};
}

json sweep_json(const SweepResult& s) {
  json points = json::array();
  for (const SweepPoint& p : s.points) points.push_back(point_json(p));
  json payload = json::array();
  for (const PayloadPoint& p : s.payload_points) {
    json j = point_json(p.point);
    j["payload_bytes"] = p.payload_bytes;
    j["record_bytes"] = p.record_bytes;
    j["kernel_ns_per_event"] = p.kernel_ns_per_event;
    j["user_ns_per_event"] = p.user_ns_per_event;
    payload.push_back(j);
  }
  json bounds = json::array();
  for (const LatencyBoundRun& b : s.latency_bounds) {
    json pts = json::array();
    for (const SweepPoint& p : b.points) pts.push_back(point_json(p));
    bounds.push_back({{"max_latency_ms", b.max_latency_ms},
                      {"points", pts},
                      {"model_total", fit_json(b.total)},
                      {"max_rate_within_budget", opt(b.max_rate_within_budget)}});
  }
  json j = {{"workload", to_string(s.workload)},
            {"budget_pct", s.budget_pct},
            {"points", points},
            {"payload_points", payload},
            {"latency_bounds", bounds},
            {"model", {{"kernel", fit_json(s.kernel)}, {"user", fit_json(s.user)}, {"total", fit_json(s.total)}}},
            {"max_rate_no_drops", opt(s.max_rate_no_drops)},
            {"observed_max_rate_within_budget", opt(s.observed_max_rate_within_budget)},
            {"ns_per_event", {{"kernel", s.kernel_ns_per_event}, {"user", s.user_ns_per_event}}},
            {"max_rate_within_budget", opt(s.max_rate_within_budget)},
            {"ring_recommendation", nullptr},
            {"plan", nullptr}};
  j["record_bytes"] = s.record_bytes;
  if (const auto& r = s.ring_recommendation)
    j["ring_recommendation"] = {{"burst_rate", r->burst_rate},     {"burst_seconds", r->burst_seconds},
                                {"drain_rate", r->drain_rate},     {"record_bytes", r->record_bytes},
                                {"bytes_needed", r->bytes_needed}, {"ring_bytes", r->ring_bytes}};
  if (const auto& p = s.plan)
    j["plan"] = {{"rate", p->rate}, {"cpus", p->cpus}, {"predicted_pct", p->predicted_pct}, {"within_budget", p->within_budget}};
  j["summaries"] = json::array();
  for (const Summary& sum : s.summaries) j["summaries"].push_back(to_json(sum));
  return j;
}

json governed_json(const GovernedRun& g) {
  json j = to_json(g.governor);
  j["rate"] = g.rate > 0 ? json(g.rate) : json("max");
  j["achieved_rate"] = g.achieved_rate;
  const EventCounts& e = g.events;
  j["issued"] = e.expected;
  j["matched"] = e.matched;
  j["received"] = e.received;
  j["dropped"] = e.dropped_total();
  j["sampled_out"] = e.dropped.sampled_out;
  if (e.detached) j["unobserved_after_detach"] = e.unobserved_after_detach();
  j["conserved"] = e.conserved();
  return j;
}

json validation_json(const GovernorValidation& v) {
  json fire = governed_json(v.must_fire);
  const MustFireVerdict& f = v.fire_verdict;
  fire["verdict"] = {{"fired", f.fired},       {"first_action_ms", opt(f.first_action_ms)},
                     {"limit_ms", f.limit_ms}, {"detached", f.detached},
                     {"overhead_after_pct", opt(f.overhead_after_pct)}, {"passed", f.passed}};
  json calm = governed_json(v.must_not_fire);
  calm["verdict"] = {{"windows", v.calm_verdict.windows},
                     {"false_triggers", v.calm_verdict.false_triggers},
                     {"passed", v.calm_verdict.passed}};
  json edge = json::array();
  for (const GovernedRun& e : v.edge) {
    edge.push_back(governed_json(e));
    edge.back()["mean_overhead_pct"] = e.mean_overhead_pct();
  }
  std::vector<std::string> ladder;
  for (const DegradeStep& s : v.options.degrade) ladder.push_back(to_string(s));
  return {{"must_fire", fire},
          {"must_not_fire", calm},
          {"edge", edge},
          {"passed", v.passed},
          {"options",
           {{"window_ms", v.options.window_ms},
            {"windows_over", v.options.windows_over},
            {"max_overhead_percent", v.options.max_overhead_percent},
            {"degrade", ladder}}}};
}

json program_cost_json(const BpfProgramCost& p) {
  return {{"id", p.id},           {"name", p.name},       {"type", p.type},
          {"run_cnt", p.run_cnt}, {"run_time_ns", p.run_time_ns}, {"ns_per_run", p.ns_per_run()}};
}

json measure_phase_json(const MeasurePhase& r, int cpus) {
  json j = {{"index", r.round},
            {"phase", r.agent ? "agent" : "baseline"},
            {"warmup", r.round == 0},
            {"valid", r.valid},
            {"workload", r.workload.to_json()},
            {"wall_ns", r.wall_ns},
            {"workload_cpu_ns", r.workload_cpu_ns},
            {"ops_per_cpu_sec", r.ops_per_cpu_sec()}};
  if (!r.valid) j["invalid_reason"] = r.invalid_reason;
  j["foreign_bpf"] = {{"programs", r.foreign_programs}, {"run_cnt", r.foreign_run_cnt},
                      {"run_time_ns", r.foreign_run_time_ns}};
  if (r.agent) {
    const uint64_t runs = r.bpf_runs();
    j["cpu"] = {{"agent_user_ns", r.agent_cpu_ns},
                {"agent_processes", r.agent_processes},
                {"bpf_ns", r.bpf_ns()},
                {"bpf_run_cnt", runs},
                {"kernel_ns_per_event", runs ? static_cast<double>(r.bpf_ns()) / static_cast<double>(runs) : 0.0},
                {"agent_cpu_pct", r.agent_cpu_pct(cpus)},
                {"bpf_cpu_pct", r.bpf_cpu_pct(cpus)},
                {"pct_of_machine", r.agent_cpu_pct(cpus) + r.bpf_cpu_pct(cpus)}};
    j["bpf_programs"] = json::array();
    for (const auto& p : r.programs) j["bpf_programs"].push_back(program_cost_json(p));
    j["stop_signal"] = r.stop_signal;
  }
  j["slowdown_pct"] = opt(r.slowdown_pct);
  return j;
}

void add_measure(json& out, const MeasureResults& m, const MeasureScenario& sc, int cpus) {
  const MeasureSummary& s = m.summary;
  out["summary"] = {
      {"workload", {{"ops", s.ops}, {"ops_per_sec", s.ops_per_sec}, {"target_rate", rate_or_null(s.target_rate)}}},
      {"overhead",
       {{"baseline_ops_per_sec", s.baseline_ops_per_sec},
        {"traced_ops_per_sec", s.traced_ops_per_sec},
        {"slowdown_pct", s.slowdown_pct},
        {"ci95", pair(s.ci95)},
        {"paired_rounds", s.paired_rounds},
        {"baseline_ops_per_cpu_sec", s.baseline_ops_per_cpu_sec},
        {"traced_ops_per_cpu_sec", s.traced_ops_per_cpu_sec},
        {"per_cpu_slowdown_pct", s.per_cpu_slowdown_pct},
        {"per_cpu_ci95", pair(s.per_cpu_ci95)},
        {"phases_with_foreign_bpf", s.phases_with_foreign_bpf}}},
      {"cpu",
       {{"bpf_ns", s.bpf_ns},
        {"agent_user_ns", s.agent_user_ns},
        {"pct_of_machine", s.pct_of_machine},
        {"budget_pct", s.budget_pct},
        {"within_budget", s.within_budget()},
        {"kernel_ns_per_event", s.kernel_ns_per_event},
        {"bpf_ns_per_workload_op", s.bpf_ns_per_workload_op}}}};
  json programs = json::array();
  for (const auto& p : s.programs) programs.push_back(program_cost_json(p));
  out["measure"] = {{"agent_cpu_pct", s.agent_cpu_pct},
                    {"bpf_cpu_pct", s.bpf_cpu_pct},
                    {"bpf_programs", programs},
                    {"agent", sc.agent},
                    {"cpu_method",
                     "agent: sum over its process tree (pid, descendants by ppid, session members) of "
                     "CLOCK_PROCESS_CPUTIME + reaped children's cutime+cstime, delta over the workload window; "
                     "bpf: run_time_ns deltas of the programs it loaded (BPF_ENABLE_STATS)"}};
  out["runs"] = json::array();
  for (const MeasurePhase& r : m.runs) out["runs"].push_back(measure_phase_json(r, cpus));
}

}  // namespace

json to_json(const EventCounts& e) {
  json by_kind = json::object();
  for (const auto& [k, n] : e.by_kind) by_kind[k] = n;
  json j = {{"expected", e.checked ? json(e.expected) : json(nullptr)},
            {"expected_source", !e.checked ? "none" : e.expected_from_workload ? "workload" : "kernel_matched"},
            {"matched", e.matched},
            {"received", e.received},
            {"stamped", e.stamped},
            {"dropped", drops_json(e.dropped)},
            {"dropped_total", e.dropped_total()},
            {"conserved", e.checked ? json(e.conserved()) : json(nullptr)},
            {e.kinds_key, by_kind}};
  if (e.detached) j["unobserved_after_detach"] = e.unobserved_after_detach();
  if (e.perf_lost_reported) j["perf_lost_reported"] = *e.perf_lost_reported;
  if (e.targets_full) j["targets_full"] = e.targets_full;
  if (!e.by_pid.empty()) {
    json by_pid = json::object();
    for (const auto& [pid, n] : e.by_pid) by_pid[std::to_string(pid)] = n;
    j["by_pid"] = by_pid;
  }
  if (e.pids_overflow) j["pids_overflow"] = e.pids_overflow;
  return j;
}

json to_json(const StageLatency& l) {
  json out = json::object();
  for (std::size_t s = 0; s < kStageCount; ++s) {
    if (!(l.reported & (StageMask{1} << s))) continue;
    const StageSummary& h = l.stage[s];
    json j = {{"count", h.count}, {"p50", h.p50}, {"p90", h.p90}, {"p99", h.p99}, {"p999", h.p999}, {"max", h.max}};
    if (static_cast<Stage>(s) == Stage::end_to_end && h.count > 0) {
      json cdf = json::array();
      for (const auto& [v, f] : l.end_to_end_cdf) cdf.push_back({v, f});
      j["cdf"] = cdf;
    }
    out[kStageNames[s]] = j;
  }
  return out;
}

json to_json(const CpuCost& c) {
  return {{"bpf_ns", c.bpf_ns},
          {"bpf_runs", c.bpf_runs},
          {"consumer_ns", c.consumer_ns},
          {"workers_ns", c.workers_ns},
          {"wall_ns", c.wall_ns},
          {"ns_per_event", c.ns_per_event()},
          {"kernel_ns_per_event", c.kernel_ns_per_event()},
          {"user_ns_per_event", c.user_ns_per_event()},
          {"pct_of_machine", c.pct_of_machine()},
          {"budget_pct", c.budget_pct},
          {"within_budget", c.within_budget()}};
}

json to_json(const GovernorReport& g) {
  json steps = json::array(), windows = json::array();
  for (const auto& s : g.steps)
    steps.push_back({{"t_ms", s.t_ms}, {"action", s.action}, {"reason", s.reason}, {"overhead_pct", s.overhead_pct},
                     {"drop_ratio", s.drop_ratio}});
  for (const auto& w : g.windows)
    windows.push_back({{"t_ms", w.t_ms}, {"overhead_pct", w.overhead_pct}, {"drop_ratio", w.drop_ratio},
                       {"sample_every", w.sample_every}, {"attached", w.attached}});
  json j = {{"enabled", g.enabled}, {"triggered", g.triggered}, {"trigger_after_ms", opt(g.trigger_after_ms)},
            {"action", opt(g.action)}, {"steps", steps}, {"windows", windows}};
  if (g.triggered_in_runs) j["triggered_in_runs"] = *g.triggered_in_runs;
  return j;
}

json to_json(const Summary& s) {
  json j = json::object();
  if (s.workload) j["workload"] = workload_json(*s.workload);
  j["events"] = to_json(s.events);
  j["latency_ns"] = to_json(s.latency);
  j["cpu"] = to_json(s.cpu);
  if (s.overhead) j["overhead"] = overhead_json(*s.overhead);
  if (s.governor) j["governor"] = to_json(*s.governor);
  if (!s.programs.empty()) j["programs"] = programs_json(s.programs);
  return j;
}

json to_json(const ProbeReport& p) {
  json j;
  j["schema"] = "ringside.probe/v1";
  j["kernel"] = p.kernel;
  j["kernel_version"] = p.version;
  j["preempt_rt"] = p.preempt_rt;
  j["cpus"] = p.cpus;
  j["recommended_transport"] = p.recommended_transport;
  for (const auto& f : p.features) j["features"][f.name] = {{"ok", f.ok}, {"detail", f.detail}};
  return j;
}

HostInfo host_of(const ProbeReport& probe) {
  HostInfo h;
  h.kernel = probe.kernel;
  h.kernel_version = probe.version;
  h.preempt_rt = probe.preempt_rt;
  h.cpus = probe.cpus;
  h.btf = probe.has("btf");
  h.jit = probe.has("jit");
  return h;
}

HostInfo host_of(const ProbeReport& probe, const PipelineOptions& pipeline) {
  HostInfo h = host_of(probe);
  h.transport = pipeline.transport;
  h.wakeup = pipeline.wakeup;
  h.hook = pipeline.hook;
  return h;
}

json to_json(const Results& r) {
  json j = {{"schema", kResultsSchema}, {"command", r.command}, {"host", host_json(r.host)}};
  std::visit(
      [&](const auto& s) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, std::monostate>) j["scenario"] = scenario_json(s);
      },
      r.scenario);
  if (r.interrupted) j["interrupted"] = true;
  if (r.interrupted && !r.stopped_by.empty()) j["stopped_by"] = r.stopped_by;
  if (r.sink)
    j["sink"] = {{"path", r.sink->path},
                 {"lines", r.sink->lines},
                 {"lost", r.sink->lost},
                 {"write_errors", r.sink->write_errors},
                 {"last_error", r.sink->last_error.empty() ? json(nullptr) : json(r.sink->last_error)}};
  if (r.measure) {
    add_measure(j, *r.measure, std::get<MeasureScenario>(r.scenario), r.host.cpus);
    return j;
  }
  if (r.summary) j["summary"] = to_json(*r.summary);
  if (!r.runs.empty()) {
    j["runs"] = json::array();
    for (const PhaseRecord& p : r.runs) j["runs"].push_back(phase_json(p));
  }
  if (!r.comparisons.empty()) {
    j["comparisons"] = json::array();
    for (const Comparison& c : r.comparisons)
      j["comparisons"].push_back({{"label", c.label},
                                  {"transport", to_string(c.transport)},
                                  {"wakeup", to_string(c.wakeup)},
                                  {"summary", to_json(c.summary)}});
  }
  if (r.sweep) j["sweep"] = sweep_json(*r.sweep);
  if (r.governor_validation) j["governor_validation"] = validation_json(*r.governor_validation);
  return j;
}

}  // namespace ringside
