// `ringside sweep`: a ladder of open-loop rates, each a run-style interleaved measurement, and
// the capacity plan that follows (cost model, max rates, ring size for a burst, predictions).
#include <fmt/format.h>

#include <cmath>

#include "capability_probe.h"
#include "cli.h"
#include "command_setup.h"
#include "console.h"
#include "option_flags.h"
#include "phases.h"
#include "privileges.h"
#include "report_runner.h"
#include "results_json.h"
#include "stop_signal.h"
#include "write_results.h"

extern "C" {
#include <linux/types.h>

#include "syscall_tap.h"
}

namespace ringside {
namespace {

constexpr double kFallbackRecordBytes = sizeof(rs_syscall_event);  // when no record was received

struct SweepArgs {
  OptionFlags flags;
  std::string rates = "1k,10k,50k,100k,200k,max";
  bool autoscan = false;
  std::string burst;  // RATE:SECONDS
  std::string plan;   // RATE[,CPUS]
  std::string payload_sizes;  // a second axis: record size at the first rate
  std::string latency_bounds;  // a second axis: the rate ladder under each reader latency bound
  bool no_report = false;
};

// A positive rate (not max), for --burst and --plan.
double paced_rate(std::string_view text, std::string_view flag) {
  const Rate r = parse_rate(text).value_or_throw(flag);
  if (r.is_max()) throw_usage(flag, "expected a rate in ops/s, not max");
  return r.per_sec;
}

bool is_bad(const SweepPoint& p) { return p.dropped > 0 || !p.within_budget; }

int run_sweep(SweepArgs& a) {
  RunOptions o = a.flags.resolve();
  if (!a.flags.given("run.workload")) default_workload_for_programs(o);
  const auto object = complete_program_options(o, [&](std::string_view key) { return a.flags.given(key); });
  // a sweep has many rungs: shorter defaults, unless the flags or the config file say otherwise
  if (!a.flags.given("run.duration_s")) o.duration_s = 2;
  if (!a.flags.given("run.repeat")) o.repeat = 3;
  double burst_rate = 0, burst_s = 0;
  if (!a.burst.empty()) {
    const auto c = a.burst.find(':');
    if (c == std::string::npos) throw UsageError("bad --burst '" + a.burst + "': expected RATE:SECONDS, e.g. 500k:2");
    burst_rate = paced_rate(std::string_view(a.burst).substr(0, c), "--burst");
    burst_s = parse_number(std::string_view(a.burst).substr(c + 1), 0, 3600, true).value_or_throw("--burst seconds");
  }
  double plan_rate = 0;
  int plan_cpus = online_cpus();
  if (!a.plan.empty()) {
    const auto c = a.plan.find(',');
    plan_rate = paced_rate(std::string_view(a.plan).substr(0, c), "--plan");
    if (c != std::string::npos)
      plan_cpus = static_cast<int>(parse_count(std::string_view(a.plan).substr(c + 1), 1, 65536).value_or_throw("--plan cpus"));
  }
  // every rung is checked before any runs
  std::vector<Rate> ladder = a.autoscan ? std::vector<Rate>{Rate{1000}} : parse_list(a.rates, parse_rate).value_or_throw("--rates");
  std::vector<uint64_t> bounds;
  if (!a.latency_bounds.empty()) {
    bounds = parse_list(a.latency_bounds, [](std::string_view t) { return parse_count(t, 1, 10000); })
                 .value_or_throw("--latency-bounds");
    if (!a.payload_sizes.empty() || a.autoscan) throw_usage("--latency-bounds", "give it without --payload-sizes or --auto");
    if (o.pipeline.wakeup.kind != WakeupPolicy::Kind::batch)
      throw_usage("--latency-bounds", "the reader's latency bound applies to batch wake-ups (--wakeup batch:N)");
  }
  const Prepared env = prepare_bpf_command(o, KeepCaps::bpf);
  const ProbeReport& probe = env.probe;

  SweepResult sweep;
  sweep.workload = o.workload;
  sweep.budget_pct = o.budget_pct;
  bool interrupted = false;
  std::string failure;  // what ended the sweep early, when not a signal
  // One rung; false once a stop signal cut the sweep short (a rung with no complete round is
  // left out, one with some keeps them).
  // `bound` > 0: under that reader latency bound, into its LatencyBoundRun
  auto measure = [&](double rate, uint32_t bound = 0) -> bool {
    RunOptions ro = o;
    ro.rate = Rate{rate > 0 ? std::round(rate) : 0};
    if (bound) ro.pipeline.max_latency_ms = bound;
    const Progress progress(fmt::format("sweep {}{} #{}", bound ? fmt::format("bound {} ms, ", bound) : "",
                                        rate > 0 ? fmt::format("{:.0f}/s", rate) : "max", sweep.summaries.size() + 1));
    ScenarioOutcome outcome =
        run_scenario(ro, probe, [&](const std::string& line) { progress(line); }, kDefaultPhases, env.sink);
    progress.done();
    interrupted = outcome.interrupted;
    if (!outcome.failure.empty()) failure = outcome.failure;
    if (outcome.complete_rounds == 0) return false;
    auto& points = bound ? sweep.latency_bounds.back().points : sweep.points;
    points.push_back(SweepPoint::of(ro.rate.per_sec, outcome.summary));
    sweep.summaries.push_back(outcome.summary);
    if (bound) fmt::print("bound {:>5} ms: ", bound);
    print_sweep_point(points.back());
    return !interrupted;
  };
  const auto last = [&]() -> const SweepPoint& { return sweep.points.back(); };

  if (!a.payload_sizes.empty()) {
    // record size at one rate: the first of --rates (max unless given)
    const auto sizes = parse_list(a.payload_sizes, [](std::string_view t) { return parse_count(t, 0, 4096); })
                           .value_or_throw("--payload-sizes");
    for (uint64_t bytes : sizes) {
      if (interrupted) break;
      RunOptions ro = o;
      ro.payload_bytes = static_cast<uint32_t>(bytes);
      ro.rate = ladder.front();
      const Progress progress(fmt::format("payload {} B", bytes));
      const ScenarioOutcome outcome =
          run_scenario(ro, probe, [&](const std::string& line) { progress(line); }, kDefaultPhases, env.sink);
      progress.done();
      interrupted = outcome.interrupted;
      if (!outcome.failure.empty()) failure = outcome.failure;
      if (outcome.complete_rounds == 0) break;
      PayloadPoint pp;
      pp.payload_bytes = ro.payload_bytes;
      pp.record_bytes = outcome.summary.mean_record_bytes();
      pp.point = SweepPoint::of(ro.rate.per_sec, outcome.summary);
      pp.kernel_ns_per_event = outcome.summary.cpu.kernel_ns_per_event();
      pp.user_ns_per_event = outcome.summary.cpu.user_ns_per_event();
      sweep.payload_points.push_back(pp);
      sweep.summaries.push_back(outcome.summary);
      fmt::print("payload {:>5} B: record {:.0f} B, ", pp.payload_bytes, pp.record_bytes);
      print_sweep_point(pp.point);
    }
  } else if (!bounds.empty()) {
    for (uint64_t b : bounds) {
      if (interrupted) break;
      LatencyBoundRun run;
      run.max_latency_ms = static_cast<uint32_t>(b);
      sweep.latency_bounds.push_back(run);
      bool go = true;
      for (const Rate& r : ladder)
        if (!(go = measure(r.per_sec, run.max_latency_ms))) break;
      LatencyBoundRun& done = sweep.latency_bounds.back();
      std::vector<double> x, y;
      for (const SweepPoint& p : done.points)
        if (p.target_rate > 0) x.push_back(p.achieved_rate), y.push_back(p.tracer_cpu_pct);
      done.total = fit_line(x, y);
      done.max_rate_within_budget = rate_at_budget(done.total, o.budget_pct);
      if (!go) break;
    }
    for (const LatencyBoundRun& b : sweep.latency_bounds)
      fmt::print("latency bound {:>5} ms: max rate within {:.2f} %: {}\n", b.max_latency_ms, o.budget_pct,
                 b.max_rate_within_budget ? fmt::format("{:.0f}/s", *b.max_rate_within_budget) : "n/a (no fit)");
  } else if (!a.autoscan) {
    for (const Rate& r : ladder)
      if (!measure(r.per_sec)) break;
  } else {
    // walk up ×4 until drops or the budget is blown (or the workload cannot reach the rate)
    double good = 0, bad = 0;
    for (double r = 1000; r <= 64e6; r *= 4) {
      if (!measure(r)) break;
      if (is_bad(last()) || last().achieved_rate < 0.9 * r) {
        bad = r;
        break;
      }
      good = r;
    }
    // then bisect the knee (geometric midpoints) a few times
    for (int i = 0; i < 3 && good > 0 && bad > 0 && !interrupted; ++i) {
      const double mid = std::sqrt(good * bad);
      if (!measure(mid)) break;
      (is_bad(last()) || last().achieved_rate < 0.9 * mid ? bad : good) = mid;
    }
  }

  // Fit on the open-loop points (the closed-loop "max" point has a different shape of load).
  std::vector<double> x, ytot, ykern, yuser;
  double drain = 0;
  for (const SweepPoint& p : sweep.points) {
    if (p.target_rate > 0) {
      x.push_back(p.achieved_rate);
      ytot.push_back(p.tracer_cpu_pct);
      ykern.push_back(p.bpf_cpu_pct);
      yuser.push_back(p.user_cpu_pct);
    }
    if (p.dropped == 0) {
      sweep.max_rate_no_drops = std::max(sweep.max_rate_no_drops.value_or(0), p.achieved_rate);
      drain = std::max(drain, p.achieved_rate);  // the consumer drained everything up to this rate
    }
    if (p.within_budget)
      sweep.observed_max_rate_within_budget = std::max(sweep.observed_max_rate_within_budget.value_or(0), p.achieved_rate);
  }
  sweep.total = fit_line(x, ytot);
  sweep.kernel = fit_line(x, ykern);
  sweep.user = fit_line(x, yuser);
  sweep.kernel_ns_per_event = ns_per_event_from_slope(sweep.kernel, probe.cpus);
  sweep.user_ns_per_event = ns_per_event_from_slope(sweep.user, probe.cpus);
  sweep.max_rate_within_budget = rate_at_budget(sweep.total, o.budget_pct);
  // what one event takes in the ring: the records measured (mean, with its 8-byte ring header)
  uint64_t bytes = 0, received = 0;
  for (const Summary& sum : sweep.summaries)
    for (const ProgramSummary& p : sum.programs) bytes += p.record_bytes, received += p.events.received;
  sweep.record_bytes = received ? static_cast<double>(bytes) / static_cast<double>(received) : kFallbackRecordBytes;
  const auto slot = static_cast<uint32_t>(std::ceil(sweep.record_bytes)) + 8;
  if (burst_rate > 0) sweep.ring_recommendation = ring_for_burst(burst_rate, burst_s, drain, slot);
  if (plan_rate > 0) {
    const double pct = predict_pct(sweep.total, plan_rate, probe.cpus, plan_cpus);
    sweep.plan = SweepPlan{plan_rate, plan_cpus, pct, pct <= o.budget_pct};
  }

  Results r;
  r.command = "sweep";
  r.host = host_of(probe, o.pipeline);
  r.host.capabilities_after_attach = capabilities_dropped();
  r.host.bpf_stats = env.bpf_stats;
  RunScenario scenario = scenario_of(o);
  scenario.bpf_object = object;
  r.scenario = scenario;
  if (!sweep.summaries.empty()) r.summary = sweep.summaries.back();
  r.sweep = sweep;
  r.interrupted = interrupted;
  if (interrupted) r.stopped_by = failure.empty() ? fmt::format("signal {}", stop_signal().load()) : failure;
  if (!failure.empty()) fmt::print(stderr, "ringside: sweep stopped early: {}; the rungs measured are kept\n", failure);
  r.sink = finish_sink(env.sink);
  write_results(*env.out, r);
  print_capacity(sweep, probe.cpus);
  fmt::print("results: {}/results.json\n", o.out);
  if (!a.no_report && r.summary) render_report(o.out);
  if (!failure.empty()) return kExitUsage;
  return interrupted ? interrupted_exit_code() : kExitOk;
}

}  // namespace

Subcommand register_sweep(CLI::App& root) {
  auto a = std::make_shared<SweepArgs>();
  CLI::App* app = root.add_subcommand("sweep", "capacity planning: a ladder of event rates and the cost model");
  a->flags.add_config(app);
  a->flags.add(app, OptionGroup::workload);
  a->flags.add(app, OptionGroup::programs);
  a->flags.add(app, OptionGroup::pipeline);
  a->flags.add_out(app, "ringside-sweep");
  app->add_option("--rates", a->rates, "comma-separated rates (1k,10k,…,max)");
  app->add_flag("--auto", a->autoscan, "walk up ×4 from 1k until drops or over budget, then bisect the knee");
  app->add_option("--burst", a->burst, "RATE:SECONDS burst to size the ring buffer for");
  app->add_option("--plan", a->plan, "RATE[,CPUS]: predicted overhead at a production rate");
  app->add_option("--payload-sizes", a->payload_sizes,
                  "B1,B2,…: sweep record size instead of rate (syscall_tap write payload, file_ops name length) "
                  "at the first --rates rate");
  app->add_option("--latency-bounds", a->latency_bounds,
                  "MS1,MS2,…: run the rate ladder under each reader latency bound (--max-latency-ms): CPU vs "
                  "latency bound, and the highest rate within budget under each");
  app->add_flag("--no-report", a->no_report, "write results.json only");
  return {app, [a] { return run_sweep(*a); }};
}

}  // namespace ringside
