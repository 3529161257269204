// The governor at work: samples what it governs every window, feeds Governor, and actuates its
// decisions (in-kernel sampling, or detach) through the Governed interface.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "governor.h"

namespace ringside {

// Cumulative readings of a traced session, for the governor's windows.
struct GovernedReading {
  uint64_t wall_ns = 0;
  uint64_t cpu_ns = 0;   // accounted tracer CPU: BPF run time + pipeline threads
  uint64_t matched = 0;  // events the programs saw
  uint64_t lost = 0;     // drops the governor did not choose (everything but sampled_out)
};

class Governed {
 public:
  virtual ~Governed() = default;
  [[nodiscard]] virtual GovernedReading governor_reading() const = 0;
  virtual void set_sample_every(uint32_t n) = 0;
  virtual void detach() = 0;
};

class GovernorLoop {
 public:
  // Starts sampling at once when options.enabled; otherwise does nothing.
  GovernorLoop(const GovernorOptions& options, Governed& target, int cpus);
  ~GovernorLoop();
  GovernorLoop(const GovernorLoop&) = delete;
  GovernorLoop& operator=(const GovernorLoop&) = delete;

  void stop();  // joins the sampling thread; call before stopping what it governs
  [[nodiscard]] bool detached() const { return governor_.detached(); }
  [[nodiscard]] GovernorReport report() const { return governor_.report(); }  // valid after stop()

 private:
  void loop();

  GovernorOptions options_;
  Governed& target_;
  int cpus_;
  Governor governor_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ringside
