// `ringside trace --pid PID[,PID…] --syscalls NAME[,NAME…]`: attach to processes ringside did
// not start, until --duration passes, every traced pid has exited, or Ctrl-C; then drain.
#include <fmt/format.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <chrono>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "accounting.h"
#include "capability_probe.h"
#include "cli.h"
#include "command_setup.h"
#include "clock.h"
#include "console.h"
#include "option_flags.h"
#include "output_dir.h"
#include "phases.h"
#include "privileges.h"
#include "results_json.h"
#include "stop_signal.h"
#include "syscall_names.h"
#include "write_results.h"

namespace ringside {
namespace {

// --ready-file: its existence means "attached and counting", so it is created (0600, whole: the
// OutputDir write) only once the programs are attached, and while privileges are still held
// (before the drop). A file that exists before the attach would let a caller start too early.
void write_ready_file(const std::string& path, const std::string& text) {
  if (path.empty()) return;
  const std::filesystem::path p(path);
  OutputDir(p.has_parent_path() ? p.parent_path().string() : std::string(".")).write_file(p.filename().string(), text);
}

struct TraceArgs {
  std::vector<std::string> pids;
  std::vector<std::string> syscalls;
  std::string duration = "0";  // 0 = until the pids exit or Ctrl-C
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
    auto v = parse_count(t, 1, 4194304);
    if (!v) throw UsageError("bad pid '" + t + "'");
    if (!process_alive(static_cast<pid_t>(*v))) throw UsageError("no such process: " + t);
    pids.push_back(static_cast<pid_t>(*v));
  }
  return pids;
}

int run_trace(TraceArgs& a) {
  RunOptions o = a.flags.resolve();
  const double duration_s = parse_number(a.duration, 0, 366 * 86400.0).value_or_throw("--duration");
  std::vector<pid_t> pids = parse_pids(a.pids);
  const bool timing = std::find(o.programs.begin(), o.programs.end(), ProgramId::function_timing) != o.programs.end();
  // checked before the options are completed: run's default (the calls workload's function) is
  // nothing a traced process runs
  if (timing && o.function.empty()) throw UsageError("function_timing needs --function PATH:SYMBOL");
  const auto object = complete_program_options(o, [&](std::string_view key) { return a.flags.given(key); });
  if (object && o.bpf_object.expect_per_op >= 0)
    throw UsageError("--expect-per-op: trace has no workload to count ops (use run or sweep)");
  const bool taps = std::find(o.programs.begin(), o.programs.end(), ProgramId::syscall_tap) != o.programs.end();
  if (!a.syscalls.empty() && !taps) throw UsageError("--syscalls: only syscall_tap traces syscalls (--program)");
  // syscall_tap without --syscalls: every syscall of the traced processes
  const std::vector<int> nrs = !taps ? std::vector<int>{} : a.syscalls.empty() ? all_syscalls() : parse_syscall_list(a.syscalls);
  const Prepared env = prepare_bpf_command(o);
  const ProbeReport& probe = env.probe;
  SessionConfig sc = session_config(o, nrs, a.follow_children, env.sink);
  if (object && pids.size() > 1 && std::any_of(o.bpf_object.rodata.begin(), o.bpf_object.rodata.end(),
                                               [](const std::string& r) { return r.find("{pid}") != std::string::npos; }))
    throw UsageError("--rodata NAME={pid}: trace one --pid (which pid would it be?)");
  sc.load.target_pid = pids.front();
  if (!a.ready_file.empty()) ::unlink(a.ready_file.c_str());  // a stale one from an earlier run says nothing
  TraceSession session(sc);
  for (pid_t p : pids) session.add_target(static_cast<uint32_t>(p));
  session.attach();
  write_ready_file(a.ready_file, fmt::format("{}\n", getpid()));  // attached and counting; events wait in the ring
  const std::string caps = drop_capabilities(KeepCaps::none, session.any_map_fd());
  session.start_consumers();  // after the drop: every thread starts with none
  fmt::print(stderr, "ringside: tracing {} pid(s) with {} via {} (wakeup {}{})\n", pids.size(),
             object ? fmt::format("{} ({} program(s), ring {})", object->file, object->programs.size(), object->ring)
                    : join_names(o.programs),
             to_string(o.pipeline.transport), to_string(o.pipeline.wakeup),
             taps ? fmt::format(", {} syscall(s) on {}", nrs.size(), to_string(o.pipeline.hook)) : "");

  const uint64_t t0 = now_ns();
  const Progress progress;
  uint64_t next_progress = t0 + 1'000'000'000ull;
  std::string why = "all traced processes exited";
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const uint64_t now = now_ns();
    if (stop_requested()) {
      why = fmt::format("signal {}", stop_signal().load());
      break;
    }
    if (duration_s > 0 && static_cast<double>(now - t0) >= duration_s * 1e9) {
      why = "duration reached";
      break;
    }
    bool any = false;
    for (pid_t p : pids) any = any || process_alive(p);
    if (!any) break;
    if (now >= next_progress) {
      const SessionReading r = session.read();
      progress(object ? fmt::format("trace: {:.1f} s, received {}", static_cast<double>(now - t0) / 1e9, r.handled)
                      : fmt::format("trace: {:.1f} s, matched {}, received {}", static_cast<double>(now - t0) / 1e9,
                                    r.kernel.matched, r.handled));
      next_progress += 1'000'000'000ull;
    }
  }
  session.stop();
  progress.done();
  const SessionReport rep = session.report();

  Results r;
  r.command = "trace";
  r.host = host_of(probe, o.pipeline);
  r.host.capabilities_after_attach = caps;
  r.host.bpf_stats = env.bpf_stats;
  TraceScenario scenario{{pids.begin(), pids.end()}, o.programs, a.syscalls, duration_s, o.pipeline.stamp_every, why, object};
  r.scenario = scenario;
  Summary s;
  s.events = event_counts(rep, sc, nullptr);
  s.latency = StageLatency::of(rep.aggregate.merged_stages());
  s.cpu = cpu_cost(rep.total, s.events.received + s.events.dropped_total(), probe.cpus, o.budget_pct);
  s.programs = program_summaries(rep, sc, nullptr);
  r.summary = s;
  r.sink = finish_sink(env.sink);
  write_results(*env.out, r);
  print_trace_summary(scenario, s);
  fmt::print("results: {}/results.json\n", o.out);
  return s.events.conserved() ? kExitOk : kExitFailed;
}

}  // namespace

Subcommand register_trace(CLI::App& root) {
  auto a = std::make_shared<TraceArgs>();
  CLI::App* app = root.add_subcommand("trace", "trace syscalls of running processes through the full pipeline");
  app->add_option("--pid", a->pids, "process id(s) to trace")->required()->delimiter(',');
  app->add_option("--syscalls", a->syscalls, "syscall_tap: syscall name(s), e.g. write,openat (default: every syscall)")
      ->delimiter(',');
  app->add_option("--duration", a->duration, "stop after S seconds (default: when the pids exit)");
  app->add_option("--ready-file", a->ready_file, "created once programs are attached and counting");
  app->add_flag("--follow-children", a->follow_children, "also trace processes the targets fork");
  a->flags.add_config(app);
  a->flags.add(app, OptionGroup::programs);
  a->flags.add(app, OptionGroup::pipeline);
  a->flags.add_out(app, "ringside-out");
  return {app, [a] { return run_trace(*a); }};
}

}  // namespace ringside
