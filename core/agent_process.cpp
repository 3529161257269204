// Agent lifecycle: spawn in a new session, poll, stop with escalation, stop from signal handlers.
// The /proc process-tree accounting it relies on is agent_tree.h.
#include "agent_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include <fmt/format.h>

namespace ringside {
namespace {

using namespace std::chrono_literals;

// ---- agents stopped by SIGINT/SIGTERM/SIGHUP to ringside -----------------------------------
// Fixed slots of atomics: the handler may only touch async-signal-safe state.
std::array<std::atomic<pid_t>, 16> g_live_agents{};

void sleep_ms(long ms) noexcept {
  timespec ts{ms / 1000, (ms % 1000) * 1'000'000L};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

// Async-signal-safe: reaps what it can of the agent's group (ringside is their subreaper, so
// orphans come back to it) and says whether the leader and every group member are gone.
bool leader_and_group_gone(pid_t pid) noexcept {
  int status = 0;
  while (waitpid(-pid, &status, WNOHANG) > 0) {
  }
  const pid_t r = waitpid(pid, &status, WNOHANG);
  const bool leader_gone = r == pid || (r == -1 && errno == ECHILD);
  return leader_gone && kill(-pid, 0) == -1 && errno == ESRCH;
}

void stop_from_handler(pid_t pid) noexcept {
  constexpr int kSignals[] = {SIGINT, SIGTERM, SIGKILL};
  for (int sig : kSignals) {
    kill(-pid, sig);
    for (int waited = 0; waited < 2000; waited += 10) {
      if (leader_and_group_gone(pid)) return;
      sleep_ms(10);
    }
  }
}

// Dispositions before ours, so a command's own stop handler (stop_signal.h) still runs after.
std::array<struct sigaction, 3> g_previous{};
constexpr std::array<int, 3> kStopSignals = {SIGINT, SIGTERM, SIGHUP};

void on_stop_signal(int sig) {
  const int saved_errno = errno;
  for (auto& slot : g_live_agents) {
    const pid_t pid = slot.exchange(0);
    if (pid > 0) stop_from_handler(pid);
  }
  errno = saved_errno;
  for (std::size_t i = 0; i < kStopSignals.size(); ++i) {
    if (kStopSignals[i] != sig) continue;
    const auto previous = g_previous[i].sa_handler;
    if (previous == SIG_IGN) return;
    if (previous != SIG_DFL && !(g_previous[i].sa_flags & SA_SIGINFO)) return previous(sig);
  }
  // Die of the same signal (delivered once this handler returns), as if it was never caught.
  signal(sig, SIG_DFL);
  raise(sig);
}

void install_handlers_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Orphaned agent processes are reparented to us, not to init, so we can reap and count them.
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : kStopSignals) sigaddset(&sa.sa_mask, sig);
    for (std::size_t i = 0; i < kStopSignals.size(); ++i) sigaction(kStopSignals[i], &sa, &g_previous[i]);
  });
}

void register_agent(pid_t pid) {
  for (auto& slot : g_live_agents) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) return;
  }
  // More than 16 live agents: this one is still stopped by its destructor, not by the handler.
}

// True if this call took the agent out of the registry (false: the handler already owns it).
bool unregister_agent(pid_t pid) {
  for (auto& slot : g_live_agents) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return true;
  }
  return false;
}

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

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("wait status {:#x}", status);
}

AgentProcess AgentProcess::spawn(const std::string& command, const std::string& stdout_path,
                                 const std::string& stderr_path, StopPolicy policy) {
  install_handlers_once();
  const int out_fd = open_output(stdout_path);
  int err_fd = -1;
  try {
    err_fd = open_output(stderr_path);
  } catch (...) {
    ::close(out_fd);
    throw;
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  SignalsBlocked blocked;
  const pid_t pid = fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    setsid();
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) signal(sig, SIG_DFL);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const int fork_errno = errno;
  ::close(out_fd);
  ::close(err_fd);
  if (null_fd >= 0) ::close(null_fd);
  if (pid < 0) throw std::runtime_error(fmt::format("cannot start agent: fork: {}", std::strerror(fork_errno)));
  register_agent(pid);
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
  while (waitpid(-pid_, &status, WNOHANG) > 0) {
  }
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
  unregister_agent(pid_);
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
