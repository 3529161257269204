// SIGINT/SIGTERM turn into a flag the long-running commands poll, so they stop, drain and
// still write their results (links are fds: even SIGKILL leaves nothing attached).
#pragma once

#include <atomic>
#include <csignal>

namespace ringside {

inline std::atomic<int>& stop_signal() {
  static std::atomic<int> sig{0};
  return sig;
}

inline void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = [](int s) { stop_signal().store(s); };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

inline bool stop_requested() { return stop_signal().load() != 0; }

// The exit status of a command a stop signal cut short: 128 + the signal (130 SIGINT, 143 SIGTERM).
inline int interrupted_exit_code() { return 128 + stop_signal().load(); }

}  // namespace ringside
