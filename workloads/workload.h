// Synthetic syscall workloads with ground truth: what to run (WorkloadSpec), what was
// issued (WorkloadResult), and the in-process runner. The child-process form the tracer
// drives lives in workload_process.h; the `ringside-workload` binary is main.cpp.
//
// Ground-truth contract: after the start signal a workload issues exactly one syscall of
// its kind per op and no other syscall of any kind ringside traces (write, openat,
// getppid, execve, connect). Its own output goes through writev(2), and every fd,
// thread, socket and buffer is set up before it reports ready.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "values.h"

namespace ringside {

// What a workload issues per op: write, openat, getppid, execve (exec, by a forked child) or
// connect — one syscall each; files — openat + unlinkat of a name of a chosen length; calls —
// one call of ringside_workload_call(); alloc — malloc, calloc, realloc, free, free; mixed — a
// weighted cycle of the others.
enum class WorkloadKind : uint8_t { write, openat, getppid, exec, connect, files, calls, alloc, mixed };
template <>
struct EnumNames<WorkloadKind> {
  static constexpr std::array<std::pair<WorkloadKind, std::string_view>, 9> table = {{
      {WorkloadKind::write, "write"},
      {WorkloadKind::openat, "openat"},
      {WorkloadKind::getppid, "getppid"},
      {WorkloadKind::exec, "exec"},
      {WorkloadKind::connect, "connect"},
      {WorkloadKind::files, "files"},
      {WorkloadKind::calls, "calls"},
      {WorkloadKind::alloc, "alloc"},
      {WorkloadKind::mixed, "mixed"},
  }};
};

// The function the calls workload calls once per op (function_timing's default target).
inline constexpr const char* kWorkloadCallSymbol = "ringside_workload_call";

struct WorkloadSpec {
  WorkloadKind kind = WorkloadKind::write;
  double rate = 0;            // ops/s across all threads; 0 = closed loop (max)
  int threads = 1;
  double duration_s = 3.0;    // used when ops == 0
  uint64_t ops = 0;           // exact total across threads; 0 = run for duration_s
  double burst_on_ms = 0;     // both 0 = no bursts; else issue during ON, idle during OFF
  double burst_off_ms = 0;
  std::map<std::string, int> mix;  // mixed only: kind -> weight; empty = write 70/openat 20/getppid 10
  uint32_t path_bytes = 0;         // files: every name this long (0 = a cycle of lengths, 0 to 300)
  uint32_t write_bytes = 64;       // write: bytes per write (≥ 16: the buffer starts with a timestamp tag)
};

// Ground truth of one run. `ops` counts ops attempted; by_syscall counts every traced call the
// ops made — syscalls that entered the kernel (including failing ones, which are also counted in
// `errors`: the tracepoint fires for them all), calls of ringside_workload_call ("call"), and of
// malloc/calloc/realloc/free. The only ops with no call are a connect whose socket() failed or
// an exec whose clone() failed (errors, not counted).
struct WorkloadResult {
  WorkloadKind kind = WorkloadKind::write;
  int threads = 1;
  uint64_t ops = 0;
  std::map<std::string, uint64_t> by_syscall;
  double elapsed_s = 0, ops_per_sec = 0, target_rate = 0;  // target_rate 0 = max
  uint64_t worst_lag_ns = 0, errors = 0;  // lag: max(actual - scheduled start), open loop only
  uint64_t missed_ops = 0;  // open loop: schedule slots skipped after stalls (pacer.h); in a
                            // timed run ops + missed_ops = the slots the schedule held
  double burst_on_ms = 0, burst_off_ms = 0;
  uint64_t write_ns = 0;  // time inside write(2) calls, summed: traced minus untraced is the hooks' cost

  // {"kind","threads","target_rate"|null,"ops","by_syscall","elapsed_s","ops_per_sec",
  //  "worst_lag_ns","errors","missed_ops","burst":{"on_ms","off_ms"}|null,"write_ns"}
  nlohmann::json to_json() const;
  static WorkloadResult from_json(const nlohmann::json& j);  // throws nlohmann::json::exception
};

// Throws std::invalid_argument with a one-line lowercase reason.
void validate(const WorkloadSpec& spec);

// Syscall names a syscall tracer attaches to for this workload: {"write"}, {"execve"} for exec,
// {"openat","unlinkat"} for files, none for calls/alloc, mixed → its kinds'.
std::vector<std::string> traced_syscalls(const WorkloadSpec& spec);
// Every traced call the workload counts in by_syscall (syscalls and function calls).
std::vector<std::string> traced_calls(const WorkloadSpec& spec);

// exec's traced syscall is issued by forked children (also in a mix), so the tracer must follow them.
bool needs_follow_children(const WorkloadSpec& spec);

// The mixed kind's weights with the default (write 70, openat 20, getppid 10) filled in.
std::map<std::string, int> effective_mix(const WorkloadSpec& spec);

// Flag parsers of ringside-workload (rates use values.h's parse_rate); all throw
// std::invalid_argument with a one-line reason.
uint64_t parse_workload_ops(std::string_view text);  // an integer > 0
std::pair<double, double> parse_workload_burst(std::string_view text);  // "ON_MS:OFF_MS" → {on, off}
std::map<std::string, int> parse_workload_mix(std::string_view text);   // "write:70,openat:20,getppid:10"

// The ringside-workload flags that reproduce `spec` (without --wait-go/--json).
std::vector<std::string> to_args(const WorkloadSpec& spec);

// Thrown by an on_ready callback to abandon the run before any op is issued.
struct WorkloadAborted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Validates, sets everything up (threads, fds, listener), calls on_ready() and starts
// issuing when it returns. Once every thread has issued its last op (and before any of them
// exits or anything else runs), calls on_done(): the tracer can stop on an exact window. Returns
// the ground truth once every thread is done.
WorkloadResult run_workload(const WorkloadSpec& spec, const std::function<void()>& on_ready,
                            const std::function<void()>& on_done = {});

}  // namespace ringside
