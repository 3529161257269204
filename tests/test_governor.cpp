// The governor's decisions on injected window series: when it fires, what it does, when it recovers.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "governor.h"
#include "results_json.h"

namespace ringside {
namespace {

constexpr double kOver = 3.0;   // % of the machine, budget 1.0
constexpr double kCalm = 0.2;   // well under 80 % of the budget
constexpr double kNear = 0.9;   // under budget but above the calm line

GovernorOptions enabled_options(uint32_t windows_over = 3, uint32_t recover_after = 0) {
  GovernorOptions o;
  o.enabled = true;
  o.windows_over = windows_over;
  o.recover_after_windows = recover_after;
  return o;
}

// Feeds windows 500 ms apart, continuing the governor's clock.
class Feeder {
 public:
  explicit Feeder(Governor& g) : g_(g) {}
  GovernorAction window(double overhead_pct, double drop_ratio = 0) {
    t_ms_ += 500;
    return g_.on_window({t_ms_, overhead_pct, drop_ratio});
  }
  // Feeds `n` identical windows; returns the 1-based indexes (within this call) that acted.
  std::vector<int> windows(int n, double overhead_pct, double drop_ratio = 0) {
    std::vector<int> acted;
    for (int i = 1; i <= n; ++i)
      if (window(overhead_pct, drop_ratio).kind != GovernorAction::none) acted.push_back(i);
    return acted;
  }

 private:
  Governor& g_;
  double t_ms_ = 0;
};

class FiresOnWindowK : public ::testing::TestWithParam<uint32_t> {};

TEST_P(FiresOnWindowK, NotOneWindowEarlier) {
  const uint32_t k = GetParam();
  Governor g(enabled_options(k));
  Feeder feed(g);
  for (uint32_t i = 1; i < k; ++i) ASSERT_EQ(feed.window(kOver).kind, GovernorAction::none) << "window " << i;
  EXPECT_FALSE(g.triggered());
  GovernorAction action = feed.window(kOver);
  EXPECT_EQ(action.kind, GovernorAction::sample);
  EXPECT_EQ(action.label, "sample:2");
  EXPECT_EQ(action.sample_every, 2u);
  EXPECT_EQ(g.sample_every(), 2u);
  EXPECT_TRUE(g.triggered());
}

INSTANTIATE_TEST_SUITE_P(WindowsOver, FiresOnWindowK, ::testing::Values(1u, 2u, 3u, 5u, 10u));

TEST(Governor, OneCalmWindowRestartsTheStreak) {
  Governor g(enabled_options(3));
  Feeder feed(g);
  EXPECT_TRUE(feed.windows(2, kOver).empty());
  EXPECT_EQ(feed.window(kCalm).kind, GovernorAction::none);
  EXPECT_TRUE(feed.windows(2, kOver).empty());  // 4 over windows in 5, but never 3 in a row
  EXPECT_EQ(feed.window(kOver).kind, GovernorAction::sample);
}

TEST(Governor, AWindowExactlyAtTheLimitsIsNotOver) {
  Governor g(enabled_options(1));
  Feeder feed(g);
  EXPECT_TRUE(feed.windows(10, 1.0, 0.1).empty());
  EXPECT_EQ(feed.window(1.0001).kind, GovernorAction::sample);
}

TEST(Governor, DropRatioAloneTriggers) {
  Governor g(enabled_options(3));
  Feeder feed(g);
  EXPECT_EQ(feed.windows(3, kCalm, 0.25), (std::vector<int>{3}));
  EXPECT_EQ(g.sample_every(), 2u);
  const std::string reason = to_json(g.report())["steps"][0]["reason"];
  EXPECT_EQ(reason, "drop ratio 0.25 > max 0.1 for 3 consecutive windows (0.25, 0.25, 0.25)");
}

TEST(Governor, MixedCausesStillFormAStreak) {
  Governor g(enabled_options(3));
  Feeder feed(g);
  feed.window(kOver);
  feed.window(kCalm, 0.5);
  GovernorAction action = feed.window(kOver);
  ASSERT_EQ(action.kind, GovernorAction::sample);
  EXPECT_EQ(action.reason,
            "overhead > budget 1.00 % or drop ratio > max 0.1 for 3 consecutive windows "
            "(overhead 3, 0.2, 3; drop ratio 0, 0.5, 0)");
}

TEST(Governor, ReasonCarriesTheNumbers) {
  Governor g(enabled_options(3));
  g.on_window({500, 3.4, 0});
  g.on_window({1000, 3.1, 0});
  GovernorAction action = g.on_window({1500, 3.2, 0});
  EXPECT_EQ(action.reason, "overhead 3.23 % > budget 1.00 % for 3 consecutive windows (3.4, 3.1, 3.2)");
}

TEST(Governor, LadderIsWalkedInOrderOneStepPerStreak) {
  Governor g(enabled_options(3));
  Feeder feed(g);
  std::vector<std::string> labels;
  std::vector<uint32_t> sampling;
  for (int i = 1; i <= 9; ++i) {
    GovernorAction action = feed.window(kOver);
    if (action.kind == GovernorAction::none) continue;
    EXPECT_EQ(i % 3, 0) << "acted on window " << i;  // each step needs a fresh streak of 3
    labels.push_back(action.label);
    sampling.push_back(g.sample_every());
  }
  EXPECT_EQ(labels, (std::vector<std::string>{"sample:2", "sample:8", "detach"}));
  EXPECT_EQ(sampling, (std::vector<uint32_t>{2, 8, 8}));
  EXPECT_TRUE(g.detached());
}

TEST(Governor, DetachIsFinal) {
  Governor g(enabled_options(1, 2));
  Feeder feed(g);
  EXPECT_EQ(feed.windows(3, kOver), (std::vector<int>{1, 2, 3}));
  ASSERT_TRUE(g.detached());
  EXPECT_TRUE(feed.windows(20, kOver).empty());
  EXPECT_TRUE(feed.windows(20, kCalm).empty());  // no recovery from detach either
  EXPECT_TRUE(g.detached());
  const nlohmann::json j = to_json(g.report());
  EXPECT_EQ(j["windows"].size(), 43u);  // windows are still recorded
  EXPECT_EQ(j["windows"][3]["attached"], false);
  EXPECT_EQ(j["action"], "detach");
}

TEST(Governor, ExhaustedLadderWithoutDetachStaysOnItsLastStep) {
  GovernorOptions o = enabled_options(2);
  o.degrade = *parse_degrade_ladder("sample:4");
  Governor g(o);
  Feeder feed(g);
  EXPECT_EQ(feed.windows(30, kOver), (std::vector<int>{2}));
  EXPECT_EQ(g.sample_every(), 4u);
  EXPECT_FALSE(g.detached());
}

TEST(Governor, RecoversOneStepAfterNCalmWindows) {
  Governor g(enabled_options(3, 4));
  Feeder feed(g);
  feed.windows(6, kOver);  // sample:2, then sample:8
  ASSERT_EQ(g.sample_every(), 8u);
  EXPECT_TRUE(feed.windows(3, kCalm).empty());
  GovernorAction action = feed.window(kCalm);
  EXPECT_EQ(action.kind, GovernorAction::recover);
  EXPECT_EQ(action.label, "recover:2");
  EXPECT_EQ(g.sample_every(), 2u);
  EXPECT_EQ(feed.windows(4, kCalm), (std::vector<int>{4}));
  EXPECT_EQ(g.sample_every(), 1u);
  EXPECT_EQ(to_json(g.report())["action"], "recover:1");
  EXPECT_TRUE(feed.windows(40, kCalm).empty());  // nothing left to recover
  EXPECT_EQ(g.sample_every(), 1u);
}

TEST(Governor, RecoveryNeedsCalmWindowsBelowTheHysteresisLine) {
  Governor g(enabled_options(3, 4));
  Feeder feed(g);
  feed.windows(3, kOver);
  ASSERT_EQ(g.sample_every(), 2u);
  EXPECT_TRUE(feed.windows(50, kNear).empty());  // under budget, above 80 %: neither way
  EXPECT_TRUE(feed.windows(50, kCalm, 0.09).empty());  // drops under max but above 80 % of it
  EXPECT_TRUE(feed.windows(3, kCalm).empty());
  EXPECT_EQ(feed.window(kNear).kind, GovernorAction::none);  // breaks the calm streak
  EXPECT_TRUE(feed.windows(3, kCalm).empty());
  // Exactly on the calm line counts as calm.
  EXPECT_EQ(feed.window(kCalmFraction * 1.0, kCalmFraction * 0.1).kind, GovernorAction::recover);
  EXPECT_EQ(g.sample_every(), 1u);
}

TEST(Governor, NeverRecoversWhenRecoveryIsOff) {
  Governor g(enabled_options(3, 0));
  Feeder feed(g);
  feed.windows(3, kOver);
  EXPECT_TRUE(feed.windows(1000, kCalm).empty());
  EXPECT_EQ(g.sample_every(), 2u);
}

TEST(Governor, DegradesAgainAfterRecovering) {
  Governor g(enabled_options(2, 2));
  Feeder feed(g);
  EXPECT_EQ(feed.windows(2, kOver), (std::vector<int>{2}));
  EXPECT_EQ(feed.windows(2, kCalm), (std::vector<int>{2}));
  ASSERT_EQ(g.sample_every(), 1u);
  EXPECT_EQ(feed.window(kOver).kind, GovernorAction::none);
  GovernorAction again = feed.window(kOver);
  EXPECT_EQ(again.label, "sample:2");
  EXPECT_EQ(to_json(g.report())["steps"].size(), 3u);
}

TEST(Governor, DisabledRecordsWindowsButNeverActs) {
  GovernorOptions o;
  o.recover_after_windows = 1;
  Governor g(o);
  Feeder feed(g);
  EXPECT_TRUE(feed.windows(100, kOver, 0.9).empty());
  EXPECT_FALSE(g.triggered());
  EXPECT_EQ(g.sample_every(), 1u);
  EXPECT_FALSE(g.detached());
  const nlohmann::json j = to_json(g.report());
  EXPECT_EQ(j["enabled"], false);
  EXPECT_TRUE(j["trigger_after_ms"].is_null());
  EXPECT_TRUE(j["action"].is_null());
  EXPECT_TRUE(j["steps"].empty());
  EXPECT_EQ(j["windows"].size(), 100u);
}

TEST(Governor, TriggerAfterMsRunsFromTheStartOfTheTriggeringStreak) {
  Governor g(enabled_options(3));
  g.on_window({480, kOver, 0});   // a streak that is broken does not count
  g.on_window({1010, kCalm, 0});
  g.on_window({1490, kOver, 0});  // triggering streak starts when this window began: 1010
  g.on_window({2020, kOver, 0});
  EXPECT_FALSE(g.trigger_after_ms());
  ASSERT_EQ(g.on_window({2500, kOver, 0}).kind, GovernorAction::sample);
  ASSERT_TRUE(g.trigger_after_ms());
  EXPECT_DOUBLE_EQ(*g.trigger_after_ms(), 2500.0 - 1010.0);
  for (double t : {3000.0, 3500.0, 4000.0}) g.on_window({t, kOver, 0});  // second step
  EXPECT_EQ(g.sample_every(), 8u);
  EXPECT_DOUBLE_EQ(*g.trigger_after_ms(), 1490.0);  // only the first action sets it
}

TEST(Governor, TriggerAfterMsIsWindowsOverTimesWindowForEvenWindows) {
  Governor g(enabled_options(4));
  Feeder feed(g);
  feed.windows(4, kOver);
  EXPECT_DOUBLE_EQ(g.trigger_after_ms().value_or(-1), 4 * 500.0);
}

TEST(Governor, NanWindowsCountNeitherWay) {
  Governor g(enabled_options(2, 2));
  Feeder feed(g);
  feed.window(kOver);
  EXPECT_EQ(feed.window(std::nan("")).kind, GovernorAction::none);
  EXPECT_EQ(feed.window(kOver).kind, GovernorAction::none);  // the NaN broke the streak
  EXPECT_EQ(feed.window(kOver).kind, GovernorAction::sample);
  feed.window(kCalm);
  feed.window(kCalm, std::nan(""));
  EXPECT_EQ(feed.window(kCalm).kind, GovernorAction::none);
  EXPECT_EQ(feed.window(kCalm).kind, GovernorAction::recover);
}

TEST(Governor, ToJsonShape) {
  Governor g(enabled_options(2));
  g.on_window({500, 1.5, 0.0});
  g.on_window({1000, 2.5, 0.01});
  g.on_window({1500, 0.1, 0.0});
  const nlohmann::json j = to_json(g.report());
  for (const char* key : {"enabled", "triggered", "trigger_after_ms", "action", "steps", "windows"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j.size(), 6u);
  EXPECT_EQ(j["enabled"], true);
  EXPECT_EQ(j["triggered"], true);
  EXPECT_EQ(j["trigger_after_ms"], 1000.0);
  EXPECT_EQ(j["action"], "sample:2");
  ASSERT_EQ(j["steps"].size(), 1u);
  const nlohmann::json& step = j["steps"][0];
  EXPECT_EQ(step.size(), 5u);
  EXPECT_EQ(step["t_ms"], 1000.0);
  EXPECT_EQ(step["action"], "sample:2");
  EXPECT_EQ(step["reason"], "overhead 2.00 % > budget 1.00 % for 2 consecutive windows (1.5, 2.5)");
  EXPECT_EQ(step["overhead_pct"], 2.5);
  EXPECT_EQ(step["drop_ratio"], 0.01);
  ASSERT_EQ(j["windows"].size(), 3u);
  EXPECT_EQ(j["windows"][1].size(), 5u);
  EXPECT_EQ(j["windows"][1]["sample_every"], 1);  // in force while measured: the action came after
  EXPECT_EQ(j["windows"][2]["sample_every"], 2);
  EXPECT_EQ(j["windows"][2]["attached"], true);
  EXPECT_EQ(j["windows"][2]["t_ms"], 1500.0);
}

TEST(Governor, RejectsAnInvalidLadder) {
  GovernorOptions o = enabled_options();
  EXPECT_FALSE(parse_degrade_ladder("detach,sample:2"));  // nothing may follow detach
  EXPECT_FALSE(parse_degrade_ladder("sample:8,sample:2"));  // rungs must thin out more
  o.degrade = {};
  EXPECT_THROW(Governor{o}, std::invalid_argument);
}

}  // namespace
}  // namespace ringside
