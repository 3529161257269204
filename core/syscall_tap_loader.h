// RAII over the syscall_tap skeleton: configure, load, attach, detach, read counters.
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "event.h"
#include "options.h"

struct syscall_tap;

namespace ringside {

// "every", "adaptive" or "batch:N".
std::string wakeup_label(const WakeupPolicy& w);
// parse_wakeup() that throws UsageError("bad --wakeup 'x': ...") instead of returning nullopt.
WakeupPolicy wakeup_or_throw(const std::string& text);

struct TapConfig {
  std::string transport = "ringbuf";  // ringbuf | perfbuf
  std::string hook = "raw_tp";        // raw_tp | tracepoint | floor (attached, returns at once)
  WakeupPolicy wakeup;              // ringbuf: bytes pending before a forced wake-up; perfbuf: wakeup_events
  uint32_t ring_bytes = 8u << 20;     // ring buffer size, or perf buffer size summed over CPUs
  std::vector<int> syscalls;          // syscall numbers to record
  bool filter_targets = true;         // false = every process
  bool follow_children = false;       // forks of a target become targets
};

struct TapCounters {
  uint64_t matched = 0, emitted = 0, kernel_reserve = 0, perf_output = 0, sampled_out = 0;
};

struct ProgRuntime {
  uint32_t id = 0;
  std::string name;
  uint64_t run_time_ns = 0, run_cnt = 0;
};

class SyscallTap {
 public:
  explicit SyscallTap(TapConfig config);  // opens, configures and loads; throws std::runtime_error
  ~SyscallTap();
  SyscallTap(const SyscallTap&) = delete;
  SyscallTap& operator=(const SyscallTap&) = delete;

  void add_target(uint32_t tgid);
  void attach();  // throws std::runtime_error("failed to attach sys_enter: ...")
  void detach();  // drops every link; programs stay loaded until destruction
  [[nodiscard]] bool attached() const { return !links_.empty(); }

  void set_sample_every(uint32_t n);  // in-kernel 1/N sampling, effective immediately
  [[nodiscard]] uint32_t sample_every() const;
  [[nodiscard]] TapCounters read_counters() const;
  [[nodiscard]] std::vector<ProgRuntime> prog_runtime() const;  // loaded programs (BPF_ENABLE_STATS)
  [[nodiscard]] int events_map_fd() const;
  [[nodiscard]] const TapConfig& config() const { return config_; }

 private:
  TapConfig config_;
  syscall_tap* skel_ = nullptr;
  std::vector<bpf_link*> links_;
  std::vector<bpf_program*> active_;  // programs loaded for this hook
};

// Routes libbpf's own messages: warnings to stderr with a "libbpf: " prefix, debug only with
// RINGSIDE_DEBUG=1 in the environment.
void install_libbpf_logging();

}  // namespace ringside
