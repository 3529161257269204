// What this kernel and this process can do, found by trying (libbpf probes, real loads).
#pragma once

#include <string>
#include <vector>

#include "types.h"

namespace ringside {

// Capability bit numbers (linux/capability.h; CAP_BPF/CAP_PERFMON are newer than some headers).
inline constexpr int kCapSysAdmin = 21, kCapPerfmon = 38, kCapBpf = 39;

struct Feature {
  std::string name;
  bool ok = false;
  std::string detail;  // why not, or a value ("errno 22: invalid argument")
};

struct ProbeReport {
  std::string kernel;   // uname release
  std::string version;  // uname version (shows PREEMPT_RT)
  bool preempt_rt = false;
  int cpus = 0;
  std::vector<Feature> features;  // btf, jit, prog:*, map:*, bpf_stats, cap:*, tracefs, bpffs, perf:*
  std::string recommended_transport;  // "ringbuf", "perfbuf" or "none"

  [[nodiscard]] bool has(const std::string& name) const;
  [[nodiscard]] const Feature* find(const std::string& name) const;
};

ProbeReport probe_host();

// Throws UsageError with the first missing requirement for loading and attaching BPF
// ("needs CAP_BPF (or root)", "kernel lacks BTF: ...", "kernel has neither ring buffer nor
// perf buffer"). A ring buffer asked of a kernel without it falls back to the perf buffer with a
// warning; the chosen transport is returned.
Transport require_bpf(const ProbeReport& probe, Transport transport);

// Mounts tracefs at /sys/kernel/tracing and bpffs at /sys/fs/bpf when absent (says so on
// stderr). Failures are reported, not fatal: the raw_tp path needs neither.
void ensure_kernel_filesystems(bool quiet = false);

// Effective capability bits of this process (from /proc/self/status CapEff).
unsigned long long effective_capabilities();

int online_cpus();

}  // namespace ringside
