// The governor's decisions: over-budget streaks walk down the degrade ladder, calm streaks walk
// back up it; every decision carries the numbers that caused it.
#include "governor.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace ringside {
namespace {

// "3.4, 3.1, 3.2": the per-window values a decision was based on.
template <class Project>
std::string listed(const std::vector<GovernorWindow>& windows, Project project) {
  std::string out;
  for (const GovernorWindow& w : windows) out += fmt::format("{}{:.3g}", out.empty() ? "" : ", ", project(w));
  return out;
}

template <class Project>
double mean(const std::vector<GovernorWindow>& windows, Project project) {
  double sum = 0;
  for (const GovernorWindow& w : windows) sum += project(w);
  return windows.empty() ? 0 : sum / static_cast<double>(windows.size());
}

double overhead_of(const GovernorWindow& w) { return w.overhead_pct; }
double drops_of(const GovernorWindow& w) { return w.drop_ratio; }

}  // namespace

Governor::Governor(GovernorOptions options) : options_(std::move(options)) {
  if (options_.degrade.empty()) throw std::invalid_argument("governor: empty degrade ladder");
  if (options_.windows_over == 0) throw std::invalid_argument("governor: windows_over must be at least 1");
}

bool Governor::is_over(const GovernorWindow& w) const {
  return w.overhead_pct > options_.max_overhead_percent || w.drop_ratio > options_.max_drop_ratio;
}

bool Governor::is_calm(const GovernorWindow& w) const {
  return w.overhead_pct <= kCalmFraction * options_.max_overhead_percent &&
         w.drop_ratio <= kCalmFraction * options_.max_drop_ratio;
}

GovernorAction Governor::on_window(const GovernorWindow& w) {
  windows_.push_back({w.t_ms, w.overhead_pct, w.drop_ratio, sample_every_, !detached_});
  const double window_start_ms = std::exchange(previous_end_ms_, w.t_ms);
  if (!options_.enabled || detached_) return {};

  if (is_over(w)) {
    calm_streak_ = 0;
    if (over_streak_.empty()) over_streak_start_ms_ = window_start_ms;
    over_streak_.push_back(w);
    if (over_streak_.size() < options_.windows_over) return {};
    if (rungs_in_force_ == options_.degrade.size()) {  // ladder exhausted without detach: stay put
      over_streak_.clear();
      return {};
    }
    return degrade(w);
  }

  over_streak_.clear();
  if (!is_calm(w)) {  // between calm and over: hysteresis band
    calm_streak_ = 0;
    return {};
  }
  if (options_.recover_after_windows == 0 || rungs_in_force_ == 0) return {};
  if (++calm_streak_ < options_.recover_after_windows) return {};
  return recover(w);
}

GovernorAction Governor::degrade(const GovernorWindow& w) {
  const DegradeStep& step = options_.degrade[rungs_in_force_++];
  GovernorAction action;
  action.kind = step.detach ? GovernorAction::detach : GovernorAction::sample;
  action.label = to_string(step);
  action.reason = over_reason();
  if (step.detach) {
    detached_ = true;
  } else {
    sample_every_ = step.sample_every;
  }
  action.sample_every = sample_every_;
  if (!trigger_after_ms_) trigger_after_ms_ = w.t_ms - over_streak_start_ms_;
  over_streak_.clear();
  calm_streak_ = 0;
  record_step(w, action);
  return action;
}

GovernorAction Governor::recover(const GovernorWindow& w) {
  --rungs_in_force_;
  sample_every_ = rungs_in_force_ == 0 ? 1 : options_.degrade[rungs_in_force_ - 1].sample_every;
  GovernorAction action;
  action.kind = GovernorAction::recover;
  action.sample_every = sample_every_;
  action.label = fmt::format("recover:{}", sample_every_);
  action.reason = fmt::format(
      "calm for {} consecutive windows (overhead ≤ {:.2f} %, drop ratio ≤ {:.3g}): back to {}",
      calm_streak_, kCalmFraction * options_.max_overhead_percent,
      kCalmFraction * options_.max_drop_ratio,
      sample_every_ == 1 ? std::string("full tracing") : fmt::format("sample:{}", sample_every_));
  calm_streak_ = 0;
  record_step(w, action);
  return action;
}

// Names the limit every window of the streak broke; both when the windows broke different ones.
std::string Governor::over_reason() const {
  const auto& s = over_streak_;
  const bool all_overhead = std::all_of(s.begin(), s.end(), [&](const GovernorWindow& w) {
    return w.overhead_pct > options_.max_overhead_percent;
  });
  const bool all_drops = std::all_of(s.begin(), s.end(), [&](const GovernorWindow& w) {
    return w.drop_ratio > options_.max_drop_ratio;
  });
  const std::size_t n = s.size();
  if (all_overhead)
    return fmt::format("overhead {:.2f} % > budget {:.2f} % for {} consecutive windows ({})",
                       mean(s, overhead_of), options_.max_overhead_percent, n, listed(s, overhead_of));
  if (all_drops)
    return fmt::format("drop ratio {:.3g} > max {:.3g} for {} consecutive windows ({})", mean(s, drops_of),
                       options_.max_drop_ratio, n, listed(s, drops_of));
  return fmt::format(
      "overhead > budget {:.2f} % or drop ratio > max {:.3g} for {} consecutive windows "
      "(overhead {}; drop ratio {})",
      options_.max_overhead_percent, options_.max_drop_ratio, n, listed(s, overhead_of), listed(s, drops_of));
}

void Governor::record_step(const GovernorWindow& w, const GovernorAction& action) {
  last_label_ = action.label;
  steps_.push_back({w.t_ms, action.label, action.reason, w.overhead_pct, w.drop_ratio});
}

GovernorReport Governor::report() const {
  GovernorReport r;
  r.enabled = options_.enabled;
  r.triggered = triggered();
  r.trigger_after_ms = trigger_after_ms_;
  if (!last_label_.empty()) r.action = last_label_;
  r.steps = steps_;
  r.windows = windows_;
  r.detached = detached_;
  return r;
}

}  // namespace ringside
