// The interleaved gate's statistics: the signed-rank test against published tables, the
// sequential rule's A/A false-alarm rate and power on simulated pairs, the rule that refuses a
// gate that could never fail, the pair order, and the command's bad input.
#include <cmath>
#include <random>
#include <stdexcept>

#include "group_sequential.h"
#include "interleave.h"
#include "rank_tests.h"
#include "test_support.h"

using namespace ringside;
using namespace ringside::gate;
using namespace ringside::test;

namespace {

// n differences with magnitudes 1..n, negative on the ranks in `negative`: T (the negative
// rank sum) is their sum, and the one-sided p is P(T' <= T).
std::vector<double> with_negative_ranks(int n, std::vector<int> negative) {
  std::vector<double> d;
  for (int r = 1; r <= n; ++r)
    d.push_back(std::find(negative.begin(), negative.end(), r) != negative.end() ? -r : r);
  return d;
}

// Published lower-tail probabilities of the signed-rank statistic (e.g. Wilcoxon, Katti & Wilcox
// 1963 tables): n = 10: P(T <= 3) = 0.0049, 5: 0.0098, 8: 0.0244, 10: 0.0420;
// n = 20: P(T <= 43) = 0.0096, 52: 0.0242, 60: 0.0487; n = 5: P(T <= 0) = 1/32.
TEST(SignedRank, ExactPMatchesPublishedTables) {
  struct Row {
    int n;
    std::vector<int> negative;
    double p;
  };
  const std::vector<Row> rows = {{10, {3}, 0.00488},         {10, {5}, 0.00977},         {10, {8}, 0.02441},
                                 {10, {10}, 0.04199},        {10, {1, 10}, 0.05273},     {5, {}, 0.03125},
                                 {20, {20, 19, 4}, 0.00962}, {20, {20, 19, 13}, 0.02422}, {20, {20, 19, 18, 3}, 0.04865}};
  for (const Row& r : rows) {
    const auto res = stats::wilcoxon_signed_rank(with_negative_ranks(r.n, r.negative));
    EXPECT_TRUE(res.exact);
    EXPECT_EQ(res.n, static_cast<std::size_t>(r.n));
    EXPECT_NEAR(res.p_value, r.p, 5e-5) << "n " << r.n;
  }
}

TEST(SignedRank, ZerosAreDroppedTiesShareMidranksAndLargeNAgreesWithNormal) {
  const auto with_zeros = stats::wilcoxon_signed_rank(std::vector<double>{0, 0, 1, 2, 3, 4, 5});
  EXPECT_EQ(with_zeros.n, 5u);
  EXPECT_NEAR(with_zeros.p_value, 1.0 / 32, 1e-12);
  // ties: |d| = 1,1,2 → midranks 1.5,1.5,3; W+ = 1.5 + 3 = 4.5; of the 8 sign patterns, sums
  // 0, 1.5, 1.5, 3, 3, 4.5, 4.5, 6: P(W+ >= 4.5) = 3/8
  EXPECT_NEAR(stats::wilcoxon_signed_rank(std::vector<double>{1, -1, 2}).p_value, 0.375, 1e-12);
  EXPECT_EQ(stats::wilcoxon_signed_rank(std::vector<double>{}).p_value, 1.0);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.1, 1.0);
  std::vector<double> d(150);
  for (auto& x : d) x = noise(rng);
  const double exact = stats::wilcoxon_signed_rank(d, stats::MwuMethod::exact).p_value;
  const double normal = stats::wilcoxon_signed_rank(d, stats::MwuMethod::normal).p_value;
  EXPECT_NEAR(exact, normal, 0.01);
  EXPECT_DOUBLE_EQ(stats::min_signed_rank_p(12), 1.0 / 4096);
}

// Pocock's constants (Pocock 1977; Jennison & Turnbull, "Group Sequential Methods", table 2.1):
// two-sided alpha 0.05 over K equally spaced looks rejects at |Z| > c_K. One side of that is a
// one-sided alpha 0.025 (crossing both sides is negligible), so the nominal one-sided level is
// Q(c_K).
TEST(GroupSequential, PocockLevelMatchesPublishedConstants) {
  const double c[] = {0, 1.960, 2.178, 2.289, 2.361, 2.413};
  for (std::size_t k = 1; k <= 5; ++k) {
    std::vector<std::size_t> looks;
    for (std::size_t i = 1; i <= k; ++i) looks.push_back(10 * i);
    const double nominal = 0.5 * std::erfc(c[k] / std::sqrt(2.0));
    EXPECT_NEAR(stats::pocock_level(looks, 0.025), nominal, 0.01 * nominal) << k << " looks";
  }
}

TEST(GroupSequential, TheLevelSpendsExactlyAlphaAndBeatsBonferroni) {
  for (const std::vector<std::size_t>& looks : {std::vector<std::size_t>{12, 24, 36, 48},
                                                std::vector<std::size_t>{8, 20, 32, 44, 48}, std::vector<std::size_t>{30}}) {
    for (double overall : {0.01 / 3, 0.01, 0.05}) {
      const double level = stats::pocock_level(looks, overall);
      EXPECT_NEAR(stats::crossing_probability(looks, level), overall, 0.002 * overall);
      EXPECT_GE(level, overall / static_cast<double>(looks.size()));
      EXPECT_LE(level, overall);
      if (looks.size() > 1) {
        EXPECT_GT(level, 1.2 * overall / static_cast<double>(looks.size())) << "overlapping looks are not disjoint";
        EXPECT_LT(stats::crossing_probability(looks, overall / static_cast<double>(looks.size())), overall);
      }
    }
  }
  EXPECT_THROW(stats::pocock_level({}, 0.01), std::invalid_argument);
  EXPECT_THROW(stats::pocock_level({12, 12}, 0.01), std::invalid_argument);
}

// A random walk of N(0, 1) steps looked at 12, 24, 36, 48 crosses the level at the rate it
// promises (the integration, checked by simulation).
TEST(GroupSequential, SimulatedWalksCrossAtTheStatedRate) {
  const std::vector<std::size_t> looks = {12, 24, 36, 48};
  const double level = stats::pocock_level(looks, 0.05);
  double lo = 0, hi = 10;  // c with Q(c) = level
  while (hi - lo > 1e-9) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(mid / std::sqrt(2.0)) > level ? lo : hi) = mid;
  }
  const double c = 0.5 * (lo + hi);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> z(0, 1);
  const int walks = 100000;
  int crossed = 0;
  for (int w = 0; w < walks; ++w) {
    double s = 0;
    std::size_t n = 0;
    for (std::size_t at : looks) {
      while (n < at) s += z(rng), ++n;
      if (s > c * std::sqrt(static_cast<double>(n))) {
        ++crossed;
        break;
      }
    }
  }
  EXPECT_NEAR(crossed / static_cast<double>(walks), 0.05, 0.004) << "4 sigma of 100k Bernoulli(0.05)";
}

// Simulated pairs: per pair, each primary metric of B is A × exp(shift + noise).
// Noise: the per-run spread (SD of log) of the metric on this 2-vCPU VM, rounded up.
struct Sim {
  double e2e_shift = 0, cpu_shift = 0;
  double e2e_noise = 0.15, cpu_noise = 0.05, ops_noise = 0.01;
};

PairVerdict sequential(const Sim& sim, const InterleaveOptions& o, std::mt19937_64& rng, std::size_t* pairs_used) {
  std::normal_distribution<double> z(0, 1);
  std::vector<PairedMetric> m = {{"latency.end_to_end.p50", "ns", Better::lower, Scale::ratio, {}, {}},
                                 {"cpu.ns_per_event", "ns", Better::lower, Scale::ratio, {}, {}},
                                 {"workload.ops_per_sec", "ops/s", Better::higher, Scale::ratio, {}, {}},
                                 {"latency.end_to_end.p99", "ns", Better::lower, Scale::ratio, {}, {}}};
  const double shift[] = {sim.e2e_shift, sim.cpu_shift, 0, 0};
  const double noise[] = {sim.e2e_noise, sim.cpu_noise, sim.ops_noise, 0.5};
  LookResult r;
  for (std::size_t at : look_points(o)) {
    while (m[0].a.size() < at)
      for (int k = 0; k < 4; ++k) {
        const double a = 1000 * std::exp(noise[k] * z(rng));
        m[k].a.push_back(a);
        m[k].b.push_back(1000 * std::exp(shift[k] + noise[k] * z(rng)));
      }
    r = decide(m, o);
    *pairs_used = at;
    if (r.overall != PairVerdict::undecided) break;
  }
  return r.overall;
}

InterleaveOptions simulated() {
  InterleaveOptions o;  // alpha 0.01, looks at 12, 24, 36, 48
  o.ci_resamples = 0;   // the CI is reported, not decided on: skip it here
  return o;
}

TEST(SequentialRule, AAFalseAlarmsStayBelowAlpha) {
  const InterleaveOptions o = simulated();
  std::mt19937_64 rng(2024);
  int alarms = 0;
  std::size_t pairs = 0, total_pairs = 0;
  const int trials = 2000;
  for (int t = 0; t < trials; ++t) {
    alarms += sequential({}, o, rng, &pairs) == PairVerdict::regression;
    total_pairs += pairs;
  }
  EXPECT_LE(static_cast<double>(alarms) / trials, o.alpha) << alarms << " alarms";
  // and under much noisier latency
  alarms = 0;
  for (int t = 0; t < trials; ++t) alarms += sequential({.e2e_noise = 0.5}, o, rng, &pairs) == PairVerdict::regression;
  EXPECT_LE(static_cast<double>(alarms) / trials, o.alpha) << alarms << " alarms at 50 % latency noise";
  EXPECT_LT(static_cast<double>(total_pairs) / trials, 30.0) << "most A/A gates stop early";
}

TEST(SequentialRule, DetectsA25PercentLatencyAndA10PercentCpuRegression) {
  const InterleaveOptions o = simulated();
  std::mt19937_64 rng(99);
  std::size_t pairs = 0;
  int e2e = 0, cpu = 0;
  const int trials = 500;
  for (int t = 0; t < trials; ++t) {
    e2e += sequential({.e2e_shift = std::log(1.25)}, o, rng, &pairs) == PairVerdict::regression;
    cpu += sequential({.cpu_shift = std::log(1.10)}, o, rng, &pairs) == PairVerdict::regression;
  }
  EXPECT_GE(e2e, trials * 98 / 100) << "+25 % e2e p50 under 15 % per-run noise";
  EXPECT_GE(cpu, trials * 99 / 100) << "+10 % CPU under 5 % per-run noise";
}

TEST(SequentialRule, SmallRealChangesPassAndImprovementsAreNotRegressions) {
  const InterleaveOptions o = simulated();
  std::mt19937_64 rng(5);
  std::size_t pairs = 0;
  int small = 0, faster = 0;
  const int trials = 400;
  for (int t = 0; t < trials; ++t) {
    small += sequential({.cpu_shift = std::log(1.02)}, o, rng, &pairs) == PairVerdict::regression;
    faster += sequential({.e2e_shift = std::log(0.7)}, o, rng, &pairs) == PairVerdict::regression;
  }
  EXPECT_LE(small, trials * 2 / 100) << "a real 2 % CPU change is within the 5 % threshold";
  EXPECT_LE(faster, trials * 2 / 100) << "faster is not worse";
}

TEST(SequentialRule, AGateThatCouldNeverFailIsRefused) {
  InterleaveOptions o;
  EXPECT_FALSE(cannot_fire(o).has_value());
  EXPECT_FALSE(cannot_fire_at_first_look(o).has_value()) << "12 pairs: 2^-12 < 0.01 / 4 / 3";
  EXPECT_GT(alpha_per_look(o), o.alpha / 4) << "Pocock's level over 4 looks is above Bonferroni's";
  EXPECT_LT(alpha_per_look(o), o.alpha);
  o.first_pairs = o.max_pairs = 8;  // 2^-8 = 0.0039 > 0.01 / 1 / 3
  const auto why = cannot_fire(o);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("2^-8"), std::string::npos) << *why;
  o.max_pairs = 48;  // fires only at a later look
  EXPECT_FALSE(cannot_fire(o).has_value());
  EXPECT_TRUE(cannot_fire_at_first_look(o).has_value());
  EXPECT_EQ(look_points(o), (std::vector<std::size_t>{8, 20, 32, 44, 48}));
}

TEST(PairOrder, ACoinPerPairFixedBySeed) {
  const auto a = pair_orders(400, 1), b = pair_orders(400, 1), c = pair_orders(400, 2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  const auto firsts = std::count(a.begin(), a.end(), true);
  EXPECT_GT(firsts, 150);
  EXPECT_LT(firsts, 250);
}

TEST(GateInterleaveCli, BadInputIsOneLine) {
  const std::string out = temp_dir("gate-il-bad");
  expect_usage_error({"gate", "--interleave", "--pairs", "8", "--max-pairs", "8", "--out", out}, "this gate could never fail");
  expect_usage_error({"gate", "--interleave", "--baseline", "x.json", "--out", out}, "no --baseline/--current");
  expect_usage_error({"gate", "--interleave", "--a-agent", "sleep 1", "--out", out}, "go together");
  expect_usage_error({"gate", "--interleave", "--b", "'unbalanced", "--out", out}, "cannot split");
  expect_usage_error({"gate", "--interleave", "--a-binary", "/nonexistent", "--out", out}, "not an executable");
  expect_usage_error({"gate", "--baseline", "a.json", "--current", "b.json", "--workload", "write"},
                     "run options go with --interleave");
  expect_usage_error({"gate", "--interleave", "--max-pairs", "4", "--out", out}, "--max-pairs must be at least --pairs");
}

// A side whose runs fail is exit 2 with the run's own message, after the first run.
TEST(GateInterleaveCli, ASideThatCannotRunIsExit2) {
  RINGSIDE_REQUIRE_BPF();
  int code = 0;
  const Proc p = run({bin("ringside"), "gate", "--interleave", "--b", "--workers 99999", "--run-duration", "0.2", "--out",
                      temp_dir("gate-il-fail")},
                     &code);
  EXPECT_EQ(code, 2);
  const std::string err = p.err();
  EXPECT_NE(err.find("ringside: side B: "), std::string::npos) << err;
  EXPECT_NE(err.find("--workers: expected an integer in 0..256, got '99999'"), std::string::npos) << "the run's own reason";
}

}  // namespace

namespace {

// The interface the checks use, with a delay no noise hides: exit 1, a regression of the
// end-to-end p50, every pair in gate.json, JUnit and Markdown written.
TEST(GateInterleaveCli, AnInjectedHandlerDelayIsARegression) {
  RINGSIDE_REQUIRE_BPF();
  const std::string out = temp_dir("gate-il-delay");
  int code = 0;
  const Proc p = run({bin("ringside"), "gate", "--interleave", "--workload", "write", "--rate", "20000", "--wakeup", "every",
                      "--a", "", "--b", "--inject-handler-delay-ns 200000", "--pairs", "6", "--max-pairs", "6", "--alpha",
                      "0.05", "--run-duration", "0.3", "--seed", "7", "--out", out, "--junit", out + "/gate.xml",
                      "--markdown", out + "/gate.md"},
                     &code);
  EXPECT_EQ(code, 1) << p.err() << p.out();
  EXPECT_NE(p.out().find("gate: regression"), std::string::npos) << p.out();
  std::ifstream in(out + "/gate.json");
  const nlohmann::json g = nlohmann::json::parse(in);
  EXPECT_EQ(g["outcome"], "regression");
  EXPECT_EQ(g["pairs"].size(), 7u) << "six pairs and the warm-up";
  EXPECT_EQ(g["pairs"][0]["warmup"], true);
  EXPECT_EQ(g["run_warmup_s"], 0.1) << "this build's runs take a short warm-up round";
  EXPECT_EQ(g["pairs"][1]["a"].count("latency.end_to_end.p50"), 1u);
  bool e2e_regressed = false;
  for (const auto& m : g["result"]["metrics"])
    if (m["name"] == "latency.end_to_end.p50") e2e_regressed = m["verdict"] == "REGRESSION" && m["change"].get<double>() > 100;
  EXPECT_TRUE(e2e_regressed) << g["result"].dump();
  EXPECT_TRUE(std::filesystem::exists(out + "/gate.xml"));
  EXPECT_TRUE(std::filesystem::exists(out + "/gate.md"));
}

}  // namespace

namespace {

// A side built before `run --warmup-s` existed (a wrapper whose help lacks it and which refuses
// it): both sides keep run's default warm-up round, so the two stay alike, and the gate runs.
TEST(GateInterleaveCli, AnOlderBuildWithoutWarmupSKeepsRunsDefaultOnBothSides) {
  RINGSIDE_REQUIRE_BPF();
  const std::string out = temp_dir("gate-il-old");
  std::filesystem::create_directories(out);
  const std::string old = out + "/old-ringside";
  {
    std::ofstream f(old);
    f << "#!/bin/sh\n"
         "for a in \"$@\"; do [ \"$a\" = --warmup-s ] && { echo \"unknown option --warmup-s\" >&2; exit 2; }; done\n"
         "if [ \"$1\" = run ] && [ \"$2\" = --help ]; then '"
      << bin("ringside") << "' run --help | grep -v -- --warmup-s; exit 0; fi\n"
      << "exec '" << bin("ringside") << "' \"$@\"\n";
  }
  std::filesystem::permissions(old, std::filesystem::perms::owner_all);
  int code = 0;
  const Proc p = run({bin("ringside"), "gate", "--interleave", "--workload", "write", "--rate", "5000", "--a-binary", old,
                      "--metrics", "latency.end_to_end.p50", "--alpha", "0.3", "--pairs", "2", "--max-pairs", "2",
                      "--run-duration", "0.2", "--seed", "3", "--out", out + "/gate"},
                     &code);
  EXPECT_TRUE(code == 0 || code == 1) << p.err();
  EXPECT_NE(p.err().find("after a 0.2 s warm-up"), std::string::npos) << p.err();
  std::ifstream in(out + "/gate/gate.json");
  const nlohmann::json g = nlohmann::json::parse(in);
  EXPECT_EQ(g["run_warmup_s"], 0.2) << "run's default: as long as the measured phases";
  EXPECT_EQ(g["pairs"].size(), 3u);
}

}  // namespace
