// Stopping agents when ringside itself gets SIGINT/SIGTERM/SIGHUP;
// see agent_signals.h. Everything the handler touches is async-signal-safe.
#include "agent_signals.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <mutex>

namespace ringside {
namespace {

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

bool take_slot(std::array<std::atomic<pid_t>, 16>& slots, pid_t pid) {
  for (auto& slot : slots) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) return true;
  }
  return false;
}

void release_slot(std::array<std::atomic<pid_t>, 16>& slots, pid_t pid) {
  for (auto& slot : slots) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
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
    if (previous != SIG_DFL && !(g_previous[i].sa_flags & SA_SIGINFO)) return previous(sig);
  }
  // Die of the same signal (delivered once this handler returns), as if it was never caught.
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void install_agent_signal_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Orphaned agent processes are reparented to us, not to init, so we can reap and count them.
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : kStopSignals) sigaddset(&sa.sa_mask, sig);
    for (std::size_t i = 0; i < kStopSignals.size(); ++i) {
      sigaction(kStopSignals[i], nullptr, &g_previous[i]);
      // An ignored signal stays ignored (a background job's SIGINT): it must not stop the agent.
      if (g_previous[i].sa_handler != SIG_IGN) sigaction(kStopSignals[i], &sa, nullptr);
    }
  });
}

bool guard_agent_on_signal(pid_t pgid) { return take_slot(g_live_agents, pgid); }
void unguard_agent_on_signal(pid_t pgid) { release_slot(g_live_agents, pgid); }

}  // namespace ringside
