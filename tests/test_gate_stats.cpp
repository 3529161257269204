// The gate's statistics: Mann–Whitney U against known values, bootstrap coverage, Holm,
// and the verdict rule's direction awareness and false-alarm/power behaviour.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "rank_tests.h"
#include "gate_verdict.h"

namespace ringside::gate {
namespace {

std::vector<double> lognormal_sample(std::mt19937_64& rng, std::size_t n, double scale, double sigma) {
  std::lognormal_distribution<double> dist(0.0, sigma);
  std::vector<double> v(n);
  for (double& x : v) x = scale * dist(rng);
  return v;
}

TEST(MannWhitney, CompleteSeparationOfFiveVsFiveIsTwoOver252) {
  const std::vector<double> x{1, 2, 3, 4, 5}, y{6, 7, 8, 9, 10};
  const MwuResult r = mann_whitney_u(x, y);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 0.0);
  EXPECT_NEAR(r.p_value, 2.0 / 252.0, 1e-12);
  const MwuResult reversed = mann_whitney_u(y, x);
  EXPECT_DOUBLE_EQ(reversed.u, 25.0);
  EXPECT_NEAR(reversed.p_value, 2.0 / 252.0, 1e-12);
}

TEST(MannWhitney, MatchesRWilcoxTestExample) {
  // R's ?wilcox.test: W = 35, one-sided p = 0.1272, so two-sided 0.2544 (exact, no ties).
  const std::vector<double> x{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
  const std::vector<double> y{1.15, 0.88, 0.90, 0.74, 1.21};
  const MwuResult r = mann_whitney_u(x, y);
  EXPECT_DOUBLE_EQ(r.u, 35.0);
  EXPECT_TRUE(r.exact);
  EXPECT_FALSE(r.ties);
  EXPECT_NEAR(r.p_value, 0.2544, 5e-5);
}

TEST(MannWhitney, IdenticalSamplesGivePOne) {
  const std::vector<double> x{5, 5, 5, 5, 5, 5}, y{5, 5, 5, 5, 5, 5};
  EXPECT_DOUBLE_EQ(mann_whitney_u(x, y, MwuMethod::exact).p_value, 1.0);
  EXPECT_DOUBLE_EQ(mann_whitney_u(x, y, MwuMethod::normal).p_value, 1.0);
  const std::vector<double> same{3, 1, 4, 1.5, 9, 2.6};
  EXPECT_DOUBLE_EQ(mann_whitney_u(same, same).p_value, 1.0);
}

TEST(MannWhitney, TiesUseMidranksInBothMethods) {
  // Reference values from brute-force enumeration of all C(13,7) = 1716 splits with
  // midranks, and from the tie-corrected normal formula, computed independently.
  const std::vector<double> x{1, 2, 2, 3, 3, 3, 4}, y{3, 4, 4, 5, 5, 6};
  const MwuResult exact = mann_whitney_u(x, y, MwuMethod::exact);
  EXPECT_TRUE(exact.ties);
  EXPECT_DOUBLE_EQ(exact.u, 3.5);
  EXPECT_NEAR(exact.p_value, 17.0 / 1716.0, 1e-12);
  const MwuResult normal = mann_whitney_u(x, y, MwuMethod::normal);
  EXPECT_NEAR(normal.p_value, 0.012999854364387314, 1e-9);
}

TEST(MannWhitney, NormalApproximationAgreesWithExactForModerateSamples) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const auto x = lognormal_sample(rng, 15, 1.0, 0.3);
    const auto y = lognormal_sample(rng, 15, 1.0 + 0.02 * trial, 0.3);
    const double exact = mann_whitney_u(x, y, MwuMethod::exact).p_value;
    const double normal = mann_whitney_u(x, y, MwuMethod::normal).p_value;
    EXPECT_NEAR(exact, normal, 0.01) << "trial " << trial;
  }
}

TEST(MannWhitney, AutomaticIsExactUpToTwentyPerSide) {
  std::mt19937_64 rng(1);
  EXPECT_TRUE(mann_whitney_u(lognormal_sample(rng, 20, 1, 0.2), lognormal_sample(rng, 20, 1, 0.2)).exact);
  EXPECT_FALSE(mann_whitney_u(lognormal_sample(rng, 21, 1, 0.2), lognormal_sample(rng, 20, 1, 0.2)).exact);
}

TEST(MannWhitney, MinAttainablePIsCompleteSeparation) {
  EXPECT_NEAR(min_attainable_p(5, 5), 2.0 / 252.0, 1e-15);
  EXPECT_NEAR(min_attainable_p(9, 9), 2.0 / 48620.0, 1e-15);
  EXPECT_DOUBLE_EQ(min_attainable_p(1, 1), 1.0);
  const std::vector<double> x{1, 2, 3, 4, 5, 6, 7, 8, 9}, y{11, 12, 13, 14, 15, 16, 17, 18, 19};
  EXPECT_NEAR(mann_whitney_u(x, y).p_value, min_attainable_p(9, 9), 1e-15);
}

TEST(Holm, StepDownAdjustmentIsMonotone) {
  const std::vector<double> p{0.01, 0.04, 0.03, 0.005};
  const std::vector<double> adjusted = holm_adjust(p);
  ASSERT_EQ(adjusted.size(), 4u);
  EXPECT_NEAR(adjusted[3], 0.02, 1e-12);  // smallest p times 4
  EXPECT_NEAR(adjusted[0], 0.03, 1e-12);  // next times 3
  EXPECT_NEAR(adjusted[2], 0.06, 1e-12);  // next times 2
  EXPECT_NEAR(adjusted[1], 0.06, 1e-12);  // 0.04 * 1 raised to the running maximum
}

TEST(Bootstrap, CoversTheTrueRatioOfShiftedLognormals) {
  constexpr int kSeeds = 200;
  constexpr double kTrueRatio = 1.25;  // population medians 1.0 and 1.25
  int covered = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    std::mt19937_64 rng(1000 + seed);
    const auto base = lognormal_sample(rng, 15, 1.0, 0.25);
    const auto cur = lognormal_sample(rng, 15, kTrueRatio, 0.25);
    const Interval ci = bootstrap_median_ci(base, cur, Scale::ratio, 0.95, 2000);
    ASSERT_LE(ci.lo, ci.hi);
    if (ci.lo <= kTrueRatio && kTrueRatio <= ci.hi) ++covered;
  }
  EXPECT_GE(covered, kSeeds * 90 / 100);
}

TEST(Bootstrap, IsDeterministicAndScaleAware) {
  const std::vector<double> base{10, 11, 9, 10.5, 9.5}, cur{20, 22, 18, 21, 19};
  const Interval a = bootstrap_median_ci(base, cur, Scale::ratio);
  const Interval b = bootstrap_median_ci(base, cur, Scale::ratio);
  EXPECT_EQ(a.lo, b.lo);
  EXPECT_EQ(a.hi, b.hi);
  EXPECT_GT(a.lo, 1.5);
  EXPECT_LT(a.hi, 2.5);
  const Interval d = bootstrap_median_ci(base, cur, Scale::difference);
  EXPECT_GT(d.lo, 5.0);
  EXPECT_LT(d.hi, 15.0);
}

TEST(Verdict, IsDirectionAware) {
  const GateOptions o;  // 5 % limit, alpha 0.05
  EXPECT_EQ(classify(+30, Better::lower, 0.001, o), Verdict::regression);  // latency up
  EXPECT_EQ(classify(-30, Better::lower, 0.001, o), Verdict::improvement);
  EXPECT_EQ(classify(-30, Better::higher, 0.001, o), Verdict::regression);  // throughput down
  EXPECT_EQ(classify(+30, Better::higher, 0.001, o), Verdict::improvement);
  EXPECT_EQ(classify(+3, Better::lower, 0.001, o), Verdict::pass);   // significant but small
  EXPECT_EQ(classify(+30, Better::lower, 0.2, o), Verdict::pass);    // large but not significant
  EXPECT_EQ(classify(std::nan(""), Better::lower, 0.001, o), Verdict::pass);
}

// Six independent lognormal metrics of 9 repetitions each; only the first is shifted.
GateInput synthetic_input(std::mt19937_64& rng, double first_shift, double sigma) {
  GateInput in;
  in.path = "synthetic";
  for (int i = 0; i < 6; ++i) {
    Metric m;
    m.name = "metric" + std::to_string(i);
    m.values = lognormal_sample(rng, 9, i == 0 ? first_shift : 1.0, sigma);
    in.metrics.push_back(m);
    in.default_metrics.push_back(m.name);
  }
  return in;
}

double failure_rate(double shift, double sigma, int trials) {
  int failed = 0;
  for (int t = 0; t < trials; ++t) {
    std::mt19937_64 rng(31 * t + 5);
    const GateInput baseline = synthetic_input(rng, 1.0, sigma);
    const GateInput current = synthetic_input(rng, shift, sigma);
    if (evaluate(baseline, current, {}, GateOptions{}).count(Verdict::regression) > 0) ++failed;
  }
  return static_cast<double>(failed) / trials;
}

TEST(Verdict, LargeButInsignificantMovesPassLoudly) {
  GateInput baseline, current;
  Metric m;
  m.name = "latency.end_to_end.p50";
  m.values = {10, 11, 12, 13, 30};
  baseline.metrics = {m};
  m.values = {9, 12, 14, 15, 16};  // median +16.7 %, ranks interleaved
  current.metrics = {m};
  const GateResult r = evaluate(baseline, current, {"latency.*"}, GateOptions{});
  ASSERT_EQ(r.metrics.size(), 1u);
  EXPECT_EQ(r.metrics[0].verdict, Verdict::pass);
  EXPECT_TRUE(r.metrics[0].noisy);
  EXPECT_GT(r.metrics[0].p_adjusted, 0.05);
  EXPECT_NEAR(r.metrics[0].change, 100.0 * (14.0 / 12.0 - 1.0), 1e-9);
}

TEST(Verdict, NeitherCriesWolfNorSleeps) {
  // 5 % repetition-to-repetition noise (lognormal sigma 0.05), 6 metrics, 9 vs 9 reps.
  // Holm keeps the A/A regression rate at or below alpha/2 = 2.5 % in theory.
  EXPECT_LE(failure_rate(1.00, 0.05, 80), 0.05) << "A/A comparisons fail too often";
  EXPECT_GE(failure_rate(1.25, 0.05, 40), 0.95) << "a +25 % shift goes unnoticed";
  EXPECT_EQ(failure_rate(1.03, 0.01, 20), 0.0) << "a tiny but significant shift fails the gate";
}

}  // namespace
}  // namespace ringside::gate
