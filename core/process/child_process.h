// Starting the processes ringside runs — the workload, an agent, the report generator, another
// ringside for the interleaved gate — one way: a clean signal state, only the fds it is given,
// its own process group or session when asked, and killed when ringside dies, however it dies.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ringside {

struct ChildSpec {
  std::vector<std::string> argv;  // argv[0]: a path, or a name looked up on $PATH
  int stdin_fd = -1;              // -1: /dev/null
  int stdout_fd = -1;             // -1: ours
  int stderr_fd = -1;             // -1: ours
  enum class Group : uint8_t {
    inherit,      // ringside's process group (a terminal's Ctrl-C reaches it too)
    own_group,    // a process group of its own: Ctrl-C is ringside's to handle
    own_session,  // a session of its own (agents: their pid is their group and session)
  } group = Group::inherit;
  bool die_with_parent = true;  // PR_SET_PDEATHSIG(SIGKILL), checked against a parent already gone
};

// Forks and execs; returns the child's pid. Throws std::runtime_error("cannot start X: <reason>")
// when the process cannot be created or exec fails (the child's errno comes back over a pipe).
pid_t spawn_child(const ChildSpec& spec);

// Waits for `pid` (retrying on EINTR) and returns its wait status.
int reap_child(pid_t pid) noexcept;

// "status 3", "signal 9 (Killed)".
std::string describe_wait_status(int status);

}  // namespace ringside
