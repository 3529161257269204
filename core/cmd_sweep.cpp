// `ringside sweep`: a ladder of open-loop rates, each a run-style interleaved measurement, and
// the capacity plan that follows (cost model, max rates, ring size for a burst, predictions).
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <sstream>

#include "capacity_model.h"
#include "capability_probe.h"
#include "cli.h"
#include "option_flags.h"
#include "privileges.h"
#include "report_runner.h"
#include "results.h"
#include "run_scenario.h"
#include "stop_signal.h"
#include "workload.h"

namespace ringside {
namespace {

constexpr uint32_t kRingRecordBytes = sizeof(rs_event) + 8;  // record + ring buffer header

struct SweepArgs {
  OptionFlags flags;
  std::string rates = "1k,10k,50k,100k,200k,max";
  bool autoscan = false;
  std::string burst;  // RATE:SECONDS
  std::string plan;   // RATE[,CPUS]
  bool no_report = false;
};

nlohmann::json point_json(double target, const nlohmann::json& s) {
  const auto& cpu = s["cpu"];
  const double wall_pct = cpu["pct_of_machine"].get<double>();
  const double total_ns = cpu["bpf_ns"].get<double>() + cpu["consumer_ns"].get<double>() + cpu["workers_ns"].get<double>();
  const double kfrac = total_ns > 0 ? cpu["bpf_ns"].get<double>() / total_ns : 0;
  return {{"target_rate", target > 0 ? nlohmann::json(target) : nlohmann::json(nullptr)},
          {"achieved_rate", s["workload"]["ops_per_sec"]},
          {"expected", s["events"]["expected"]},
          {"received", s["events"]["received"]},
          {"dropped", s["events"]["dropped_total"]},
          {"e2e_p50_ns", s["latency_ns"]["end_to_end"]["p50"]},
          {"e2e_p99_ns", s["latency_ns"]["end_to_end"]["p99"]},
          {"tracer_cpu_pct", wall_pct},
          {"bpf_cpu_pct", wall_pct * kfrac},
          {"user_cpu_pct", wall_pct * (1 - kfrac)},
          {"slowdown_pct", s["overhead"]["slowdown_pct"]},
          {"within_budget", cpu["within_budget"]},
          {"conserved", s["events"]["conserved"]}};
}

std::vector<double> parse_rates(const std::string& text) {
  std::vector<double> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      out.push_back(parse_workload_rate(item));
    } catch (const std::exception& e) {
      throw UsageError(fmt::format("bad --rates entry '{}': {}", item, e.what()));
    }
  }
  if (out.empty()) throw UsageError("--rates needs at least one rate");
  return out;
}

bool is_bad(const nlohmann::json& p) {
  return p["dropped"].get<uint64_t>() > 0 || !p["within_budget"].get<bool>();
}

int run_sweep(SweepArgs& a) {
  RunOptions o = a.flags.resolve();
  if (!a.flags.given("--duration")) o.duration_s = 2;
  if (!a.flags.given("--repeat")) o.repeat = 3;
  double burst_rate = 0, burst_s = 0;
  if (!a.burst.empty()) {
    auto c = a.burst.find(':');
    try {
      if (c == std::string::npos) throw std::invalid_argument("x");
      burst_rate = parse_workload_rate(a.burst.substr(0, c));
      burst_s = std::stod(a.burst.substr(c + 1));
    } catch (const std::exception&) {
      throw UsageError("bad --burst '" + a.burst + "': expected RATE:SECONDS, e.g. 500k:2");
    }
    if (burst_rate <= 0 || burst_s <= 0) throw UsageError("bad --burst '" + a.burst + "': rate and seconds must be > 0");
  }
  double plan_rate = 0;
  int plan_cpus = online_cpus();
  if (!a.plan.empty()) {
    auto c = a.plan.find(',');
    try {
      plan_rate = parse_workload_rate(a.plan.substr(0, c));
      if (c != std::string::npos) plan_cpus = std::stoi(a.plan.substr(c + 1));
    } catch (const std::exception&) {
      throw UsageError("bad --plan '" + a.plan + "': expected RATE[,CPUS], e.g. 200k,16");
    }
    if (plan_rate <= 0 || plan_cpus <= 0) throw UsageError("bad --plan '" + a.plan + "': rate and CPUs must be > 0");
  }
  std::vector<double> ladder = a.autoscan ? std::vector<double>{1000} : parse_rates(a.rates);
  check_output_dir(o.out);
  ensure_kernel_filesystems();
  ProbeReport probe = probe_host();
  o.pipeline.transport = require_bpf(probe, o.pipeline.transport);
  install_stop_handlers();
  const bool tty = isatty(STDERR_FILENO);

  nlohmann::json points = nlohmann::json::array(), summaries = nlohmann::json::array();
  auto measure = [&](double rate) -> const nlohmann::json& {
    RunOptions ro = o;
    ro.rate = rate > 0 ? fmt::format("{:.0f}", rate) : "max";
    const std::string label = rate > 0 ? fmt::format("{:.0f}/s", rate) : "max";
    ScenarioOutcome out = run_scenario(ro, probe, [&](const std::string& line) {
      fmt::print(stderr, "{}[sweep {} #{}] {}{}", tty ? "\r\033[K" : "", label, points.size() + 1, line, tty ? "" : "\n");
    });
    points.push_back(point_json(rate, out.summary));
    summaries.push_back(out.summary);
    const auto& p = points.back();
    fmt::print("{}rate {:>10}: achieved {:>10.0f}/s, dropped {}, tracer {:.3f} % (kernel {:.3f}, user {:.3f}), "
               "slowdown {:.1f} %, e2e p50 {} ns p99 {} ns\n",
               tty ? "\r\033[K" : "", label, p["achieved_rate"].get<double>(), p["dropped"].get<uint64_t>(),
               p["tracer_cpu_pct"].get<double>(), p["bpf_cpu_pct"].get<double>(), p["user_cpu_pct"].get<double>(),
               p["slowdown_pct"].get<double>(), p["e2e_p50_ns"].get<uint64_t>(), p["e2e_p99_ns"].get<uint64_t>());
    return points.back();
  };

  if (!a.autoscan) {
    for (double r : ladder) measure(r);
  } else {
    // walk up ×4 until drops or the budget is blown (or the workload cannot reach the rate)
    double good = 0, bad = 0;
    for (double r = 1000; r <= 64e6; r *= 4) {
      const auto& p = measure(r);
      if (is_bad(p) || p["achieved_rate"].get<double>() < 0.9 * r) {
        bad = r;
        break;
      }
      good = r;
    }
    // then bisect the knee (geometric midpoints) a few times
    for (int i = 0; i < 3 && good > 0 && bad > 0; ++i) {
      const double mid = std::sqrt(good * bad);
      const auto& p = measure(mid);
      (is_bad(p) || p["achieved_rate"].get<double>() < 0.9 * mid ? bad : good) = mid;
    }
  }

  // Fit on the open-loop points (the closed-loop "max" point has a different shape of load).
  std::vector<double> x, ytot, ykern, yuser;
  double max_no_drops = -1, max_within = -1, drain = 0;
  for (const auto& p : points) {
    const double rate = p["achieved_rate"].get<double>();
    if (!p["target_rate"].is_null()) {
      x.push_back(rate);
      ytot.push_back(p["tracer_cpu_pct"].get<double>());
      ykern.push_back(p["bpf_cpu_pct"].get<double>());
      yuser.push_back(p["user_cpu_pct"].get<double>());
    }
    if (p["dropped"].get<uint64_t>() == 0) max_no_drops = std::max(max_no_drops, rate);
    if (p["within_budget"].get<bool>()) max_within = std::max(max_within, rate);
    // the consumer drained everything it was offered up to this rate
    if (p["dropped"].get<uint64_t>() == 0) drain = std::max(drain, rate);
  }
  const LinearFit total = fit_line(x, ytot), kern = fit_line(x, ykern), user = fit_line(x, yuser);
  nlohmann::json sweep = {{"workload", o.workload},
                          {"budget_pct", o.budget_pct},
                          {"points", points},
                          {"model", {{"kernel", kern.to_json()}, {"user", user.to_json()}, {"total", total.to_json()}}},
                          {"max_rate_no_drops", max_no_drops >= 0 ? nlohmann::json(max_no_drops) : nlohmann::json(nullptr)},
                          {"observed_max_rate_within_budget", max_within >= 0 ? nlohmann::json(max_within) : nlohmann::json(nullptr)},
                          {"ns_per_event",
                           {{"kernel", ns_per_event_from_slope(kern, probe.cpus)}, {"user", ns_per_event_from_slope(user, probe.cpus)}}}};
  auto model_max = rate_at_budget(total, o.budget_pct);
  sweep["max_rate_within_budget"] = model_max ? nlohmann::json(*model_max) : nlohmann::json(nullptr);
  sweep["ring_recommendation"] = nullptr;
  if (burst_rate > 0) sweep["ring_recommendation"] = ring_for_burst(burst_rate, burst_s, drain, kRingRecordBytes).to_json();
  sweep["plan"] = nullptr;
  if (plan_rate > 0) {
    const double pct = predict_pct(total, plan_rate, probe.cpus, plan_cpus);
    sweep["plan"] = {{"rate", plan_rate}, {"cpus", plan_cpus}, {"predicted_pct", pct}, {"within_budget", pct <= o.budget_pct}};
  }

  nlohmann::json results;
  results["schema"] = kResultsSchema;
  results["command"] = "sweep";
  results["host"] = host_json(probe, o.pipeline.transport, o.pipeline.wakeup, o.pipeline.hook);
  results["host"]["capabilities_after_attach"] = capabilities_dropped();
  results["scenario"] = scenario_json(o);
  results["summary"] = summaries.back();
  results["sweep"] = sweep;
  results["sweep"]["summaries"] = summaries;
  write_results(o.out, results);

  fmt::print("\ncapacity ({}, {} CPUs, budget {:.2f} %):\n", o.workload, probe.cpus, o.budget_pct);
  fmt::print("  model: tracer % = {:.4f} + {:.3e}·rate (r² {:.3f}); kernel {:.0f} ns/event, user {:.0f} ns/event\n", total.a,
             total.b, total.r2, ns_per_event_from_slope(kern, probe.cpus), ns_per_event_from_slope(user, probe.cpus));
  fmt::print("  max rate without drops (observed): {}\n", max_no_drops >= 0 ? fmt::format("{:.0f}/s", max_no_drops) : "none");
  fmt::print("  max rate within budget (model): {}\n", model_max ? fmt::format("{:.0f}/s", *model_max) : "n/a");
  if (burst_rate > 0) {
    const auto& r = sweep["ring_recommendation"];
    fmt::print("  burst {:.0f}/s for {:.1f} s with drain {:.0f}/s: needs {} bytes -> ring of {} bytes\n", burst_rate, burst_s,
               drain, r["bytes_needed"].get<uint64_t>(), r["ring_bytes"].get<uint64_t>());
  }
  if (plan_rate > 0)
    fmt::print("  plan: {:.0f}/s on {} CPUs -> {:.3f} % of the machine ({})\n", plan_rate, plan_cpus,
               sweep["plan"]["predicted_pct"].get<double>(), sweep["plan"]["within_budget"].get<bool>() ? "within budget" : "over budget");
  fmt::print("results: {}/results.json\n", o.out);
  if (!a.no_report) render_report(o.out);
  return kExitOk;
}

}  // namespace

Subcommand register_sweep(CLI::App& root) {
  auto a = std::make_shared<SweepArgs>();
  CLI::App* app = root.add_subcommand("sweep", "capacity planning: a ladder of event rates and the cost model");
  a->flags.add_config(app);
  a->flags.add_workload(app);
  a->flags.add_pipeline(app);
  a->flags.add_out(app, "ringside-sweep");
  app->add_option("--rates", a->rates, "comma-separated rates (1k,10k,…,max)");
  app->add_flag("--auto", a->autoscan, "walk up ×4 from 1k until drops or over budget, then bisect the knee");
  app->add_option("--burst", a->burst, "RATE:SECONDS burst to size the ring buffer for");
  app->add_option("--plan", a->plan, "RATE[,CPUS]: predicted overhead at a production rate");
  app->add_flag("--no-report", a->no_report, "write results.json only");
  return {app, [a] { return run_sweep(*a); }};
}

}  // namespace ringside
