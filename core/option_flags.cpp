#include "option_flags.h"

#include <algorithm>

#include "capability_probe.h"
#include "cli.h"
#include "config.h"

namespace ringside {

template <typename T>
void OptionFlags::bind(CLI::App* app, const std::string& flag, T RunOptions::*field, const std::string& help) {
  CLI::Option* opt;
  if constexpr (std::is_same_v<T, bool>)
    opt = app->add_flag(flag, (*values_).*field, help);
  else
    opt = app->add_option(flag, (*values_).*field, help);
  appliers_.emplace_back(opt, [field](RunOptions& to, const RunOptions& from) { to.*field = from.*field; });
}

template <typename T>
void OptionFlags::bind_pipe(CLI::App* app, const std::string& flag, T PipelineOptions::*field, const std::string& help) {
  CLI::Option* opt;
  if constexpr (std::is_same_v<T, bool>)
    opt = app->add_flag(flag, values_->pipeline.*field, help);
  else
    opt = app->add_option(flag, values_->pipeline.*field, help);
  appliers_.emplace_back(opt, [field](RunOptions& to, const RunOptions& from) { to.pipeline.*field = from.pipeline.*field; });
}

void OptionFlags::add_config(CLI::App* app) {
  app->add_option("--config", config_path_, "YAML config (agent.ebpf.*, agent.pipeline.*, run.*); flags override it");
}

void OptionFlags::add_pipeline(CLI::App* app) {
  bind_pipe(app, "--transport", &PipelineOptions::transport, "ringbuf|perfbuf (default ringbuf)");
  bind_pipe(app, "--wakeup", &PipelineOptions::wakeup, "every|adaptive|batch:N (default batch:2048)");
  bind_pipe(app, "--hook", &PipelineOptions::hook, "raw_tp|tracepoint (default raw_tp)");
  bind_pipe(app, "--workers", &PipelineOptions::workers, "worker threads (default: online CPUs - 1, at least 1)");
  bind_pipe(app, "--queue-policy", &PipelineOptions::queue_policy, "drop|block when a worker queue is full");
  bind_pipe(app, "--pool-size", &PipelineOptions::pool_size, "pooled events (default 65536)");
  bind_pipe(app, "--queue-size", &PipelineOptions::queue_size, "per-worker queue slots (default 16384)");
  bind_pipe(app, "--ring-bytes", &PipelineOptions::ring_bytes, "ring buffer bytes / perf buffer bytes over all CPUs");
  bind_pipe(app, "--pin", &PipelineOptions::pin, "pin consumer to CPU 0 and workers to the next CPUs");
  bind_pipe(app, "--sink", &PipelineOptions::sink, "write every event as a JSON line to this file");
  bind_pipe(app, "--inject-handler-delay-ns", &PipelineOptions::inject_handler_delay_ns,
            "testing aid: busy-wait this long in the handler (for gate power tests)");
}

void OptionFlags::add_governor(CLI::App* app) {
  auto* opt = app->add_flag("--governor", values_->governor.enabled, "enable the auto-disable governor");
  appliers_.emplace_back(opt, [](RunOptions& to, const RunOptions& from) { to.governor.enabled = from.governor.enabled; });
  opt = app->add_option("--governor-window-ms", values_->governor.window_ms, "governor window (default 500)");
  appliers_.emplace_back(opt, [](RunOptions& to, const RunOptions& from) { to.governor.window_ms = from.governor.window_ms; });
  opt = app->add_option("--governor-windows-over", values_->governor.windows_over, "over-budget windows before a step (default 3)");
  appliers_.emplace_back(opt, [](RunOptions& to, const RunOptions& from) { to.governor.windows_over = from.governor.windows_over; });
  opt = app->add_option("--max-overhead", values_->governor.max_overhead_percent, "governor budget, % of the machine (default 1.0)");
  appliers_.emplace_back(opt, [](RunOptions& to, const RunOptions& from) {
    to.governor.max_overhead_percent = from.governor.max_overhead_percent;
  });
  opt = app->add_option("--governor-max-drop-ratio", values_->governor.max_drop_ratio, "drop ratio that counts as over (default 0.1)");
  appliers_.emplace_back(opt, [](RunOptions& to, const RunOptions& from) { to.governor.max_drop_ratio = from.governor.max_drop_ratio; });
  opt = app->add_option("--governor-degrade", values_->governor.degrade, "degrade ladder, e.g. sample:2,sample:8,detach")
            ->delimiter(',');
  appliers_.emplace_back(opt, [](RunOptions& to, const RunOptions& from) { to.governor.degrade = from.governor.degrade; });
  opt = app->add_option("--governor-recover-after", values_->governor.recover_after_windows,
                        "calm windows before stepping back (0 = never, default)");
  appliers_.emplace_back(opt, [](RunOptions& to, const RunOptions& from) {
    to.governor.recover_after_windows = from.governor.recover_after_windows;
  });
}

void OptionFlags::add_workload(CLI::App* app) {
  bind(app, "--workload", &RunOptions::workload, "write|openat|getppid|exec|connect|mixed (default write)");
  bind(app, "--rate", &RunOptions::rate, "ops/s (10k, 1M) or max (default max)");
  bind(app, "--threads", &RunOptions::threads, "workload threads (default 1)");
  bind(app, "--duration", &RunOptions::duration_s, "seconds per phase (default 3)");
  bind(app, "--repeat", &RunOptions::repeat, "interleaved repetitions (default 5)");
  bind(app, "--budget", &RunOptions::budget_pct, "CPU budget, % of the machine (default 1.0)");
}

void OptionFlags::add_out(CLI::App* app, const std::string& default_out) {
  values_->out = default_out;
  bind(app, "--out", &RunOptions::out, "results directory (default " + default_out + ")");
}

bool OptionFlags::given(const std::string& flag) const {
  for (const auto& [opt, apply] : appliers_)
    if (opt->check_lname(flag.substr(2)) && opt->count() > 0) return true;
  return false;
}

RunOptions OptionFlags::resolve() const {
  RunOptions o = resolve_unvalidated();
  validate(o);
  return o;
}

RunOptions OptionFlags::resolve_unvalidated() const {
  RunOptions o;
  if (!values_->out.empty()) o.out = values_->out;  // the command's default --out
  if (!config_path_.empty()) load_config_file(config_path_, o);
  for (const auto& [opt, apply] : appliers_)
    if (opt->count() > 0) apply(o, *values_);
  return o;
}

uint32_t default_workers(uint32_t workers) {
  if (workers > 0) return workers;
  return static_cast<uint32_t>(std::clamp(online_cpus() - 1, 1, 8));
}

SessionConfig session_config(const RunOptions& o, std::vector<int> syscalls, bool follow_children) {
  SessionConfig c;
  c.tap.transport = o.pipeline.transport;
  c.tap.hook = o.pipeline.hook;
  c.tap.wakeup = *parse_wakeup(o.pipeline.wakeup);  // validated by resolve()
  c.tap.ring_bytes = o.pipeline.ring_bytes;
  c.tap.syscalls = std::move(syscalls);
  c.tap.follow_children = follow_children;
  c.pipeline.workers = default_workers(o.pipeline.workers);
  c.pipeline.queue_policy = o.pipeline.queue_policy;
  c.pipeline.pool_size = o.pipeline.pool_size;
  c.pipeline.queue_size = o.pipeline.queue_size;
  c.pipeline.pin = o.pipeline.pin;
  c.pipeline.sink = o.pipeline.sink;
  c.pipeline.inject_handler_delay_ns = o.pipeline.inject_handler_delay_ns;
  // batched wake-ups leave a tail below the threshold: a short poll timeout picks it up
  c.pipeline.poll_timeout_ms = c.tap.wakeup.kind == WakeupPolicy::batch ? 10 : 100;
  return c;
}

}  // namespace ringside
