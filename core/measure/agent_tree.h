// The process tree of an agent and its CPU time, read from /proc.
//
// CPU of the agent's process tree (the agent pid, its descendants by /proc/<pid>/stat ppid chains,
// and any process still in its session after its parent died) is sampled per process as
//   own = CLOCK_PROCESS_CPUTIME of the process (ns; all its threads, live and exited)
//       + (cutime + cstime) of its reaped children (clock ticks → ns),
// keyed by (pid, start time) so a reused pid never subtracts from another. A window's cost is the
// sum over processes alive at its end of (own at end − own at start, or 0 when new). Exact for
// processes alive through the window; a descendant that exits inside it is counted only through
// its parent's cutime (whole lifetime), one reaped by init is missed.
#pragma once

#include <sys/types.h>

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace ringside {

struct ProcKey {
  pid_t pid = 0;
  uint64_t start_ticks = 0;  // /proc/<pid>/stat field 22: tells a reused pid apart
  auto operator<=>(const ProcKey&) const = default;
};

using TreeCpuSample = std::map<ProcKey, uint64_t>;  // process → own cpu ns (see file comment)

// `root` and all its descendants (ppid chains) plus processes whose session id is `root`.
std::vector<pid_t> process_tree(pid_t root);
TreeCpuSample sample_tree_cpu(const std::vector<pid_t>& pids);
uint64_t tree_cpu_delta_ns(const TreeCpuSample& start, const TreeCpuSample& end);

// Start time (ticks since boot) of a live process, nullopt once it is gone: a pid plus its start
// time names one process even after the pid is reused.
std::optional<uint64_t> process_start_ticks(pid_t pid);

// True while any non-zombie process has process group `pgid`.
bool process_group_alive(pid_t pgid);

}  // namespace ringside
