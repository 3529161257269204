// `ringside run`: the main job. Interleaved baseline / hook floor / traced repetitions of a
// synthetic workload → per-stage latency, drops, CPU against the budget, slowdown with CI.
#include <fmt/format.h>
#include <unistd.h>

#include <sstream>

#include "capability_probe.h"
#include "cli.h"
#include "config.h"
#include "governor_validation.h"
#include "option_flags.h"
#include "privileges.h"
#include "report_runner.h"
#include "results.h"
#include "run_scenario.h"
#include "stop_signal.h"

namespace ringside {
namespace {

struct RunArgs {
  OptionFlags flags;
  bool no_report = false;
  bool enforce_budget = false;
  std::string phases = "baseline,floor,traced";
  std::string scenario;  // "governor": the governor's must-fire / must-not-fire validation
};

int run_governor_scenario(const RunOptions& o, const ProbeReport& probe) {
  const bool tty = isatty(STDERR_FILENO);
  GovernorValidation v = validate_governor(o, probe, [&](const std::string& line) {
    fmt::print(stderr, "{}[governor] {}{}", tty ? "\r\033[K" : "", line, tty ? "" : "\n");
  });
  if (tty) fmt::print(stderr, "\n");
  const auto& f = v.json["must_fire"]["verdict"];
  const auto& c = v.json["must_not_fire"]["verdict"];
  fmt::print("must-fire:     {} (first action at {} ms, limit {} ms; {}; overhead after {} %)\n",
             f["passed"].get<bool>() ? "PASS" : "FAIL", f["first_action_ms"].dump(), f["limit_ms"].dump(),
             f["detached"].get<bool>() ? "detached" : "sampling", f["overhead_after_pct"].dump());
  fmt::print("must-not-fire: {} ({} windows, {} false triggers)\n", c["passed"].get<bool>() ? "PASS" : "FAIL",
             c["windows"].get<std::size_t>(), c["false_triggers"].get<std::size_t>());
  for (const auto& e : v.json["edge"])
    fmt::print("edge {:>8}: mean overhead {:.3f} %, triggered {}, last action {}\n", e["rate"].dump(),
               e["mean_overhead_pct"].get<double>(), e.value("triggered", false), e.value("action", nlohmann::json()).dump());
  nlohmann::json results;
  results["schema"] = kResultsSchema;
  results["command"] = "run";
  results["host"] = host_json(probe, o.pipeline.transport, o.pipeline.wakeup, o.pipeline.hook);
  results["scenario"] = scenario_json(o);
  results["scenario"]["name"] = "governor";
  const auto& mf = v.json["must_fire"];
  results["summary"]["events"] = {{"expected", mf["issued"]}, {"received", mf["received"]}, {"matched", mf["matched"]},
                                  {"conserved", mf["conserved"]},
                                  {"dropped", {{"sampled_out", mf["sampled_out"]}}}};
  results["summary"]["governor"] = mf;
  results["governor_validation"] = v.json;
  write_results(o.out, results);
  fmt::print("results: {}/results.json\n", o.out);
  return v.passed ? kExitOk : kExitFailed;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

void print_summary(const RunOptions& o, const nlohmann::json& s) {
  const auto& ov = s["overhead"];
  fmt::print("\n{} workload, rate {}, {} thread(s), {} s x {} rounds, {} {} via {}\n", o.workload, o.rate, o.threads,
             o.duration_s, o.repeat, o.pipeline.transport, o.pipeline.wakeup, o.pipeline.hook);
  fmt::print("{:<10} {:>14} {:>24}\n", "phase", "ops/s median", "slowdown % [95% CI]");
  fmt::print("{:<10} {:>14.0f}\n", "baseline", ov["baseline_ops_per_sec"].get<double>());
  if (ov.contains("floor_ops_per_sec"))
    fmt::print("{:<10} {:>14.0f} {:>8.1f} [{:.1f}, {:.1f}]\n", "floor", ov["floor_ops_per_sec"].get<double>(),
               ov["floor_slowdown_pct"].get<double>(), ov["floor_ci95"][0].get<double>(), ov["floor_ci95"][1].get<double>());
  fmt::print("{:<10} {:>14.0f} {:>8.1f} [{:.1f}, {:.1f}]\n", "traced", ov["traced_ops_per_sec"].get<double>(),
             ov["slowdown_pct"].get<double>(), ov["ci95"][0].get<double>(), ov["ci95"][1].get<double>());
  if (ov.contains("bare_ops_per_sec"))
    fmt::print("{:<10} {:>14.0f} {:>8.1f} [{:.1f}, {:.1f}]   traced keeps {:.1f} % of bare throughput\n", "bare",
               ov["bare_ops_per_sec"].get<double>(), ov["bare_slowdown_pct"].get<double>(), ov["bare_ci95"][0].get<double>(),
               ov["bare_ci95"][1].get<double>(), ov["traced_vs_bare_pct"].get<double>());
  const auto& ev = s["events"];
  const auto& d = ev["dropped"];
  fmt::print("events: expected {}, received {}, dropped {} (kernel_reserve {}, perf_lost {}, sampled_out {}, "
             "queue_full {}, pool_exhausted {}) -> {}\n",
             ev["expected"].get<uint64_t>(), ev["received"].get<uint64_t>(), ev["dropped_total"].get<uint64_t>(),
             d["kernel_reserve"].get<uint64_t>(), d["perf_lost"].get<uint64_t>(), d["sampled_out"].get<uint64_t>(),
             d["queue_full"].get<uint64_t>(), d["pool_exhausted"].get<uint64_t>(),
             ev["conserved"].get<bool>() ? "conserved" : "NOT CONSERVED");
  fmt::print("{:<16} {:>10} {:>10} {:>10} {:>10} {:>12}\n", "latency ns", "p50", "p90", "p99", "p99.9", "max");
  for (const auto& [stage, h] : s["latency_ns"].items()) {
    if (h["count"].get<uint64_t>() == 0) continue;
    fmt::print("{:<16} {:>10} {:>10} {:>10} {:>10} {:>12}\n", stage, h["p50"].get<uint64_t>(), h["p90"].get<uint64_t>(),
               h["p99"].get<uint64_t>(), h["p999"].get<uint64_t>(), h["max"].get<uint64_t>());
  }
  const auto& c = s["cpu"];
  fmt::print("cpu: kernel {:.0f} ns/event, user {:.0f} ns/event; tracer {:.2f} % of the machine (budget {:.2f} %): {}\n",
             c["kernel_ns_per_event"].get<double>(), c["user_ns_per_event"].get<double>(),
             c["pct_of_machine"].get<double>(), c["budget_pct"].get<double>(),
             c["within_budget"].get<bool>() ? "within budget" : "OVER BUDGET");
  if (s.contains("governor") && s["governor"].value("enabled", false))
    fmt::print("governor: triggered {}, last action {}\n", s["governor"].value("triggered", false),
               s["governor"].value("action", nlohmann::json()).dump());
}

int run_run(RunArgs& a) {
  RunOptions base = a.flags.resolve_unvalidated();
  const std::vector<std::string> phases = parse_phases(a.phases);
  // --wakeup and --transport take lists: each combination is measured and tabulated
  const auto wakeups = split(base.pipeline.wakeup);
  const auto transports = split(base.pipeline.transport);
  std::vector<RunOptions> combos;
  for (const auto& t : transports)
    for (const auto& w : wakeups) {
      RunOptions o = base;
      o.pipeline.transport = t;
      o.pipeline.wakeup = w;
      validate(o);
      combos.push_back(o);
    }
  if (combos.empty()) throw UsageError("--transport and --wakeup need at least one value");
  check_output_dir(base.out);
  ensure_kernel_filesystems();
  ProbeReport probe = probe_host();
  for (auto& o : combos) o.pipeline.transport = require_bpf(probe, o.pipeline.transport);
  install_stop_handlers();
  if (a.scenario == "governor") return run_governor_scenario(combos.front(), probe);
  if (!a.scenario.empty()) throw UsageError("unknown --scenario '" + a.scenario + "': expected governor");

  const bool tty = isatty(STDERR_FILENO);
  nlohmann::json results;
  results["schema"] = kResultsSchema;
  results["command"] = "run";
  results["comparisons"] = nlohmann::json::array();
  bool conserved = true, within = true;
  for (std::size_t i = 0; i < combos.size(); ++i) {
    const RunOptions& o = combos[i];
    const std::string label = o.pipeline.transport + "/" + o.pipeline.wakeup;
    ScenarioOutcome out = run_scenario(
        o, probe,
        [&](const std::string& line) {
          fmt::print(stderr, "{}[{}] {}{}", tty ? "\r\033[K" : "", label, line, tty ? "" : "\n");
        },
        phases);
    if (tty) fmt::print(stderr, "\n");
    print_summary(o, out.summary);
    conserved = conserved && out.conserved;
    within = within && out.within_budget;
    if (i == 0) {
      results["host"] = host_json(probe, o.pipeline.transport, o.pipeline.wakeup, o.pipeline.hook);
      results["scenario"] = scenario_json(o);
      results["summary"] = out.summary;
      results["runs"] = out.runs;
    }
    if (combos.size() > 1)
      results["comparisons"].push_back({{"label", label},
                                        {"transport", o.pipeline.transport},
                                        {"wakeup", o.pipeline.wakeup},
                                        {"summary", out.summary}});
  }
  if (combos.size() == 1) results.erase("comparisons");
  results["host"]["capabilities_after_attach"] = capabilities_dropped();
  write_results(base.out, results);
  fmt::print("results: {}/results.json\n", base.out);
  if (!a.no_report) render_report(base.out);
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
  a->flags.add_workload(app);
  a->flags.add_pipeline(app);
  a->flags.add_governor(app);
  a->flags.add_out(app, "ringside-out");
  app->add_option("--phases", a->phases,
                  "phases per round: baseline,floor,bare,traced (bare = counting-only libbpf consumer)");
  app->add_option("--scenario", a->scenario, "governor: validate the auto-disable governor (must fire / must not fire)");
  app->add_flag("--no-report", a->no_report, "write results.json only (no report.md/html)");
  app->add_flag("--enforce-budget", a->enforce_budget, "exit 1 when the tracer is over the CPU budget");
  return {app, [a] { return run_run(*a); }};
}

}  // namespace ringside
