// ringside-workload: a synthetic syscall load with ground truth, standalone or as the
// child the tracer drives (--wait-go --json; protocol in control_channel.h).
//
// Exit codes: 0 ran, 2 bad flags or set-up failure (one line on stderr),
// 3 stdin closed before "go" (nothing was issued).
// Once "go" arrives the process issues only its ops among the traced syscall kinds; all of
// its own output (result line, summary, errors) goes through writev(2).
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>

#include "control_channel.h"
#include "usage_error.h"
#include "workload.h"

namespace {

using ringside::workload_detail::writev_all;

constexpr int kExitUsage = 2;
constexpr int kExitNoGo = 3;

int fail(std::string_view what, int code) {
  std::string message = ringside::one_line(what);  // one line, whatever the flag's text held
  if (!message.empty()) message[0] = char(std::tolower(static_cast<unsigned char>(message[0])));
  writev_all(STDERR_FILENO, fmt::format("ringside-workload: {}\n", message));
  return code;
}

std::string human_summary(const ringside::WorkloadResult& r) {
  std::string counts;
  for (const auto& [name, n] : r.by_syscall) counts += fmt::format(" {}={}", name, n);
  const std::string target = r.target_rate > 0 ? fmt::format("{:.0f} ops/s", r.target_rate) : "max";
  return fmt::format(
      "{}: {} ops in {:.3f} s = {:.1f} ops/s (target {}), {} thread(s)\n"
      "  by syscall:{}\n  worst lag {:.1f} us, missed slots {}, errors {}\n",
      ringside::to_string(r.kind), r.ops, r.elapsed_s, r.ops_per_sec, target, r.threads, counts, double(r.worst_lag_ns) / 1e3,
      r.missed_ops, r.errors);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"synthetic syscall workload with ground-truth counts and open-loop pacing"};
  app.name("ringside-workload");
  ringside::WorkloadSpec spec;
  std::string kind = "write", rate = "max", burst, mix;
  bool wait_go = false, json = false;
  app.add_option("--kind", kind, ringside::enum_choices<ringside::WorkloadKind>())->capture_default_str();
  app.add_option("--rate", rate, "total ops/s across threads (10k, 1m accepted), or max")->capture_default_str();
  app.add_option("--threads", spec.threads, "issuing threads")->capture_default_str();
  auto* duration = app.add_option("--duration", spec.duration_s, "seconds to run")->capture_default_str();
  std::string ops_text;
  auto* ops = app.add_option("--ops", ops_text, "exact total ops, split across threads");
  duration->excludes(ops);
  app.add_option("--burst", burst, "ON_MS:OFF_MS: issue during ON, idle during OFF");
  app.add_option("--mix", mix, "mixed weights, e.g. write:70,openat:20,getppid:10");
  app.add_option("--path-bytes", spec.path_bytes, "files: every name this long (default: a cycle of 0 to 300)");
  app.add_option("--write-bytes", spec.write_bytes, "write: bytes per write (default 64)");
  app.add_flag("--wait-go", wait_go, "print 'ready <pid>', start on a 'go' line on stdin");
  app.add_flag("--json", json, "print the result as one JSON line");

  try {
    app.parse(argc, argv);
    spec.kind = ringside::parse_enum<ringside::WorkloadKind>(kind).value_or_throw("--kind");
    spec.rate = ringside::parse_rate(rate).value_or_throw("--rate").per_sec;
    if (!ops_text.empty()) spec.ops = ringside::parse_workload_ops(ops_text);
    if (!burst.empty()) std::tie(spec.burst_on_ms, spec.burst_off_ms) = ringside::parse_workload_burst(burst);
    if (!mix.empty()) spec.mix = ringside::parse_workload_mix(mix);
    ringside::validate(spec);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help
  } catch (const CLI::ParseError& e) {
    return fail(e.what(), kExitUsage);
  } catch (const std::invalid_argument& e) {
    return fail(e.what(), kExitUsage);
  } catch (const ringside::UsageError& e) {
    return fail(e.what(), kExitUsage);
  }

  ringside::WorkloadResult result;
  try {
    result = ringside::run_workload(
        spec,
        [&] {
          if (!wait_go) return;
          if (!writev_all(STDOUT_FILENO, fmt::format("ready {}\n", ::getpid())))
            throw ringside::WorkloadAborted("stdout closed before ready");
          if (!ringside::workload_detail::wait_for_go(STDIN_FILENO))
            throw ringside::WorkloadAborted("stdin closed before go");
        },
        [&] {
          // every op issued, every thread parked: say so, then hold still until the tracer has
          // stopped (it closes our stdin), so nothing after the window is traced
          if (!wait_go) return;
          writev_all(STDOUT_FILENO, "done\n");
          ringside::workload_detail::wait_for_eof(STDIN_FILENO);
        });
  } catch (const ringside::WorkloadAborted& e) {
    return fail(e.what(), kExitNoGo);
  } catch (const std::exception& e) {
    return fail(e.what(), kExitUsage);
  }

  writev_all(STDOUT_FILENO, json ? result.to_json().dump() + "\n" : human_summary(result));
  return 0;
}
