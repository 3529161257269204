// The governor at work: samples the traced session every window, feeds Governor, and actuates
// its decisions (in-kernel sampling through the BPF global, or detach).
#pragma once

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "governor.h"
#include "trace_session.h"

namespace ringside {

class GovernorLoop {
 public:
  // Starts sampling at once when options.enabled; otherwise does nothing.
  GovernorLoop(const GovernorOptions& options, TraceSession& session, int cpus);
  ~GovernorLoop();
  GovernorLoop(const GovernorLoop&) = delete;
  GovernorLoop& operator=(const GovernorLoop&) = delete;

  void stop();  // joins the sampling thread; call before TraceSession::stop()
  [[nodiscard]] bool detached() const { return governor_.detached(); }
  [[nodiscard]] nlohmann::json to_json() const;  // valid after stop()

 private:
  void loop();

  GovernorOptions options_;
  TraceSession& session_;
  int cpus_;
  Governor governor_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ringside
