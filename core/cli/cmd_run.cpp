// `ringside run`: the main job. Interleaved baseline / hook floor / traced repetitions of a
// synthetic workload → per-stage latency, drops, CPU against the budget, slowdown with CI.
#include <fmt/format.h>

#include "capability_probe.h"
#include "cli.h"
#include "command_setup.h"
#include "console.h"
#include "governor_scenario.h"
#include "option_flags.h"
#include "phases.h"
#include "values.h"
#include "privileges.h"
#include "report_runner.h"
#include "results_json.h"
#include "stop_signal.h"
#include "write_results.h"

namespace ringside {
namespace {

// `--scenario`: validations run instead of the measurement.
enum class Scenario : uint8_t { governor };

}  // namespace
template <>
struct EnumNames<Scenario> {
  static constexpr std::array<std::pair<Scenario, std::string_view>, 1> table = {{{Scenario::governor, "governor"}}};
};
namespace {

struct RunArgs {
  OptionFlags flags;
  bool no_report = false;
  bool enforce_budget = false;
  std::string warmup_s;  // "": min(1, --duration)
  std::string phases = "baseline,floor,traced";
  std::string scenario;  // "governor": the governor's must-fire / must-not-fire validation
};

int run_governor_scenario(const RunOptions& o, const ProbeReport& probe, const OutputDir& out,
                          const std::string& bpf_stats) {
  const Progress progress("governor");
  GovernorValidation v = validate_governor(o, probe, [&](const std::string& line) { progress(line); });
  progress.done();
  print_governor_validation(v);
  Results r;
  r.command = "run";
  r.host = host_of(probe, o.pipeline);
  r.host.bpf_stats = bpf_stats;
  RunScenario sc = scenario_of(o);
  sc.name = "governor";
  r.scenario = sc;
  Summary s;
  s.events = v.must_fire.events;
  s.governor = v.must_fire.governor;
  r.summary = s;
  r.governor_validation = v;
  write_results(out, r);
  fmt::print("results: {}/results.json\n", out.path());
  return v.passed ? kExitOk : kExitFailed;
}

// --transport and --wakeup take lists: every combination is measured and tabulated.
std::vector<RunOptions> combinations(const OptionFlags& flags, const RunOptions& base) {
  const auto transports = flags.text("--transport")
                              ? parse_list(*flags.text("--transport"), parse_enum<Transport>).value_or_throw("--transport")
                              : std::vector<Transport>{base.pipeline.transport};
  const auto wakeups = flags.text("--wakeup") ? parse_list(*flags.text("--wakeup"), parse_wakeup).value_or_throw("--wakeup")
                                              : std::vector<WakeupPolicy>{base.pipeline.wakeup};
  std::vector<RunOptions> combos;
  for (Transport t : transports)
    for (const WakeupPolicy& w : wakeups) {
      RunOptions o = base;
      o.pipeline.transport = t;
      o.pipeline.wakeup = w;
      combos.push_back(o);
    }
  return combos;
}

int run_run(RunArgs& a) {
  RunOptions base = a.flags.resolve({"--transport", "--wakeup"});
  if (!a.flags.given("run.workload")) default_workload_for_programs(base);
  const auto object = complete_program_options(base, [&](std::string_view key) {
    return key != "agent.ebpf.transport" && a.flags.given(key);  // --transport may be a list here
  });
  const std::vector<Phase> phases = parse_phases(a.phases).value_or_throw("--phases");
  check_phases(base, phases);
  if (object && a.flags.text("--transport") && *a.flags.text("--transport") != to_string(object->transport))
    throw UsageError(fmt::format("--transport {}: map '{}' decides it ({})", *a.flags.text("--transport"),
                                 base.bpf_object.ring, to_string(object->transport)));
  std::vector<RunOptions> combos = combinations(a.flags, base);
  if (object)
    for (auto& o : combos) o.pipeline.transport = object->transport;
  for (const auto& o : combos) check_rings(o);
  std::optional<Scenario> scenario;
  if (!a.scenario.empty()) scenario = parse_enum<Scenario>(a.scenario).value_or_throw("--scenario");
  std::optional<double> warmup_s;  // nullopt: run_scenario's default
  if (!a.warmup_s.empty()) warmup_s = parse_number(a.warmup_s, 0, 3600).value_or_throw("--warmup-s");
  const Prepared env = prepare_bpf_command(base, KeepCaps::bpf);
  const ProbeReport& probe = env.probe;
  for (auto& o : combos) o.pipeline.transport = require_bpf(probe, o.pipeline.transport);
  if (scenario == Scenario::governor) return run_governor_scenario(combos.front(), probe, *env.out, env.bpf_stats);

  Results r;
  r.command = "run";
  bool conserved = true, within = true;
  std::string failure;
  for (std::size_t i = 0; i < combos.size(); ++i) {
    const RunOptions& o = combos[i];
    const std::string label = fmt::format("{}/{}", to_string(o.pipeline.transport), to_string(o.pipeline.wakeup));
    const Progress progress(label);
    ScenarioOutcome outcome = run_scenario(
        o, probe, [&](const std::string& line) { progress(line); }, phases, env.sink, warmup_s);
    progress.done();
    const bool measured = outcome.complete_rounds > 0;
    if (measured) {
      print_run_summary(o, outcome.summary);
      conserved = conserved && outcome.summary.events.conserved();
      within = within && outcome.summary.cpu.within_budget();
    }
    if (i == 0) {
      r.host = host_of(probe, o.pipeline);
      RunScenario sc = scenario_of(o);
      sc.bpf_object = object;
      r.scenario = sc;
      if (measured) r.summary = outcome.summary;
      r.runs = std::move(outcome.runs);
    }
    if (combos.size() > 1 && measured)
      r.comparisons.push_back({label, o.pipeline.transport, o.pipeline.wakeup, outcome.summary});
    if (outcome.interrupted) {
      r.interrupted = true;
      failure = outcome.failure;
      r.stopped_by = failure.empty() ? fmt::format("signal {}", stop_signal().load()) : failure;
      fmt::print(stderr, "ringside: {} after {} complete round(s) of {}; keeping them\n",
                 failure.empty() ? "interrupted" : failure, outcome.complete_rounds, label);
      break;
    }
  }
  r.host.capabilities_after_attach = capabilities_dropped();
  r.host.bpf_stats = env.bpf_stats;
  r.sink = finish_sink(env.sink);
  write_results(*env.out, r);
  fmt::print("results: {}/results.json\n", base.out);
  if (!a.no_report && r.summary) render_report(base.out);
  if (!failure.empty()) return kExitUsage;  // results of the complete rounds are written; the run failed
  if (r.interrupted) return interrupted_exit_code();
  if (!conserved) {
    fmt::print(stderr, "ringside: events were not conserved (received + drops != issued)\n");
    return kExitFailed;
  }
  if (a.enforce_budget && !within) return kExitFailed;
  return kExitOk;
}

}  // namespace

Subcommand register_run(CLI::App& root) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* app = root.add_subcommand("run", "measure the pipeline's cost on a synthetic workload (the main job)");
  a->flags.add_config(app);
  a->flags.add(app, OptionGroup::workload);
  a->flags.add(app, OptionGroup::programs);
  a->flags.add(app, OptionGroup::pipeline);
  a->flags.add(app, OptionGroup::governor);
  a->flags.add_out(app, "ringside-out");
  app->add_option("--phases", a->phases,
                  "phases per round: baseline,floor,floor_nostats,bare,aggregate,traced (floor_nostats = the floor "
                  "without BPF_ENABLE_STATS; bare = lean_tap and a counting consumer; aggregate = the programs "
                  "counting in the kernel)");
  app->add_option("--scenario", a->scenario, "governor: validate the auto-disable governor (must fire / must not fire)");
  app->add_flag("--no-report", a->no_report, "write results.json only (no report.md/html)");
  app->add_option("--warmup-s", a->warmup_s,
                  "seconds of each phase of the discarded warm-up round (default: --duration, at most 1; 0 skips "
                  "it)");
  app->add_flag("--enforce-budget", a->enforce_budget, "exit 1 when the tracer is over the CPU budget");
  return {app, [a] { return run_run(*a); }};
}

}  // namespace ringside
