// Agent lifecycle: spawn in a new session, poll, stop with escalation. What happens when ringside
// itself is signalled is agent_signals.cpp; the /proc process-tree accounting is agent_tree.cpp.
#include "agent_process.h"

#include "agent_signals.h"
#include "child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <utility>

#include <fmt/format.h>

namespace ringside {
namespace {

using namespace std::chrono_literals;

// Owns one file descriptor.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

int open_output(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot start agent: {}: {}", path, std::strerror(errno)));
  return fd;
}

// Blocks the termination signals for its lifetime (so fork + register cannot be interrupted).
struct SignalsBlocked {
  sigset_t old{};
  SignalsBlocked() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, sig);
    pthread_sigmask(SIG_BLOCK, &set, &old);
  }
  ~SignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old, nullptr); }
};

}  // namespace

AgentProcess AgentProcess::spawn(const std::string& command, const std::string& stdout_path,
                                 const std::string& stderr_path, StopPolicy policy) {
  install_agent_signal_handlers();
  const Fd out(open_output(stdout_path));
  const Fd err(open_output(stderr_path));
  ChildSpec child;
  child.argv = {"/bin/sh", "-c", command};
  child.stdout_fd = out.fd;
  child.stderr_fd = err.fd;
  child.group = ChildSpec::Group::own_session;  // its pid is its group and session: stop() reaches them all
  // No stop signal between the fork and the registration that lets the handler stop the agent.
  SignalsBlocked blocked;
  pid_t pid;
  try {
    pid = spawn_child(child);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("cannot start agent: {}", std::string(e.what()).substr(std::strlen("cannot start "))));
  }
  guard_agent_on_signal(pid);  // beyond 16 live agents, only the destructor stops it
  return AgentProcess(pid, stderr_path, policy);
}

AgentProcess::AgentProcess(pid_t pid, std::string stderr_path, StopPolicy policy)
    : pid_(pid), stderr_path_(std::move(stderr_path)), policy_(policy) {}

AgentProcess::AgentProcess(AgentProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      stderr_path_(std::move(other.stderr_path_)),
      policy_(other.policy_),
      status_(other.status_),
      stopped_(std::exchange(other.stopped_, true)),
      stop_signal_(std::move(other.stop_signal_)),
      members_(std::move(other.members_)) {}

AgentProcess::~AgentProcess() {
  if (pid_ > 0 && !stopped_) {
    try {
      stop();
    } catch (...) {
      // destructors must not throw; stop() itself only allocates
    }
  }
}

std::optional<int> AgentProcess::poll_exit() {
  reap();
  return status_;
}

void AgentProcess::reap() {
  int status = 0;
  if (!status_) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) status_ = status;
    if (r == -1 && errno == ECHILD) status_ = 0;  // already reaped by the signal handler's stop
  }
  // Group members orphaned to us (the subreaper) and escaped members that were our children.
  for (pid_t r; (r = waitpid(-pid_, &status, WNOHANG)) > 0;)
    if (r == pid_) status_ = status;  // the leader exited just now
  for (const auto& [pid, start] : members_)
    if (pid != pid_) waitpid(pid, &status, WNOHANG);
}

std::optional<int> AgentProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!poll_exit()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
  return status_;
}

std::vector<pid_t> AgentProcess::tree() {
  std::vector<pid_t> pids = process_tree(pid_);
  for (pid_t pid : pids)
    if (auto start = process_start_ticks(pid)) members_[pid] = *start;
  return pids;
}

void AgentProcess::signal_tree(int sig) {
  kill(-pid_, sig);
  // Members that left the group (setsid, setpgid): signal each one still the same process.
  for (const auto& [pid, start] : members_) {
    if (pid == pid_) continue;
    if (process_start_ticks(pid) == start) kill(pid, sig);
  }
}

bool AgentProcess::tree_gone() {
  if (!poll_exit() || process_group_alive(pid_)) return false;
  for (const auto& [pid, start] : members_) {
    if (process_start_ticks(pid) == start) return false;
  }
  return true;
}

int AgentProcess::stop() {
  if (stopped_) return status_.value_or(0);
  tree();  // remember escaped members before signalling
  const std::pair<int, std::chrono::milliseconds> steps[] = {
      {SIGINT, policy_.after_sigint}, {SIGTERM, policy_.after_sigterm}, {SIGKILL, 2000ms}};
  for (const auto& [sig, grace] : steps) {
    if (tree_gone()) break;
    stop_signal_ = sigabbrev_np(sig) ? fmt::format("SIG{}", sigabbrev_np(sig)) : std::to_string(sig);
    signal_tree(sig);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (!tree_gone() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  }
  if (!poll_exit()) {  // cannot happen after SIGKILL unless the kernel is stuck: block for it
    int status = 0;
    if (waitpid(pid_, &status, 0) == pid_) status_ = status;
  }
  unguard_agent_on_signal(pid_);
  stopped_ = true;
  return status_.value_or(0);
}

std::string tail_lines(const std::string& path, int max_lines) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  const std::size_t keep = std::min(lines.size(), static_cast<std::size_t>(std::max(max_lines, 0)));
  std::string out;
  for (std::size_t i = lines.size() - keep; i < lines.size(); ++i) out += lines[i] + "\n";
  return out;
}

}  // namespace ringside
