// An eBPF agent we did not write, run as a child: started, watched, accounted and always stopped.
//
// The agent runs as `/bin/sh -c CMD` in a new session (so its pid is its process group and session
// id), stdout/stderr go to files, and stop() escalates SIGINT → SIGTERM → SIGKILL to the whole
// group and to members that left it. A live AgentProcess is also stopped when ringside itself is
// signalled (agent_signals.h).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent_signals.h"
#include "agent_tree.h"
#include "child_process.h"

namespace ringside {

struct StopPolicy {
  std::chrono::milliseconds after_sigint{2000};   // wait this long after SIGINT, then SIGTERM
  std::chrono::milliseconds after_sigterm{2000};  // wait this long after SIGTERM, then SIGKILL
};

class AgentProcess {
 public:
  // Starts `/bin/sh -c command` in its own session; truncates and fills the two output files.
  // Throws std::runtime_error("cannot start agent: …") when the files or fork fail.
  static AgentProcess spawn(const std::string& command, const std::string& stdout_path,
                            const std::string& stderr_path, StopPolicy policy = {});

  AgentProcess(AgentProcess&& other) noexcept;
  AgentProcess& operator=(AgentProcess&&) = delete;
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;
  ~AgentProcess();  // stop() unless already stopped

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }   // also its pgid and sid
  [[nodiscard]] const std::string& stderr_path() const noexcept { return stderr_path_; }

  // The agent's wait status once its leader has exited (reaps it); nullopt while it runs.
  std::optional<int> poll_exit();
  // Waits up to `timeout` for the leader to exit, polling; nullopt if it still runs.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);

  // Current process tree (see file comment); remembers members so stop() reaches escaped ones.
  std::vector<pid_t> tree();

  // Stops the whole tree (SIGINT, wait, SIGTERM, wait, SIGKILL), reaps the leader and returns its
  // wait status. Idempotent: later calls return the first result. `stop_signal()` names the last
  // signal that was needed ("" when the agent had already exited).
  int stop();
  [[nodiscard]] const std::string& stop_signal() const noexcept { return stop_signal_; }

 private:
  AgentProcess(pid_t pid, std::string stderr_path, StopPolicy policy);
  void reap();  // the leader (recording its status) and orphaned members reparented to us
  bool tree_gone();
  void signal_tree(int sig);

  pid_t pid_ = -1;
  std::string stderr_path_;
  StopPolicy policy_;
  std::optional<int> status_;
  bool stopped_ = false;
  std::string stop_signal_;
  std::map<pid_t, uint64_t> members_;  // pid → start time (ticks): every tree member ever seen
};

// The last `max_lines` lines of a text file ("" if unreadable).
std::string tail_lines(const std::string& path, int max_lines);

}  // namespace ringside
