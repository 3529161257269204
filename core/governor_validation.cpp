#include "governor_validation.h"

#include <fmt/format.h>

#include <algorithm>

#include "governor_loop.h"
#include "option_flags.h"
#include "syscall_names.h"
#include "trace_session.h"
#include "workload_process.h"

namespace ringside {
namespace {

// One traced interval with the governor on; returns its governor JSON plus the session totals.
nlohmann::json governed_run(const RunOptions& o, double rate, double duration_s, const std::string& wakeup,
                            const ProbeReport& probe) {
  RunOptions ro = o;
  ro.pipeline.wakeup = wakeup;
  ro.governor.enabled = true;
  WorkloadSpec spec;
  spec.kind = "write";
  spec.rate = rate;
  spec.duration_s = duration_s;
  auto child = WorkloadProcess::spawn(spec);
  TraceSession session(session_config(ro, parse_syscall_list({"write"}), false));
  session.add_target(static_cast<uint32_t>(child.pid()));
  session.start();
  GovernorLoop gov(ro.governor, session, probe.cpus);
  child.go();
  WorkloadResult truth = child.wait();
  gov.stop();
  session.stop();
  SessionReport rep = session.report();
  nlohmann::json g = gov.to_json();
  g["rate"] = rate > 0 ? nlohmann::json(rate) : nlohmann::json("max");
  g["achieved_rate"] = truth.ops_per_sec;
  g["issued"] = truth.ops;
  g["matched"] = rep.total.kernel.matched;
  g["received"] = rep.received();
  g["dropped"] = rep.dropped_total();
  g["sampled_out"] = rep.total.kernel.sampled_out;
  if (gov.detached()) g["unobserved_after_detach"] = truth.ops - std::min(truth.ops, rep.total.kernel.matched);
  g["conserved"] = rep.received() + rep.dropped_total() == rep.total.kernel.matched &&
                   rep.total.kernel.matched <= truth.ops;
  return g;
}

}  // namespace

GovernorValidation validate_governor(const RunOptions& o, const ProbeReport& probe, const ProgressFn& progress) {
  GovernorValidation v;
  const GovernorOptions& g = o.governor;
  const double window_s = g.window_ms / 1000.0;

  // must fire: long enough for every rung of the ladder plus a few windows after the last
  const double fire_s = window_s * (g.windows_over * (g.degrade.size() + 1) + 4);
  progress(fmt::format("must-fire: max-rate write, wakeup every, {:.1f} s", fire_s));
  nlohmann::json fire = governed_run(o, 0, fire_s, "every", probe);
  const auto& steps = fire["steps"];
  const bool fired = !steps.empty();
  double first_step_ms = fired ? steps[0]["t_ms"].get<double>() : 0;
  const double limit_ms = (g.windows_over + 1) * g.window_ms;
  // windows measured after the last action: were they under budget (or was it detached)?
  const bool detached = fired && steps.back()["action"] == "detach";
  double after_sum = 0;
  int after_n = 0;
  if (fired) {
    const double last_ms = steps.back()["t_ms"].get<double>();
    for (const auto& w : fire["windows"])
      if (w["t_ms"].get<double>() > last_ms + g.window_ms) after_sum += w["overhead_pct"].get<double>(), ++after_n;
  }
  const double after_mean = after_n ? after_sum / after_n : 0;
  const bool fire_ok = fired && first_step_ms <= limit_ms + g.window_ms * 0.5 &&
                       (detached || (after_n > 0 && after_mean <= g.max_overhead_percent)) && fire["conserved"].get<bool>();
  fire["verdict"] = {{"fired", fired},
                     {"first_action_ms", fired ? nlohmann::json(first_step_ms) : nlohmann::json(nullptr)},
                     {"limit_ms", limit_ms},
                     {"detached", detached},
                     {"overhead_after_pct", after_n ? nlohmann::json(after_mean) : nlohmann::json(nullptr)},
                     {"passed", fire_ok}};

  // must not fire: 1k events/s over at least 30 windows
  const double calm_s = window_s * 32;
  progress(fmt::format("must-not-fire: 1k/s write, {:.1f} s ({} windows)", calm_s, 32));
  nlohmann::json calm = governed_run(o, 1000, calm_s, o.pipeline.wakeup, probe);
  const std::size_t false_triggers = calm["steps"].size();
  const bool calm_ok = false_triggers == 0 && calm["windows"].size() >= 30 && calm["conserved"].get<bool>();
  calm["verdict"] = {{"windows", calm["windows"].size()}, {"false_triggers", false_triggers}, {"passed", calm_ok}};

  // the edge: reported only
  nlohmann::json edge = nlohmann::json::array();
  for (double rate : {20000.0, 50000.0, 100000.0, 200000.0}) {
    progress(fmt::format("edge: {:.0f}/s write", rate));
    nlohmann::json e = governed_run(o, rate, window_s * 12, o.pipeline.wakeup, probe);
    double sum = 0;
    for (const auto& w : e["windows"]) sum += w["overhead_pct"].get<double>();
    e["mean_overhead_pct"] = e["windows"].empty() ? 0.0 : sum / static_cast<double>(e["windows"].size());
    edge.push_back(e);
  }
  v.passed = fire_ok && calm_ok;
  v.json = {{"must_fire", fire}, {"must_not_fire", calm}, {"edge", edge}, {"passed", v.passed},
            {"options", {{"window_ms", g.window_ms}, {"windows_over", g.windows_over},
                         {"max_overhead_percent", g.max_overhead_percent}, {"degrade", g.degrade}}}};
  return v;
}

}  // namespace ringside
