// The ops themselves: each issues exactly one syscall of a traced kind and tallies it.
// OpEnvironment holds what all threads share (set up before ready); OpIssuer is one
// thread's issuer with its own tagged write buffer and position in the mix cycle.
#pragma once

#include <spawn.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "loopback_listener.h"
#include "owned_fd.h"
#include "workload.h"

namespace ringside::workload_detail {

enum class Syscall : uint8_t { kWrite, kOpenat, kGetppid, kExecve, kConnect };
inline constexpr int kSyscallKinds = 5;

std::string_view syscall_name(Syscall s) noexcept;

// One thread's counters, alone on its cache lines so threads never share a line.
struct alignas(64) ThreadTally {
  std::array<uint64_t, kSyscallKinds> issued{};  // syscalls that entered the kernel
  uint64_t ops = 0;                              // ops attempted
  uint64_t errors = 0;                           // ops that failed
  uint64_t worst_lag_ns = 0;
  uint64_t missed_slots = 0;                     // open-loop slots forfeited after stalls
  int64_t finished_ns = 0;                       // CLOCK_MONOTONIC when the thread stopped
};

// The op sequence one thread repeats: a single kind, or the mixed kind's weights laid out
// by smooth weighted round robin (70/20/10 → a 10-op cycle with 7 writes spread out).
std::vector<Syscall> op_cycle(const WorkloadSpec& spec);

class OpEnvironment {
 public:
  explicit OpEnvironment(const WorkloadSpec& spec);  // throws std::runtime_error
  ~OpEnvironment();
  OpEnvironment(const OpEnvironment&) = delete;
  OpEnvironment& operator=(const OpEnvironment&) = delete;

  int devnull() const noexcept { return devnull_.get(); }
  LoopbackListener* listener() const noexcept { return listener_.get(); }
  const posix_spawn_file_actions_t* spawn_actions() const noexcept { return &spawn_actions_; }

 private:
  OwnedFd devnull_;
  std::unique_ptr<LoopbackListener> listener_;
  posix_spawn_file_actions_t spawn_actions_{};  // exec: child's stdin/stdout → /dev/null
};

class OpIssuer {
 public:
  OpIssuer(const OpEnvironment& env, std::vector<Syscall> cycle);

  // Issues the next op of the cycle and counts it in `tally`. Never throws.
  void issue(ThreadTally& tally) noexcept;

 private:
  bool do_write() noexcept;
  bool do_openat() noexcept;
  bool do_getppid() noexcept;
  bool do_execve(bool& issued) noexcept;
  bool do_connect(bool& issued) noexcept;

  const OpEnvironment* env_;
  std::vector<Syscall> cycle_;
  size_t next_ = 0;
  alignas(64) std::array<unsigned char, 64> write_buffer_{};  // starts with struct rs_user_tag
};

}  // namespace ringside::workload_detail
