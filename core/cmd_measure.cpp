// `ringside measure --agent "CMD"`: what ANY eBPF agent costs. Interleaved rounds of the workload
// alone and with the agent running (order alternating per round, round 0 a discarded warm-up) →
// workload slowdown with a bootstrap CI, the agent's process-tree CPU, its BPF programs' run time,
// and the total against the CPU budget.
#include <fmt/format.h>

#include <map>
#include <tuple>
#include <stdexcept>

#include "ab_stats.h"
#include "bpf_prog_stats.h"
#include "capability_probe.h"
#include "cli.h"
#include "measure_phase.h"
#include "rate.h"
#include "results.h"

namespace ringside {
namespace {

struct MeasureArgs {
  std::string agent;
  std::string workload = "write";
  std::string rate = "max";
  int threads = 1;
  double duration_s = 3.0;
  int repeat = 5;
  double settle_s = 2.0;
  double budget_pct = 1.0;
  bool enforce_budget = false;
  std::string out = "ringside-measure";
};

MeasureConfig make_config(const MeasureArgs& a, int cpus) {
  if (a.agent.empty()) throw UsageError("--agent needs a command");
  if (a.repeat < 1) throw UsageError("--repeat must be at least 1");
  if (a.settle_s < 0) throw UsageError("--settle must be >= 0 seconds");
  if (a.budget_pct <= 0) throw UsageError("--budget must be > 0 percent");
  MeasureConfig c;
  c.agent = a.agent;
  c.workload.kind = a.workload;
  c.workload.rate = parse_rate(a.rate);
  c.workload.threads = a.threads;
  c.workload.duration_s = a.duration_s;
  try {
    validate(c.workload);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  c.settle_s = a.settle_s;
  c.out_dir = a.out;
  c.cpus = cpus;
  return c;
}

void print_progress(const PhaseResult& r, int repeat, int cpus) {
  const std::string round = r.round == 0 ? "warm-up" : fmt::format("round {}/{}", r.round, repeat);
  std::string line = fmt::format("{:<12} {:<8} {:>12.0f} ops/s", round, r.phase, r.workload.ops_per_sec);
  if (r.phase == "agent")
    line += fmt::format("  agent cpu {:.2f} %  bpf {:.2f} % ({} programs, {} runs)", r.agent_cpu_pct(cpus),
                        r.bpf_cpu_pct(cpus), r.programs.size(), r.bpf_runs());
  if (!r.foreign_programs.empty())
    line += fmt::format("  [other bpf programs ran: {} runs in {}]", r.foreign.run_cnt, r.foreign_programs.size());
  if (!r.valid) line += "  INVALID: agent exited";
  fmt::print("{}\n", line);
  std::fflush(stdout);
}

// Per program, summed over the measured rounds. Ids change when the agent restarts, so a program
// is known by (name, type, how many same-named programs of its round come before it); the last
// round's id is kept.
nlohmann::json program_totals(const std::vector<const PhaseResult*>& agent_runs) {
  std::map<std::tuple<std::string, std::string, int>, ProgStats> totals;
  for (const PhaseResult* r : agent_runs) {
    std::map<std::pair<std::string, std::string>, int> seen;
    for (const ProgStats& p : r->programs) {  // ascending id order within a round
      ProgStats& t = totals[{p.name, p.type, seen[{p.name, p.type}]++}];
      t.id = p.id;
      t.name = p.name;
      t.type = p.type;
      t.run_cnt += p.run_cnt;
      t.run_time_ns += p.run_time_ns;
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [key, p] : totals) out.push_back(program_json(p));
  return out;
}

// null for an unpaced ("max") workload, as `run` writes it.
nlohmann::json rate_json(const MeasureConfig& c) {
  return c.workload.rate > 0 ? nlohmann::json(c.workload.rate) : nlohmann::json(nullptr);
}

nlohmann::json summarize(const MeasureArgs& a, const MeasureConfig& c, const std::vector<PhaseResult>& runs) {
  std::map<int, const PhaseResult*> base, agent;
  for (const auto& r : runs)
    if (r.round > 0 && r.valid) (r.phase == "agent" ? agent : base)[r.round] = &r;
  std::vector<double> base_ops, agent_ops, base_eff, agent_eff, ops, agent_pct, bpf_pct, total_pct, bpf_ns, user_ns;
  std::vector<const PhaseResult*> agent_runs;
  uint64_t sum_bpf_ns = 0, sum_runs = 0, sum_ops = 0;
  for (const auto& [round, ar] : agent) {
    if (!base.count(round)) continue;
    base_ops.push_back(base[round]->workload.ops_per_sec);
    agent_ops.push_back(ar->workload.ops_per_sec);
    base_eff.push_back(base[round]->ops_per_cpu_sec());
    agent_eff.push_back(ar->ops_per_cpu_sec());
    ops.push_back(static_cast<double>(ar->workload.ops));
    agent_pct.push_back(ar->agent_cpu_pct(c.cpus));
    bpf_pct.push_back(ar->bpf_cpu_pct(c.cpus));
    total_pct.push_back(agent_pct.back() + bpf_pct.back());
    bpf_ns.push_back(static_cast<double>(ar->bpf_ns()));
    user_ns.push_back(static_cast<double>(ar->agent_cpu_ns));
    sum_bpf_ns += ar->bpf_ns();
    sum_runs += ar->bpf_runs();
    sum_ops += ar->workload.ops;
    agent_runs.push_back(ar);
  }
  int foreign = 0;
  for (const auto& r : runs) foreign += r.round > 0 && !r.foreign_programs.empty();
  const std::vector<double> slowdowns = paired_slowdowns(base_ops, agent_ops);
  const auto ci = bootstrap_median_ci95(slowdowns);
  // The same slowdown in ops per workload CPU-second: immune to CPU taken by unrelated load.
  const std::vector<double> per_cpu = paired_slowdowns(base_eff, agent_eff);
  const auto per_cpu_ci = bootstrap_median_ci95(per_cpu);
  const double pct = median(total_pct);
  auto per = [](uint64_t ns, uint64_t n) { return n ? static_cast<double>(ns) / static_cast<double>(n) : 0.0; };
  return {
      {"workload",
       {{"ops", static_cast<uint64_t>(median(ops))}, {"ops_per_sec", median(agent_ops)}, {"target_rate", rate_json(c)}}},
      {"overhead",
       {{"baseline_ops_per_sec", median(base_ops)}, {"traced_ops_per_sec", median(agent_ops)},
        {"slowdown_pct", median(slowdowns)}, {"ci95", {ci[0], ci[1]}}, {"paired_rounds", slowdowns.size()},
        {"baseline_ops_per_cpu_sec", median(base_eff)}, {"traced_ops_per_cpu_sec", median(agent_eff)},
        {"per_cpu_slowdown_pct", median(per_cpu)}, {"per_cpu_ci95", {per_cpu_ci[0], per_cpu_ci[1]}},
        {"phases_with_foreign_bpf", foreign}}},
      {"cpu",
       {{"bpf_ns", median(bpf_ns)}, {"agent_user_ns", median(user_ns)}, {"pct_of_machine", pct},
        {"budget_pct", a.budget_pct}, {"within_budget", pct <= a.budget_pct},
        {"kernel_ns_per_event", per(sum_bpf_ns, sum_runs)}, {"bpf_ns_per_workload_op", per(sum_bpf_ns, sum_ops)}}},
      {"measure_detail",
       {{"agent_cpu_pct", median(agent_pct)}, {"bpf_cpu_pct", median(bpf_pct)},
        {"bpf_programs", program_totals(agent_runs)}}}};
}

std::string with_ci(const nlohmann::json& value, const nlohmann::json& ci) {
  return fmt::format("{:.1f} [{:.1f}, {:.1f}]", value.get<double>(), ci[0].get<double>(), ci[1].get<double>());
}

void print_summary(const MeasureArgs& a, const nlohmann::json& results) {
  const auto& s = results["summary"];
  const auto& ov = s["overhead"];
  const auto& cpu = s["cpu"];
  const auto& m = results["measure"];
  fmt::print("\nagent: {}\n{} workload, rate {}, {} thread(s), {} s x {} rounds (+1 warm-up), settle {} s\n", a.agent,
             a.workload, a.rate, a.threads, a.duration_s, a.repeat, a.settle_s);
  fmt::print("{:<10} {:>14} {:>10} {:>22} {:>16} {:>22}\n", "phase", "ops/s median", "target", "slowdown % [95% CI]",
             "ops/cpu-s", "slowdown % [95% CI]");
  fmt::print("{:<10} {:>14.0f} {:>10} {:>22} {:>16.0f}\n", "baseline", ov["baseline_ops_per_sec"].get<double>(), a.rate,
             "", ov["baseline_ops_per_cpu_sec"].get<double>());
  fmt::print("{:<10} {:>14.0f} {:>10} {:>22} {:>16.0f} {:>22}\n", "agent", ov["traced_ops_per_sec"].get<double>(), a.rate,
             with_ci(ov["slowdown_pct"], ov["ci95"]), ov["traced_ops_per_cpu_sec"].get<double>(),
             with_ci(ov["per_cpu_slowdown_pct"], ov["per_cpu_ci95"]));
  fmt::print("{:<6} {:<40} {:<16} {:>14} {:>12}\n", "id", "bpf program", "type", "runs", "ns/run");
  for (const auto& p : m["bpf_programs"])
    fmt::print("{:<6} {:<40} {:<16} {:>14} {:>12.1f}\n", p["id"].get<uint32_t>(), p["name"].get<std::string>(),
               p["type"].get<std::string>(), p["run_cnt"].get<uint64_t>(), p["ns_per_run"].get<double>());
  if (m["bpf_programs"].empty()) fmt::print("(no bpf programs attributed to the agent)\n");
  const int noisy = results["summary"]["overhead"]["phases_with_foreign_bpf"].get<int>();
  if (noisy > 0)
    fmt::print("warning: other tracers' bpf programs ran during {} measured phase(s): expect noisier numbers\n", noisy);
  fmt::print("agent cost: process tree {:.2f} % + bpf {:.2f} % ({:.0f} ns/run) = {:.2f} % of the machine "
             "(budget {:.2f} %): {}\n",
             m["agent_cpu_pct"].get<double>(), m["bpf_cpu_pct"].get<double>(),
             cpu["kernel_ns_per_event"].get<double>(), cpu["pct_of_machine"].get<double>(),
             cpu["budget_pct"].get<double>(), cpu["within_budget"].get<bool>() ? "within budget" : "OVER BUDGET");
}

// Warm-up plus `repeat` rounds of both phases; stops at the first invalid phase and says why there.
std::vector<PhaseResult> measure_rounds(const MeasureConfig& config, int repeat, std::string& invalid) {
  std::vector<PhaseResult> runs;
  for (int round = 0; round <= repeat; ++round) {
    // Alternate which phase goes first so drift between phases does not favour one of them; the
    // warm-up starts with the agent so a broken agent fails at once.
    const bool agent_first = round % 2 == 0;
    for (int i = 0; i < 2; ++i) {
      const bool agent_phase = (i == 0) == agent_first;
      runs.push_back(agent_phase ? run_agent_phase(config, round) : run_baseline_phase(config, round));
      print_progress(runs.back(), repeat, config.cpus);
      if (!runs.back().valid) {
        invalid = fmt::format("round {}: {}", round, runs.back().invalid_reason);
        return runs;
      }
    }
  }
  return runs;
}

nlohmann::json build_results(const MeasureArgs& a, const MeasureConfig& config, const ProbeReport& probe,
                             const std::vector<PhaseResult>& runs) {
  nlohmann::json results = {{"schema", kResultsSchema}, {"command", "measure"}};
  results["host"] = {{"kernel", probe.kernel}, {"cpus", probe.cpus}, {"btf", probe.has("btf")},
                     {"jit", probe.has("jit")}, {"ringside_version", RINGSIDE_VERSION}};
  results["scenario"] = {{"workload", a.workload}, {"rate", rate_json(config)}, {"threads", a.threads},
                         {"duration_s", a.duration_s}, {"repeat", a.repeat}, {"agent", a.agent},
                         {"settle_s", a.settle_s}, {"budget_pct", a.budget_pct}};
  nlohmann::json summary = summarize(a, config, runs);
  results["measure"] = summary["measure_detail"];
  results["measure"]["agent"] = a.agent;
  results["measure"]["cpu_method"] =
      "agent: sum over its process tree (pid, descendants by ppid, session members) of "
      "CLOCK_PROCESS_CPUTIME + reaped children's cutime+cstime, delta over the workload window; "
      "bpf: run_time_ns deltas of the programs it loaded (BPF_ENABLE_STATS)";
  summary.erase("measure_detail");
  results["summary"] = summary;
  results["runs"] = nlohmann::json::array();
  std::map<int, double> base_ops;
  for (const auto& r : runs)
    if (r.phase == "baseline") base_ops[r.round] = r.workload.ops_per_sec;
  for (const auto& r : runs) {
    nlohmann::json j = r.to_json(config.cpus);
    const bool paired = r.phase == "agent" && r.valid && base_ops.count(r.round) && base_ops[r.round] > 0;
    j["slowdown_pct"] = paired ? nlohmann::json((1.0 - r.workload.ops_per_sec / base_ops[r.round]) * 100.0)
                               : nlohmann::json(nullptr);
    results["runs"].push_back(j);
  }
  return results;
}

int run_measure(const MeasureArgs& a) {
  const ProbeReport probe = probe_host();
  const MeasureConfig config = make_config(a, probe.cpus);
  check_output_dir(a.out);
  ensure_kernel_filesystems(/*quiet=*/true);  // tracefs for agents that attach by tracepoint name
  std::optional<BpfStatsGuard> stats;  // program run times only advance while this is held
  try {
    stats.emplace();
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  std::string invalid;
  const std::vector<PhaseResult> runs = measure_rounds(config, a.repeat, invalid);
  const nlohmann::json results = build_results(a, config, probe, runs);
  write_results(a.out, results);
  if (!invalid.empty()) throw UsageError(invalid);
  print_summary(a, results);
  fmt::print("results: {}/results.json\n", a.out);
  return a.enforce_budget && !results["summary"]["cpu"]["within_budget"].get<bool>() ? kExitFailed : kExitOk;
}

}  // namespace

Subcommand register_measure(CLI::App& root) {
  auto args = std::make_shared<MeasureArgs>();
  CLI::App* app = root.add_subcommand("measure", "measure what any eBPF agent costs a workload");
  app->add_option("--agent", args->agent, "the agent's command line (run with /bin/sh -c)")->required();
  app->add_option("--workload", args->workload, "write|openat|getppid|exec|connect|mixed (default write)");
  app->add_option("--rate", args->rate, "ops/s: max or N, 10k, 2M (default max)");
  app->add_option("--threads", args->threads, "workload threads (default 1)");
  app->add_option("--duration", args->duration_s, "seconds per phase (default 3)");
  app->add_option("--repeat", args->repeat, "measured rounds after one warm-up (default 5)");
  app->add_option("--settle", args->settle_s, "seconds the agent gets to attach (default 2)");
  app->add_option("--budget", args->budget_pct, "CPU budget, % of the machine (default 1.0)");
  app->add_flag("--enforce-budget", args->enforce_budget, "exit 1 when the agent is over the budget");
  app->add_option("--out", args->out, "output directory (default ringside-measure)");
  return {app, [args] { return run_measure(*args); }};
}

}  // namespace ringside
