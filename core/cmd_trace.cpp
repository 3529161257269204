// `ringside trace --pid PID[,PID…] --syscalls NAME[,NAME…]`: attach to processes ringside did
// not start, until --duration passes, every traced pid has exited, or Ctrl-C; then drain.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

#include "capability_probe.h"
#include "cli.h"
#include "clock.h"
#include "option_flags.h"
#include "privileges.h"
#include "results.h"
#include "stop_signal.h"
#include "syscall_names.h"

namespace ringside {
namespace {

struct TraceArgs {
  std::vector<std::string> pids;
  std::vector<std::string> syscalls;
  double duration_s = 0;  // 0 = until the pids exit or Ctrl-C
  std::string ready_file;
  bool follow_children = false;
  OptionFlags flags;
};

// A pid is gone once it no longer exists or is a zombie waiting for its parent.
bool process_alive(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || (line[close + 2] != 'Z' && line[close + 2] != 'X');
}

std::vector<pid_t> parse_pids(const std::vector<std::string>& texts) {
  std::vector<pid_t> pids;
  for (const auto& t : texts) {
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(t.c_str(), &end, 10);
    if (t.empty() || *end != '\0' || errno || v <= 0 || v > 4194304) throw UsageError("bad pid '" + t + "'");
    if (!process_alive(static_cast<pid_t>(v))) throw UsageError("no such process: " + t);
    pids.push_back(static_cast<pid_t>(v));
  }
  return pids;
}

int run_trace(TraceArgs& a) {
  RunOptions o = a.flags.resolve();
  if (a.duration_s < 0) throw UsageError("--duration must be ≥ 0");
  std::vector<pid_t> pids = parse_pids(a.pids);
  std::vector<int> nrs = parse_syscall_list(a.syscalls);
  check_output_dir(o.out);
  ensure_kernel_filesystems();
  ProbeReport probe = probe_host();
  o.pipeline.transport = require_bpf(probe, o.pipeline.transport);

  install_stop_handlers();
  TraceSession session(session_config(o, nrs, a.follow_children));
  for (pid_t p : pids) session.add_target(static_cast<uint32_t>(p));
  session.start();
  const std::string caps = drop_capabilities_after_attach(KeepCaps::none, session.tap().events_map_fd());
  if (!a.ready_file.empty()) std::ofstream(a.ready_file) << getpid() << '\n';
  fmt::print(stderr, "ringside: tracing {} pid(s), {} syscall(s) via {} ({}, wakeup {})\n", pids.size(), nrs.size(),
             o.pipeline.transport, o.pipeline.hook, o.pipeline.wakeup);

  const uint64_t t0 = now_ns();
  const bool tty = isatty(STDERR_FILENO);
  uint64_t next_progress = t0 + 1'000'000'000ull;
  std::string why = "all traced processes exited";
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const uint64_t now = now_ns();
    if (stop_requested()) {
      why = fmt::format("signal {}", stop_signal().load());
      break;
    }
    if (a.duration_s > 0 && now - t0 >= static_cast<uint64_t>(a.duration_s * 1e9)) {
      why = "duration reached";
      break;
    }
    bool any = false;
    for (pid_t p : pids) any = any || process_alive(p);
    if (!any) break;
    if (now >= next_progress) {
      SessionReading r = session.read();
      fmt::print(stderr, "{}trace: {:.1f} s, matched {}, received {}{}", tty ? "\r" : "", (now - t0) / 1e9,
                 r.kernel.matched, r.handled, tty ? "" : "\n");
      next_progress += 1'000'000'000ull;
    }
  }
  session.stop();
  if (tty) fmt::print(stderr, "\n");
  SessionReport rep = session.report();

  nlohmann::json results;
  results["schema"] = kResultsSchema;
  results["command"] = "trace";
  results["host"] = host_json(probe, rep.transport, rep.wakeup, rep.hook);
  results["host"]["capabilities_after_attach"] = caps;
  results["scenario"] = {{"pids", pids}, {"syscalls", a.syscalls}, {"duration_s", a.duration_s}, {"stopped_by", why}};
  auto events = events_json(rep, std::nullopt);
  results["summary"]["events"] = events;
  results["summary"]["latency_ns"] = latency_json(rep.aggregate.hist);
  results["summary"]["cpu"] = cpu_json(rep.total, rep.received() + rep.dropped_total(), probe.cpus, o.budget_pct);
  nlohmann::json by_pid = nlohmann::json::object();
  for (const auto& [pid, n] : rep.aggregate.by_pid) by_pid[std::to_string(pid)] = n;
  results["summary"]["events"]["by_pid"] = by_pid;
  write_results(o.out, results);

  const auto& d = events["dropped"];
  fmt::print("trace stopped ({}): matched {}, received {}, dropped {} (kernel_reserve {}, perf_lost {}, sampled_out {}, "
             "queue_full {}, pool_exhausted {}), end_to_end p50 {} ns p99 {} ns\n",
             why, rep.total.kernel.matched, rep.received(), rep.dropped_total(), d["kernel_reserve"].get<uint64_t>(),
             d["perf_lost"].get<uint64_t>(), d["sampled_out"].get<uint64_t>(), d["queue_full"].get<uint64_t>(),
             d["pool_exhausted"].get<uint64_t>(), results["summary"]["latency_ns"]["end_to_end"]["p50"].get<uint64_t>(),
             results["summary"]["latency_ns"]["end_to_end"]["p99"].get<uint64_t>());
  fmt::print("results: {}/results.json\n", o.out);
  return events["conserved"].get<bool>() ? kExitOk : kExitFailed;
}

}  // namespace

Subcommand register_trace(CLI::App& root) {
  auto a = std::make_shared<TraceArgs>();
  CLI::App* app = root.add_subcommand("trace", "trace syscalls of running processes through the full pipeline");
  app->add_option("--pid", a->pids, "process id(s) to trace")->required()->delimiter(',');
  app->add_option("--syscalls", a->syscalls, "syscall name(s), e.g. write,openat")->required()->delimiter(',');
  app->add_option("--duration", a->duration_s, "stop after S seconds (default: when the pids exit)");
  app->add_option("--ready-file", a->ready_file, "created once programs are attached and counting");
  app->add_flag("--follow-children", a->follow_children, "also trace processes the targets fork");
  a->flags.add_config(app);
  a->flags.add_pipeline(app);
  a->flags.add_out(app, "ringside-out");
  return {app, [a] { return run_trace(*a); }};
}

}  // namespace ringside
