// The ops themselves: each issues exactly its traced calls and tallies them. OpEnvironment holds
// what all threads share (set up before ready); OpIssuer is one thread's issuer with its own
// tagged write buffer, its file names and its position in the mix cycle.
#pragma once

#include <spawn.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "loopback_listener.h"
#include "owned_fd.h"
#include "workload.h"

namespace ringside::workload_detail {

// What one op issues: a syscall, a function call, or a short sequence of them.
enum class Op : uint8_t { kWrite, kOpenat, kGetppid, kExecve, kConnect, kFile, kCall, kAlloc };

// The traced calls the ops count, each a key of WorkloadResult::by_syscall.
enum class Call : uint8_t { write, openat, getppid, execve, connect, unlinkat, call, malloc, calloc, realloc, free };
inline constexpr int kCallKinds = 11;
std::string_view call_name(Call c) noexcept;

// One thread's counters, alone on its cache lines so threads never share a line.
struct alignas(64) ThreadTally {
  std::array<uint64_t, kCallKinds> issued{};  // calls that entered the kernel / the function
  uint64_t ops = 0;                           // ops attempted
  uint64_t errors = 0;                        // ops that failed
  uint64_t worst_lag_ns = 0;
  uint64_t missed_slots = 0;                  // open-loop slots forfeited after stalls
  int64_t finished_ns = 0;                    // CLOCK_MONOTONIC when the thread stopped
  uint64_t write_ns = 0;                      // time inside write(2), summed (clock around each)
};

// The op sequence one thread repeats: a single kind, or the mixed kind's weights laid out
// by smooth weighted round robin (70/20/10 → a 10-op cycle with 7 writes spread out).
std::vector<Op> op_cycle(const WorkloadSpec& spec);

// The traced calls an op kind issues, per op.
std::vector<Call> calls_of(WorkloadKind kind);

class OpEnvironment {
 public:
  explicit OpEnvironment(const WorkloadSpec& spec);  // throws std::runtime_error
  ~OpEnvironment();
  OpEnvironment(const OpEnvironment&) = delete;
  OpEnvironment& operator=(const OpEnvironment&) = delete;

  int devnull() const noexcept { return devnull_.get(); }
  int files_dir() const noexcept { return files_dir_.get(); }
  LoopbackListener* listener() const noexcept { return listener_.get(); }
  const posix_spawn_file_actions_t* spawn_actions() const noexcept { return &spawn_actions_; }
  const std::vector<uint32_t>& path_lengths() const noexcept { return path_lengths_; }
  uint32_t write_bytes() const noexcept { return write_bytes_; }

 private:
  OwnedFd devnull_;
  OwnedFd files_dir_;        // files: where names are created and removed
  std::string files_path_;   // removed with the environment
  std::vector<uint32_t> path_lengths_;
  uint32_t write_bytes_ = 64;
  std::unique_ptr<LoopbackListener> listener_;
  posix_spawn_file_actions_t spawn_actions_{};  // exec: child's stdin/stdout → /dev/null
};

class OpIssuer {
 public:
  OpIssuer(const OpEnvironment& env, std::vector<Op> cycle, int thread_index);

  // Issues the next op of the cycle and counts it in `tally`. Never throws, never allocates.
  void issue(ThreadTally& tally) noexcept;

 private:
  bool do_write(ThreadTally& t) noexcept;
  bool do_openat() noexcept;
  bool do_getppid() noexcept;
  bool do_execve(bool& issued) noexcept;
  bool do_connect(bool& issued) noexcept;
  bool do_file(ThreadTally& tally) noexcept;
  bool do_call(ThreadTally& tally) noexcept;
  bool do_alloc(ThreadTally& tally) noexcept;

  const OpEnvironment* env_;
  std::vector<Op> cycle_;
  size_t next_ = 0;
  std::vector<std::string> names_;  // files: one name per path length, built before ready
  size_t next_name_ = 0;
  uint64_t calls_ = 0;
  std::vector<unsigned char> write_buffer_;  // write_bytes long, starting with struct rs_user_tag
};

}  // namespace ringside::workload_detail
