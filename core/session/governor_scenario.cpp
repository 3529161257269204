#include "governor_scenario.h"

#include <fmt/format.h>

#include <algorithm>

#include "accounting.h"
#include "governor_loop.h"
#include "syscall_names.h"
#include "trace_session.h"
#include "workload_process.h"

namespace ringside {
namespace {

// One traced interval of a write workload with the governor on.
GovernedRun governed_run(const RunOptions& o, double rate, double duration_s, const WakeupPolicy& wakeup,
                         const ProbeReport& probe) {
  RunOptions ro = o;
  ro.pipeline.wakeup = wakeup;
  ro.governor.enabled = true;
  ro.rate = Rate{rate};
  const WorkloadSpec spec = workload_spec(ro, duration_s);
  const auto names = traced_syscalls(spec);
  auto child = WorkloadProcess::spawn(spec);
  const SessionConfig sc =
      session_config(ro, names.empty() ? std::vector<int>{} : parse_syscall_list(names), needs_follow_children(spec));
  TraceSession session(sc);
  session.add_target(static_cast<uint32_t>(child.pid()));
  session.start();
  GovernorLoop gov(ro.governor, session, probe.cpus);
  child.go();
  child.wait_done();
  gov.stop();
  session.stop();
  const WorkloadResult truth = child.wait();
  const SessionReport rep = session.report();
  GovernedRun g;
  g.governor = gov.report();
  g.rate = rate;
  g.achieved_rate = truth.ops_per_sec;
  g.events = event_counts(rep, sc, &truth, gov.detached());
  return g;
}

}  // namespace

GovernorValidation validate_governor(const RunOptions& o, const ProbeReport& probe, const ProgressFn& progress) {
  GovernorValidation v;
  const GovernorOptions& g = o.governor;
  v.options = g;
  const double window_s = g.window_ms / 1000.0;
  const WakeupPolicy every{WakeupPolicy::Kind::every, 1};

  // must fire: long enough for every rung of the ladder plus a few windows after the last
  const double fire_s = window_s * (g.windows_over * (static_cast<double>(g.degrade.size()) + 1) + 4);
  const std::string work(to_string(o.workload));
  progress(fmt::format("must-fire: max-rate {}, wakeup every, {:.1f} s", work, fire_s));
  v.must_fire = governed_run(o, 0, fire_s, every, probe);
  const auto& steps = v.must_fire.governor.steps;
  MustFireVerdict& f = v.fire_verdict;
  f.fired = !steps.empty();
  f.limit_ms = (g.windows_over + 1) * g.window_ms;
  if (f.fired) f.first_action_ms = steps.front().t_ms;
  // windows measured after the last action: were they under budget (or was it detached)?
  f.detached = v.must_fire.governor.detached;
  double after_sum = 0;
  int after_n = 0;
  if (f.fired) {
    const double last_ms = steps.back().t_ms;
    for (const auto& w : v.must_fire.governor.windows)
      if (w.t_ms > last_ms + g.window_ms) after_sum += w.overhead_pct, ++after_n;
  }
  if (after_n) f.overhead_after_pct = after_sum / after_n;
  f.passed = f.fired && *f.first_action_ms <= f.limit_ms + g.window_ms * 0.5 &&
             (f.detached || (after_n > 0 && *f.overhead_after_pct <= g.max_overhead_percent)) && v.must_fire.events.conserved();

  // must not fire: 1k events/s over at least 30 windows
  const double calm_s = window_s * 32;
  progress(fmt::format("must-not-fire: 1k/s {}, {:.1f} s ({} windows)", work, calm_s, 32));
  v.must_not_fire = governed_run(o, 1000, calm_s, o.pipeline.wakeup, probe);
  MustNotFireVerdict& c = v.calm_verdict;
  c.false_triggers = v.must_not_fire.governor.steps.size();
  c.windows = v.must_not_fire.governor.windows.size();
  c.passed = c.false_triggers == 0 && c.windows >= 30 && v.must_not_fire.events.conserved();

  // the edge: reported only
  for (double rate : {20000.0, 50000.0, 100000.0, 200000.0}) {
    progress(fmt::format("edge: {:.0f}/s {}", rate, work));
    v.edge.push_back(governed_run(o, rate, window_s * 12, o.pipeline.wakeup, probe));
  }
  v.passed = f.passed && c.passed;
  return v;
}

}  // namespace ringside
