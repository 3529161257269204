// Which BPF programs are loaded, who holds them, and what they cost (kernel BPF_ENABLE_STATS).
//
// Used by `measure` to attribute programs to an agent it did not write, and by `run` for its own
// programs: run_time_ns/run_cnt only advance while some process holds a BPF_STATS_RUN_TIME fd
// (BpfStatsGuard) or kernel.bpf_stats_enabled=1, so take deltas inside a guarded window.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ringside {

struct ProgStats {
  uint32_t id = 0;
  std::string name;   // full function name from the program's BTF, else the kernel's 15 chars
  std::string type;   // libbpf's type name: "tracepoint", "raw_tracepoint", "kprobe", …
  uint64_t run_time_ns = 0;
  uint64_t run_cnt = 0;
};

// Every program id currently loaded (bpf_prog_get_next_id), ascending. Empty without CAP_SYS_ADMIN.
std::vector<uint32_t> list_prog_ids();

// Info of one program, or nullopt when it is gone or not accessible.
std::optional<ProgStats> read_prog_stats(uint32_t id);

// Program ids referenced by any fd of `pids`: "prog_id:" lines in /proc/<pid>/fdinfo/* (program fds
// and link fds both carry one). Pids that vanish or cannot be read are skipped.
std::set<uint32_t> prog_ids_owned_by(const std::vector<pid_t>& pids);

// Stats deltas of one program between two reads (`before` may be from another program id: then
// the result is `after` whole). Counters that went backwards (id reused) also count from zero.
ProgStats prog_stats_delta(const ProgStats& before, const ProgStats& after);

// How BPF run time is being counted: a held BPF_ENABLE_STATS fd (needs CAP_SYS_ADMIN), or the
// sysctl kernel.bpf_stats_enabled=1 someone set. Without either, run_time_ns stays 0 and the
// kernel's share of the cost would silently read 0: acquire_bpf_stats() refuses instead.
class BpfStatsGuard;
struct BpfStats {
  std::shared_ptr<BpfStatsGuard> guard;  // null when the sysctl does the counting
  std::string method;                    // "BPF_ENABLE_STATS" or "sysctl kernel.bpf_stats_enabled=1"
};
// Throws UsageError("BPF run-time stats need CAP_SYS_ADMIN ... or kernel.bpf_stats_enabled=1").
BpfStats acquire_bpf_stats();
// Whether run-time stats are on right now, by anyone (the sysctl reads 1 while any fd holds them).
bool bpf_stats_sysctl_on();

// RAII over bpf_enable_stats(BPF_STATS_RUN_TIME): stats run while any such fd is open anywhere.
class BpfStatsGuard {
 public:
  // Throws std::runtime_error("failed to enable bpf run-time stats: … (needs CAP_SYS_ADMIN)").
  BpfStatsGuard();
  ~BpfStatsGuard();
  BpfStatsGuard(BpfStatsGuard&& other) noexcept;
  BpfStatsGuard& operator=(BpfStatsGuard&& other) noexcept;
  BpfStatsGuard(const BpfStatsGuard&) = delete;
  BpfStatsGuard& operator=(const BpfStatsGuard&) = delete;

  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace ringside
