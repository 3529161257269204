// `ringside measure --agent "CMD"`: what ANY eBPF agent costs. Interleaved rounds of the workload
// alone and with the agent running (order alternating per round, round 0 a discarded warm-up) →
// workload slowdown with a bootstrap CI, the agent's process-tree CPU, its BPF programs' run time,
// and the total against the CPU budget.
#include <fmt/format.h>

#include "bpf_prog_stats.h"
#include "capability_probe.h"
#include "cli.h"
#include "console.h"
#include "measure_phase.h"
#include "measure_summary.h"
#include "results_json.h"
#include "stop_signal.h"
#include "workload_process.h"
#include "write_results.h"

namespace ringside {
namespace {

struct MeasureArgs {
  std::string agent;
  std::string workload = "write";
  std::string rate = "max";
  std::string threads = "1";
  std::string duration = "3";
  std::string repeat = "5";
  std::string settle = "2";
  std::string budget = "1.0";
  bool enforce_budget = false;
  std::string out = "ringside-measure";
};

MeasureScenario scenario_of(const MeasureArgs& a) {
  if (a.agent.empty()) throw UsageError("--agent needs a command");
  MeasureScenario s;
  s.agent = a.agent;
  s.workload = parse_enum<WorkloadKind>(a.workload).value_or_throw("--workload");
  s.rate = parse_rate(a.rate).value_or_throw("--rate").per_sec;
  s.threads = static_cast<int>(parse_count(a.threads, 1, 256).value_or_throw("--threads"));
  s.duration_s = parse_number(a.duration, 0, 86400, true).value_or_throw("--duration");
  s.repeat = static_cast<int>(parse_count(a.repeat, 1, 1000).value_or_throw("--repeat"));
  s.settle_s = parse_number(a.settle, 0, 3600).value_or_throw("--settle");
  s.budget_pct = parse_number(a.budget, 0, 100, true).value_or_throw("--budget");
  return s;
}

MeasureConfig make_config(const MeasureScenario& s, const std::string& out, int cpus) {
  MeasureConfig c;
  c.agent = s.agent;
  c.workload.kind = s.workload;
  c.workload.rate = s.rate;
  c.workload.threads = s.threads;
  c.workload.duration_s = s.duration_s;
  try {
    validate(c.workload);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  c.settle_s = s.settle_s;
  c.out_dir = out;
  c.cpus = cpus;
  return c;
}

// Warm-up plus `repeat` rounds of both phases; stops at the first invalid phase and says why
// there. A stop signal abandons the round in progress and keeps the complete ones.
std::vector<MeasurePhase> measure_rounds(const MeasureConfig& config, int repeat, std::string& invalid,
                                         bool& interrupted) {
  std::vector<MeasurePhase> runs;
  for (int round = 0; round <= repeat; ++round) {
    // Alternate which phase goes first so drift between phases does not favour one of them; the
    // warm-up starts with the agent so a broken agent fails at once.
    const bool agent_first = round % 2 == 0;
    for (int i = 0; i < 2; ++i) {
      const bool agent_phase = (i == 0) == agent_first;
      try {
        if (stop_requested()) throw WorkloadInterrupted("interrupted");
        runs.push_back(agent_phase ? run_agent_phase(config, round) : run_baseline_phase(config, round));
      } catch (const std::exception&) {
        if (!stop_requested()) throw;  // a real failure
        interrupted = true;
        std::erase_if(runs, [&](const MeasurePhase& r) { return r.round == round; });
        return runs;
      }
      print_measure_phase(runs.back(), repeat, config.cpus);
      if (!runs.back().valid) {
        invalid = fmt::format("round {}: {}", round, runs.back().invalid_reason);
        return runs;
      }
    }
  }
  return runs;
}

int run_measure(const MeasureArgs& a) {
  const MeasureScenario scenario = scenario_of(a);
  const ProbeReport probe = probe_host();
  MeasureConfig config = make_config(scenario, a.out, probe.cpus);
  config.stop = stop_requested;
  const OutputDir out(a.out);
  install_stop_handlers();  // before the agents' handlers: they stop agents, then set the flag
  ensure_kernel_filesystems(/*quiet=*/true);  // tracefs for agents that attach by tracepoint name
  const BpfStats stats = acquire_bpf_stats();  // program run times only advance while this holds
  std::string invalid;
  bool interrupted = false;
  MeasureResults m;
  m.runs = measure_rounds(config, scenario.repeat, invalid, interrupted);
  m.summary = summarize_measure(m.runs, scenario, probe.cpus);
  Results r;
  r.command = "measure";
  r.host = host_of(probe);
  r.host.bpf_stats = stats.method;
  r.scenario = scenario;
  r.measure = m;
  r.interrupted = interrupted;
  write_results(out, r);
  if (interrupted) {
    fmt::print(stderr, "ringside: interrupted; results of the complete rounds: {}/results.json\n", a.out);
    return interrupted_exit_code();
  }
  if (!invalid.empty()) throw UsageError(invalid);
  print_measure_summary(scenario, m.summary);
  fmt::print("results: {}/results.json\n", a.out);
  return a.enforce_budget && !m.summary.within_budget() ? kExitFailed : kExitOk;
}

}  // namespace

Subcommand register_measure(CLI::App& root) {
  auto args = std::make_shared<MeasureArgs>();
  CLI::App* app = root.add_subcommand("measure", "measure what any eBPF agent costs a workload");
  app->add_option("--agent", args->agent, "the agent's command line (run with /bin/sh -c)")->required();
  app->add_option("--workload", args->workload, enum_choices<WorkloadKind>() + " (default write)");
  app->add_option("--rate", args->rate, "ops/s: max or N, 10k, 2M (default max)");
  app->add_option("--threads", args->threads, "workload threads (default 1)");
  app->add_option("--duration", args->duration, "seconds per phase (default 3)");
  app->add_option("--repeat", args->repeat, "measured rounds after one warm-up (default 5)");
  app->add_option("--settle", args->settle, "seconds the agent gets to attach (default 2)");
  app->add_option("--budget", args->budget, "CPU budget, % of the machine (default 1.0)");
  app->add_flag("--enforce-budget", args->enforce_budget, "exit 1 when the agent is over the budget");
  app->add_option("--out", args->out, "output directory (default ringside-measure)");
  return {app, [args] { return run_measure(*args); }};
}

}  // namespace ringside
