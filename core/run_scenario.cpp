#include "run_scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "ab_stats.h"
#include "cli.h"
#include "clock.h"
#include "governor_loop.h"
#include "option_flags.h"
#include "privileges.h"
#include "results.h"
#include "stop_signal.h"
#include "syscall_names.h"
#include "trace_session.h"
#include "workload.h"
#include "workload_process.h"

namespace ringside {
namespace {

struct PhaseRun {
  std::string phase;
  int round;
  WorkloadResult work;
  std::optional<SessionReport> session;
  nlohmann::json governor;
};

WorkloadSpec workload_spec(const RunOptions& o, double duration_s) {
  WorkloadSpec s;
  s.kind = o.workload;
  s.rate = parse_workload_rate(o.rate);
  s.threads = static_cast<int>(o.threads);
  s.duration_s = duration_s;
  return s;
}

uint64_t expected_events(const WorkloadResult& w, const std::vector<std::string>& traced) {
  uint64_t n = 0;
  for (const auto& name : traced) {
    auto it = w.by_syscall.find(name);
    if (it != w.by_syscall.end()) n += it->second;
  }
  return n;
}

PhaseRun run_phase(const std::string& phase, int round, const RunOptions& o, const WorkloadSpec& spec,
                   const std::vector<int>& nrs) {
  PhaseRun pr{phase, round, {}, std::nullopt, nullptr};
  WorkloadProcess child = WorkloadProcess::spawn(spec);
  if (phase == "baseline") {
    child.go();
    pr.work = child.wait();
    return pr;
  }
  RunOptions po = o;
  if (phase == "floor") po.pipeline.hook = "floor";
  if (phase == "bare") {
    po.pipeline.transport = "ringbuf";
    po.pipeline.wakeup = "batch:2048";  // 128 KiB of 64-byte records pending before a wake-up
  }
  SessionConfig sc = session_config(po, nrs, needs_follow_children(spec));
  sc.bare = phase == "bare";
  TraceSession session(sc);
  session.add_target(static_cast<uint32_t>(child.pid()));
  session.start();
  if (capabilities_dropped().empty()) drop_capabilities_after_attach(KeepCaps::bpf, session.tap().events_map_fd());
  std::optional<GovernorLoop> governor;
  if (phase == "traced") governor.emplace(o.governor, session, online_cpus());
  child.go();
  pr.work = child.wait();
  if (governor) {
    governor->stop();
    pr.governor = governor->to_json();
  }
  session.stop();
  if (phase == "traced" || phase == "bare") pr.session = session.report();
  return pr;
}

nlohmann::json ci_pair(const std::array<double, 2>& ci) { return nlohmann::json::array({ci[0], ci[1]}); }

}  // namespace

std::vector<std::string> parse_phases(const std::string& text) {
  std::vector<std::string> out = {"baseline"};
  std::string item;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != ',') {
      item += text[i];
      continue;
    }
    if (item != "baseline" && item != "floor" && item != "bare" && item != "traced")
      throw UsageError("bad --phases entry '" + item + "': expected baseline, floor, bare or traced");
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
    item.clear();
  }
  if (std::find(out.begin(), out.end(), "traced") == out.end()) out.push_back("traced");
  return out;
}

nlohmann::json scenario_json(const RunOptions& o) {
  return {{"workload", o.workload},
          {"rate", o.rate == "max" ? nlohmann::json(nullptr) : nlohmann::json(parse_workload_rate(o.rate))},
          {"threads", o.threads},
          {"duration_s", o.duration_s},
          {"repeat", o.repeat},
          {"workers", default_workers(o.pipeline.workers)},
          {"queue_policy", o.pipeline.queue_policy},
          {"ring_bytes", o.pipeline.ring_bytes},
          {"budget_pct", o.budget_pct},
          {"governor", o.governor.enabled}};
}

ScenarioOutcome run_scenario(const RunOptions& o, const ProbeReport& probe, const ProgressFn& progress,
                             const std::vector<std::string>& phases) {
  const WorkloadSpec spec = workload_spec(o, o.duration_s);
  const std::vector<std::string> traced_names = traced_syscalls(spec);
  const std::vector<int> nrs = parse_syscall_list(traced_names);
  const int rounds = static_cast<int>(o.repeat);
  const uint64_t t0 = now_ns();
  std::vector<PhaseRun> runs;

  for (int round = 0; round <= rounds; ++round) {  // round 0: warm-up, discarded
    const WorkloadSpec s = round == 0 ? workload_spec(o, std::min(1.0, o.duration_s)) : spec;
    // rotate the phase order so drift over time does not favour one phase
    std::vector<std::string> order = phases;
    std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(round % order.size()), order.end());
    for (const std::string& ph : order) {
      if (stop_requested()) throw UsageError("interrupted");
      progress(fmt::format("round {}/{}{} {:<8} elapsed {:.0f} s", round, rounds, round == 0 ? " (warm-up)" : "",
                           ph, (now_ns() - t0) / 1e9));
      PhaseRun pr = run_phase(ph, round, o, s, nrs);
      if (round > 0) runs.push_back(std::move(pr));
    }
  }

  // Per-round throughput, paired by round for slowdown.
  std::map<std::string, std::vector<double>> ops_by_phase;
  for (int r = 1; r <= rounds; ++r)
    for (const auto& pr : runs)
      if (pr.round == r) ops_by_phase[pr.phase].push_back(pr.work.ops_per_sec);
  const auto& base = ops_by_phase["baseline"];
  const auto& floor = ops_by_phase["floor"];
  const auto& traced = ops_by_phase["traced"];

  ScenarioOutcome out;
  out.runs = nlohmann::json::array();
  StageHistograms hist;
  SessionReading cpu_sum;
  uint64_t expected = 0, ops = 0, received = 0, dropped = 0;
  nlohmann::json drops = {{"kernel_reserve", 0}, {"perf_lost", 0}, {"sampled_out", 0},
                          {"queue_full", 0},     {"pool_exhausted", 0}, {"malformed", 0}};
  nlohmann::json by_syscall = nlohmann::json::object();
  nlohmann::json governors = nlohmann::json::array();
  for (const auto& pr : runs) {
    nlohmann::json j = {{"index", pr.round}, {"phase", pr.phase}, {"workload", pr.work.to_json()}};
    const double b = base[static_cast<std::size_t>(pr.round - 1)];
    if (pr.phase != "baseline" && b > 0) j["slowdown_pct"] = (1.0 - pr.work.ops_per_sec / b) * 100.0;
    if (pr.session && pr.phase == "bare") {
      const SessionReport& rep = *pr.session;
      j["events"] = {{"expected", expected_events(pr.work, traced_names)}, {"received", rep.received()},
                     {"kernel_reserve", rep.total.kernel.kernel_reserve}};
      j["cpu"] = cpu_json(rep.total, rep.received() + rep.dropped_total(), probe.cpus, o.budget_pct);
    } else if (pr.session) {
      const SessionReport& rep = *pr.session;
      const uint64_t exp = expected_events(pr.work, traced_names);
      nlohmann::json ev = events_json(rep, exp, pr.governor.is_object() && pr.governor.value("action", nlohmann::json()) == "detach");
      j["events"] = ev;
      j["latency_ns"] = latency_json(rep.aggregate.hist);
      j["cpu"] = cpu_json(rep.total, rep.received() + rep.dropped_total(), probe.cpus, o.budget_pct);
      if (!pr.governor.is_null()) {
        j["governor"] = pr.governor;
        governors.push_back(pr.governor);
      }
      out.conserved = out.conserved && ev["conserved"].get<bool>();
      hist.merge(rep.aggregate.hist);
      expected += exp;
      ops += pr.work.ops;
      received += rep.received();
      dropped += rep.dropped_total();
      for (auto& [k, v] : drops.items()) v = v.get<uint64_t>() + ev["dropped"][k].get<uint64_t>();
      for (auto& [k, v] : ev["by_syscall"].items()) by_syscall[k] = by_syscall.value(k, uint64_t{0}) + v.get<uint64_t>();
      cpu_sum.wall_ns += rep.total.wall_ns;
      cpu_sum.bpf_ns += rep.total.bpf_ns;
      cpu_sum.bpf_runs += rep.total.bpf_runs;
      cpu_sum.consumer_ns += rep.total.consumer_ns;
      cpu_sum.workers_ns += rep.total.workers_ns;
    }
    out.runs.push_back(j);
  }

  nlohmann::json& s = out.summary;
  s["workload"] = {{"ops", ops},
                   {"ops_per_sec", median(traced)},
                   {"target_rate", spec.rate > 0 ? nlohmann::json(spec.rate) : nlohmann::json(nullptr)}};
  uint64_t lag = 0;
  for (const auto& pr : runs) lag = std::max(lag, pr.work.worst_lag_ns);
  s["workload"]["worst_lag_ns"] = lag;
  s["events"] = {{"expected", expected}, {"received", received}, {"dropped", drops}, {"dropped_total", dropped},
                 {"conserved", out.conserved}, {"by_syscall", by_syscall}};
  s["latency_ns"] = latency_json(hist);
  s["cpu"] = cpu_json(cpu_sum, received + dropped, probe.cpus, o.budget_pct);
  out.within_budget = s["cpu"]["within_budget"].get<bool>();
  const auto slow = paired_slowdowns(base, traced);
  const auto floor_slow = floor.empty() ? std::vector<double>{} : paired_slowdowns(base, floor);
  s["overhead"] = {{"baseline_ops_per_sec", median(base)},
                   {"traced_ops_per_sec", median(traced)},
                   {"slowdown_pct", median(slow)},
                   {"ci95", ci_pair(bootstrap_median_ci95(slow))}};
  if (!floor.empty()) {
    s["overhead"]["floor_ops_per_sec"] = median(floor);
    s["overhead"]["floor_slowdown_pct"] = median(floor_slow);
    s["overhead"]["floor_ci95"] = ci_pair(bootstrap_median_ci95(floor_slow));
  }
  if (ops_by_phase.count("bare")) {
    const auto& bare = ops_by_phase["bare"];
    const auto bare_slow = paired_slowdowns(base, bare);
    std::vector<double> kept;  // traced throughput as a fraction of the bare consumer's, per round
    for (std::size_t i = 0; i < bare.size() && i < traced.size(); ++i)
      if (bare[i] > 0) kept.push_back(traced[i] / bare[i] * 100.0);
    s["overhead"]["bare_ops_per_sec"] = median(bare);
    s["overhead"]["bare_slowdown_pct"] = median(bare_slow);
    s["overhead"]["bare_ci95"] = ci_pair(bootstrap_median_ci95(bare_slow));
    s["overhead"]["traced_vs_bare_pct"] = median(kept);
    s["overhead"]["traced_vs_bare_ci95"] = ci_pair(bootstrap_median_ci95(kept));
  }
  if (o.governor.enabled && !governors.empty()) {
    s["governor"] = governors.back();
    s["governor"]["triggered_in_runs"] = std::count_if(governors.begin(), governors.end(),
                                                       [](const auto& g) { return g.value("triggered", false); });
  } else {
    s["governor"] = {{"enabled", false}, {"triggered", false}, {"trigger_after_ms", nullptr}, {"action", nullptr}};
  }
  return out;
}

}  // namespace ringside
