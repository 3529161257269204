// Dropping privileges once programs are loaded and attached.
#pragma once

#include <string>

namespace ringside {

enum class KeepCaps {
  none,  // trace: attached once; reading the ring (mmap'ed fds), counters, detach need no capability
  bpf,   // run: later phases load and attach again: keep CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN only
};

// Shrinks the effective/permitted/inheritable sets to `keep` (and sets no-new-privs). If the kernel
// still refuses map reads without CAP_BPF (older unprivileged_bpf_disabled semantics), CAP_BPF is
// kept and the description says so. Returns a one-line description of what was dropped.
std::string drop_capabilities_after_attach(KeepCaps keep, int probe_map_fd);

// What drop_capabilities_after_attach() did in this process ("" before it ran).
const std::string& capabilities_dropped();

}  // namespace ringside
