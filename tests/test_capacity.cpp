// Capacity planning: the cost model's arithmetic (exact on known data) and `ringside sweep` end to
// end on a short ladder.
#include <cmath>

#include "capacity_model.h"
#include "test_support.h"

using namespace ringside;
using namespace ringside::test;

TEST(CapacityModel, FitRecoversAKnownLine) {
  std::vector<double> x = {1e3, 1e4, 5e4, 1e5, 2e5}, y;
  for (double v : x) y.push_back(0.02 + 3e-6 * v);
  LinearFit f = fit_line(x, y);
  EXPECT_NEAR(f.a, 0.02, 1e-9);
  EXPECT_NEAR(f.b, 3e-6, 1e-12);
  EXPECT_NEAR(f.r2, 1.0, 1e-12);
  ASSERT_TRUE(rate_at_budget(f, 1.0).has_value());
  EXPECT_NEAR(*rate_at_budget(f, 1.0), (1.0 - 0.02) / 3e-6, 1e-3);
  // 3e-6 %/(event/s) on 2 CPUs = 3e-6 · 1e9 · 2 / 100 = 60 ns per event
  EXPECT_NEAR(ns_per_event_from_slope(f, 2), 60.0, 1e-9);
  // same CPU time on 16 CPUs is 8× smaller a share
  EXPECT_NEAR(predict_pct(f, 1e5, 2, 16), (0.02 + 0.3) / 8, 1e-12);
}

TEST(CapacityModel, NoisyFitHasLowerR2AndFlatDataNoBudgetRate) {
  LinearFit noisy = fit_line({1, 2, 3, 4}, {1, 3, 2, 4});
  EXPECT_LT(noisy.r2, 1.0);
  EXPECT_GT(noisy.r2, 0.0);
  LinearFit flat = fit_line({1, 2, 3}, {0.5, 0.5, 0.5});
  EXPECT_FALSE(rate_at_budget(flat, 1.0).has_value()) << "no slope, no knee";
}

TEST(CapacityModel, RingAbsorbsTheBurstBacklog) {
  // 500k/s for 2 s drained at 300k/s: 400k records of 72 bytes back up = 28.8 MB
  RingAdvice r = ring_for_burst(500e3, 2.0, 300e3, 72);
  EXPECT_EQ(r.bytes_needed, 28'800'000u);
  EXPECT_GE(static_cast<double>(r.ring_bytes), 1.25 * 28.8e6);
  EXPECT_EQ(r.ring_bytes & (r.ring_bytes - 1), 0u) << "power of two";
  EXPECT_EQ(r.ring_bytes, 64u << 20);
  EXPECT_EQ(ring_for_burst(100e3, 1.0, 300e3, 72).bytes_needed, 0u) << "drain faster than the burst: no backlog";
}

// --latency-bounds: the ladder once per reader latency bound, each with its own fit.
TEST(Sweep, LatencyBoundsRunTheLadderUnderEachBound) {
  RINGSIDE_REQUIRE_BPF();
  const std::string out = temp_dir("sweep-bounds");
  int code = 0;
  Proc p = run({bin("ringside"), "sweep", "--workload", "write", "--rates", "2k,8k", "--latency-bounds", "5,40",
                "--duration", "0.4", "--repeat", "1", "--no-report", "--out", out},
               &code);
  ASSERT_EQ(code, 0) << p.err() << p.out();
  const auto results = read_results(out);
  const auto& b = results["sweep"]["latency_bounds"];
  ASSERT_EQ(b.size(), 2u) << b.dump();
  EXPECT_EQ(b[0]["max_latency_ms"].get<uint32_t>(), 5u);
  EXPECT_EQ(b[1]["max_latency_ms"].get<uint32_t>(), 40u);
  for (const auto& bound : b) {
    ASSERT_EQ(bound["points"].size(), 2u);
    for (const auto& pt : bound["points"]) {
      EXPECT_TRUE(pt["conserved"].get<bool>()) << pt.dump();
      EXPECT_EQ(pt["dropped"].get<uint64_t>(), 0u) << "paced: nothing dropped";
    }
    EXPECT_EQ(bound["model_total"]["n"].get<std::size_t>(), 2u);
  }
  EXPECT_NE(p.out().find("latency bound"), std::string::npos) << p.out();
  expect_usage_error({"sweep", "--latency-bounds", "0"}, "--latency-bounds");
  expect_usage_error({"sweep", "--latency-bounds", "10", "--wakeup", "every"}, "batch");
  expect_usage_error({"sweep", "--latency-bounds", "10", "--auto"}, "--latency-bounds");
}

TEST(Sweep, ShortLadderWritesTheCapacityPlan) {
  RINGSIDE_REQUIRE_BPF();
  const std::string out = temp_dir("sweep");
  int code = 0;
  Proc p = run({bin("ringside"), "sweep", "--workload", "getppid", "--rates", "2k,8k", "--duration", "0.5", "--repeat",
                "1", "--burst", "100k:1", "--plan", "50k,16", "--no-report", "--out", out},
               &code);
  ASSERT_EQ(code, 0) << p.err() << p.out();
  auto r = read_results(out);
  const auto& s = r["sweep"];
  ASSERT_EQ(s["points"].size(), 2u);
  for (const auto& pt : s["points"]) {
    EXPECT_EQ(pt["received"].get<uint64_t>() + pt["dropped"].get<uint64_t>(), pt["expected"].get<uint64_t>()) << pt.dump();
    EXPECT_TRUE(pt["conserved"].get<bool>());
  }
  EXPECT_EQ(s["model"]["total"]["n"].get<std::size_t>(), 2u);
  EXPECT_EQ(s["plan"]["cpus"].get<int>(), 16);
  const auto& ring = s["ring_recommendation"];
  EXPECT_GE(ring["ring_bytes"].get<double>(), ring["bytes_needed"].get<double>());
  EXPECT_FALSE(s["max_rate_no_drops"].is_null());
}
