// Dropping privileges: once, from the only thread there is (capabilities are per thread, and
// threads started later inherit the reduced sets), down to what the command still needs.
#pragma once

#include <string>

namespace ringside {

enum class KeepCaps {
  none,  // trace, after attaching: reading the ring (mmap'ed fds), counters, detach need no capability
  bpf,   // run/sweep, before anything: every phase loads and attaches again: keep CAP_BPF,
         // CAP_PERFMON and CAP_SYS_ADMIN (BPF_ENABLE_STATS) only
};

// Shrinks the effective, permitted and inheritable sets to `keep`, drops everything else from
// the bounding set, clears the ambient set and sets no-new-privs, so no exec can regain anything.
// Call it while this is the process's only thread. With `probe_map_fd` (KeepCaps::none): if the
// kernel refuses map access without CAP_BPF (older unprivileged_bpf_disabled semantics), CAP_BPF
// is kept and the description says so. Returns a one-line description of the result.
std::string drop_capabilities(KeepCaps keep, int probe_map_fd = -1);

// What drop_capabilities() did in this process ("" before it ran).
const std::string& capabilities_dropped();

// faccessat(dirfd, ".", mode, AT_EACCESS) as this process will answer once drop_capabilities()
// ran: with CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER lowered from this thread's
// effective set for the check (and raised again after it; they stay permitted). 0, or the errno.
// A directory root may write only through CAP_DAC_OVERRIDE fails here, before any work is done.
int access_without_dac_override(int dirfd, int mode);

// CapEff of every thread of this process, as "tid:hex" words (for tests and results).
std::string thread_capabilities();

}  // namespace ringside
