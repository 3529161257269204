// The overhead governor's decision logic: fed one measured window at a time, it decides when to degrade (in-kernel 1/N sampling), detach, or step back. Measuring the
// windows and actuating the decisions belong to the caller.
//
// Rules:
//  - A window is *over* when overhead_pct > max_overhead_percent or drop_ratio > max_drop_ratio.
//  - windows_over consecutive over windows take the next degrade rung and reset the streak, so
//    the next rung needs another windows_over over windows measured under the new sampling.
//  - After detach nothing more happens (windows are still recorded). A ladder without detach
//    stays on its last rung once exhausted.
//  - Recovery (recover_after_windows > 0, not detached): recover_after_windows consecutive *calm*
//    windows step back one rung (eventually to sample_every 1). Hysteresis: a window is calm only
//    when overhead_pct <= kCalmFraction × budget and drop_ratio <= kCalmFraction × max_drop_ratio;
//    a window between calm and over breaks both streaks, so load hovering near the limit neither
//    degrades nor recovers, and the governor doesn't flap.
//  - A window with NaN numbers is neither over nor calm.
//  - Disabled: windows are recorded, nothing is ever decided.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "options.h"

namespace ringside {

// A calm window uses at most this fraction of each limit (recovery hysteresis).
inline constexpr double kCalmFraction = 0.8;

struct GovernorWindow {
  double t_ms = 0;          // window end, ms since start; the window began at the previous end (or 0)
  double overhead_pct = 0;  // accounted tracer CPU % of the machine in this window
  double drop_ratio = 0;    // drops / matched in this window, 0 if none matched
};

// What the governor did and saw, for results.
struct GovernorStepRecord {
  double t_ms = 0;
  std::string action;  // "sample:2", "detach", "recover:1"
  std::string reason;
  double overhead_pct = 0, drop_ratio = 0;
};
struct GovernorWindowRecord {
  double t_ms = 0, overhead_pct = 0, drop_ratio = 0;
  uint32_t sample_every = 1;  // in force while the window was measured
  bool attached = true;
};
struct GovernorReport {
  bool enabled = false;
  bool triggered = false;
  std::optional<double> trigger_after_ms;
  std::optional<std::string> action;  // the last action's label
  std::vector<GovernorStepRecord> steps;
  std::vector<GovernorWindowRecord> windows;
  std::optional<int64_t> triggered_in_runs;  // run summaries: how many traced runs it acted in
  bool detached = false;                     // the last action detached the programs
};

struct GovernorAction {
  enum Kind { none, sample, detach, recover } kind = none;
  uint32_t sample_every = 1;  // the in-kernel 1/N sampling in force after this action
  std::string label;          // "sample:2", "detach", "recover:1"; empty for none
  std::string reason;         // "overhead 3.23 % > budget 1.00 % for 3 consecutive windows (3.4, 3.1, 3.2)"
};

class Governor {
 public:
  // Throws std::invalid_argument when windows_over is 0 or the ladder is empty.
  explicit Governor(GovernorOptions options);  // options.degrade is a parsed, valid ladder

  // Call once per window, in time order. Returns the decision (kind none: nothing to do).
  GovernorAction on_window(const GovernorWindow& window);

  [[nodiscard]] uint32_t sample_every() const { return sample_every_; }
  [[nodiscard]] bool detached() const { return detached_; }
  [[nodiscard]] bool triggered() const { return trigger_after_ms_.has_value(); }
  // From the start of the first window of the over streak that caused the first action to the end
  // of the window at which it acted (windows_over × window_ms for evenly spaced windows).
  [[nodiscard]] std::optional<double> trigger_after_ms() const { return trigger_after_ms_; }

  [[nodiscard]] GovernorReport report() const;

 private:
  [[nodiscard]] bool is_over(const GovernorWindow& w) const;
  [[nodiscard]] bool is_calm(const GovernorWindow& w) const;
  GovernorAction degrade(const GovernorWindow& w);
  GovernorAction recover(const GovernorWindow& w);
  [[nodiscard]] std::string over_reason() const;
  void record_step(const GovernorWindow& w, const GovernorAction& action);

  GovernorOptions options_;
  std::size_t rungs_in_force_ = 0;  // options_.degrade[0 .. rungs_in_force_) have been taken
  uint32_t sample_every_ = 1;
  bool detached_ = false;

  std::vector<GovernorWindow> over_streak_;
  double over_streak_start_ms_ = 0;
  uint32_t calm_streak_ = 0;
  double previous_end_ms_ = 0;
  std::optional<double> trigger_after_ms_;

  std::string last_label_;
  std::vector<GovernorStepRecord> steps_;
  std::vector<GovernorWindowRecord> windows_;
};

}  // namespace ringside
