// `ringside run` end to end: every workload kind conserves events through the full pipeline
// against the workload's own ground truth; the results carry every documented field; bad input
// is a one-line error with exit 2.
#include <unistd.h>

#include "test_support.h"

using namespace ringside::test;

namespace {

nlohmann::json run_ok(const std::vector<std::string>& extra, const std::string& tag) {
  const std::string out = temp_dir("run-" + tag);
  std::vector<std::string> argv = {bin("ringside"), "run", "--no-report", "--out", out};
  argv.insert(argv.end(), extra.begin(), extra.end());
  int code = 0;
  Proc p = run(argv, &code);
  EXPECT_EQ(code, 0) << p.err() << p.out();
  return read_results(out);
}

uint64_t sum_drops(const nlohmann::json& d) {
  uint64_t n = 0;
  for (const auto& [k, v] : d.items()) n += v.get<uint64_t>();
  return n;
}

class RunKinds : public testing::TestWithParam<std::string> {};

TEST_P(RunKinds, TracedRunsConserveAgainstGroundTruth) {
  RINGSIDE_REQUIRE_BPF();
  const std::string kind = GetParam();
  const std::string rate = kind == "exec" ? "200" : kind == "connect" ? "2000" : "10000";
  auto r = run_ok({"--workload", kind, "--rate", rate, "--duration", "0.6", "--repeat", "1", "--phases", "baseline,traced"},
                  kind);
  ASSERT_EQ(r["runs"].size(), 2u) << r["runs"].dump();
  int traced = 0;
  for (const auto& run : r["runs"]) {
    if (run["phase"] != "traced") continue;
    ++traced;
    const auto& ev = run["events"];
    // both sides present, or the per-syscall comparison below would compare nothing
    ASSERT_TRUE(ev.contains("by_syscall")) << ev.dump();
    ASSERT_TRUE(run["workload"].contains("by_syscall")) << run["workload"].dump();
    uint64_t truth = 0;
    for (const auto& [name, n] : run["workload"]["by_syscall"].items()) {
      truth += n.get<uint64_t>();
      // no drops at this rate: every syscall the workload counted was received under its name
      EXPECT_EQ(ev["by_syscall"].value(name, uint64_t{0}), n.get<uint64_t>()) << name << ": " << ev.dump();
    }
    EXPECT_EQ(ev["by_syscall"].size(), run["workload"]["by_syscall"].size()) << "no syscall nobody issued: " << ev.dump();
    EXPECT_GT(truth, 0u);
    EXPECT_EQ(ev["expected"].get<uint64_t>(), truth) << ev.dump();
    EXPECT_EQ(ev["matched"].get<uint64_t>(), truth) << "kernel saw exactly what the workload issued: " << ev.dump();
    EXPECT_EQ(ev["received"].get<uint64_t>() + sum_drops(ev["dropped"]), truth) << ev.dump();
    EXPECT_EQ(sum_drops(ev["dropped"]), 0u) << "paced run must not drop: " << ev.dump();
    EXPECT_TRUE(ev["conserved"].get<bool>());
  }
  EXPECT_EQ(traced, 1) << "one traced run to compare: " << r["runs"].dump();
}

INSTANTIATE_TEST_SUITE_P(Workloads, RunKinds, testing::Values("write", "openat", "getppid", "exec", "connect", "mixed"));

TEST(Run, ResultsCarryEveryDocumentedField) {
  RINGSIDE_REQUIRE_BPF();
  auto r = run_ok({"--workload", "write", "--rate", "20k", "--duration", "0.5", "--repeat", "2"}, "fields");
  EXPECT_EQ(r["schema"], "ringside.results/v1");
  for (const char* k : {"kernel", "cpus", "btf", "transport", "wakeup", "hook"}) EXPECT_TRUE(r["host"].contains(k)) << k;
  const auto& s = r["summary"];
  for (const char* k : {"ops", "ops_per_sec"}) EXPECT_TRUE(s["workload"].contains(k)) << k;
  for (const char* k : {"kernel_reserve", "perf_lost", "sampled_out", "queue_full", "pool_exhausted"})
    EXPECT_TRUE(s["events"]["dropped"].contains(k)) << k;
  for (const char* stage : {"syscall_to_hook", "hook_to_submit", "submit_to_read", "read_to_parse", "queue_wait",
                            "handle", "end_to_end"}) {
    const auto& h = s["latency_ns"][stage];
    EXPECT_GT(h["count"].get<uint64_t>(), 0u) << stage;
    EXPECT_LE(h["p50"].get<uint64_t>(), h["p90"].get<uint64_t>()) << stage;
    EXPECT_LE(h["p90"].get<uint64_t>(), h["p99"].get<uint64_t>()) << stage;
    EXPECT_LE(h["p99"].get<uint64_t>(), h["p999"].get<uint64_t>()) << stage;
  }
  for (const char* k : {"bpf_ns", "consumer_ns", "workers_ns", "ns_per_event", "pct_of_machine", "budget_pct", "within_budget"})
    EXPECT_TRUE(s["cpu"].contains(k)) << k;
  EXPECT_GT(s["cpu"]["bpf_ns"].get<uint64_t>(), 0u) << "BPF_ENABLE_STATS run time was read";
  for (const char* k : {"baseline_ops_per_sec", "floor_ops_per_sec", "traced_ops_per_sec", "slowdown_pct", "ci95"})
    EXPECT_TRUE(s["overhead"].contains(k)) << k;
  EXPECT_EQ(r["runs"].size(), 6u) << "2 rounds × baseline/floor/traced, warm-up discarded";
  EXPECT_TRUE(s["events"]["conserved"].get<bool>());
  // open loop at 20k/s for 0.5 s: never faster than the schedule, and every one of its 10000 slots
  // was either issued or reported missed (a loaded machine stalls; the schedule never moves)
  for (const auto& run : r["runs"]) {
    const auto& w = run["workload"];
    EXPECT_LE(w["ops_per_sec"].get<double>(), 20000.0 * 1.01) << w.dump();
    EXPECT_NEAR(static_cast<double>(w["ops"].get<uint64_t>() + w.value("missed_ops", uint64_t{0})), 10000.0, 200.0)
        << w.dump();
  }
}

// --stamp-every N: the hook and submit timestamps (and the tag read) on 1 of every N kept events
// per CPU; every stage that needs a BPF timestamp counts exactly the stamped events.
TEST(Run, StampEveryTimesOneInNEvents) {
  RINGSIDE_REQUIRE_BPF();
  const uint64_t cpus = static_cast<uint64_t>(sysconf(_SC_NPROCESSORS_ONLN));
  for (uint64_t n : {1u, 8u}) {
    auto r = run_ok({"--workload", "write", "--rate", "10000", "--duration", "0.5", "--repeat", "1", "--phases",
                     "baseline,traced", "--stamp-every", std::to_string(n)},
                    "stamp" + std::to_string(n));
    EXPECT_EQ(r["scenario"]["stamp_every"].get<uint64_t>(), n);
    const auto& ev = r["summary"]["events"];
    ASSERT_TRUE(ev["conserved"].get<bool>()) << ev.dump();
    const uint64_t received = ev["received"].get<uint64_t>(), stamped = ev["stamped"].get<uint64_t>();
    ASSERT_GT(received, 4000u);
    if (n == 1) {
      EXPECT_EQ(stamped, received);
    }
    EXPECT_GE(stamped, received / n) << "n=" << n;
    EXPECT_LE(stamped, received / n + cpus) << "n=" << n;
    const auto& lat = r["summary"]["latency_ns"];
    for (const char* stage : {"syscall_to_hook", "hook_to_submit", "submit_to_read", "end_to_end"})
      EXPECT_EQ(lat[stage]["count"].get<uint64_t>(), stamped) << stage << " n=" << n;
    EXPECT_EQ(lat["handle"]["count"].get<uint64_t>(), received) << "userspace stages time every event";
  }
  expect_usage_error({"run", "--no-report", "--stamp-every", "0"}, "stamp-every");
}

// The bare phase runs lean_tap (a tracepoint, a tgid constant, one 64-byte record, 128 KiB
// wake-ups) for syscall_tap alone, and its events are conserved too.
TEST(Run, BarePhaseRunsTheLeanTap) {
  RINGSIDE_REQUIRE_BPF();
  auto r = run_ok({"--workload", "write", "--rate", "10000", "--duration", "0.5", "--repeat", "1", "--phases",
                   "baseline,bare,traced"},
                  "bare");
  EXPECT_EQ(r["summary"]["overhead"]["bare_program"], "lean_tap");
  EXPECT_GT(r["summary"]["overhead"]["traced_vs_bare_pct"].get<double>(), 0.0);
  int bare = 0;
  for (const auto& run : r["runs"]) {
    if (run["phase"] != "bare") continue;
    ++bare;
    const auto& ev = run["events"];  // per run: expected, received, kernel_reserve
    EXPECT_EQ(ev["received"].get<uint64_t>() + ev.value("kernel_reserve", uint64_t{0}), ev["expected"].get<uint64_t>())
        << ev.dump();
    EXPECT_GT(ev["expected"].get<uint64_t>(), 4000u);
  }
  EXPECT_EQ(bare, 1);
  expect_usage_error({"run", "--no-report", "--program", "lean_tap"}, "program");
}

// --rings per-cpu: one ring per CPU; two producer threads at max rate, every event accounted.
TEST(Run, PerCpuRingsConserveWithTwoProducers) {
  RINGSIDE_REQUIRE_BPF();
  auto r = run_ok({"--workload", "write", "--threads", "2", "--rings", "per-cpu", "--duration", "0.5", "--repeat", "1",
                   "--phases", "baseline,traced"},
                  "per-cpu");
  const auto& ev = r["summary"]["events"];
  EXPECT_TRUE(ev["conserved"].get<bool>()) << ev.dump();
  EXPECT_EQ(ev["received"].get<uint64_t>() + ev["dropped_total"].get<uint64_t>(), ev["expected"].get<uint64_t>());
  EXPECT_GT(ev["received"].get<uint64_t>(), 10000u);
  expect_usage_error({"run", "--no-report", "--rings", "per-cpu", "--transport", "perfbuf"}, "per-CPU already");
  expect_usage_error({"run", "--no-report", "--rings", "per-core"}, "--rings");
}

TEST(Run, BadInputIsOneLineAndExit2) {
  expect_usage_error({"run", "--no-report", "--workload", "nope"}, "workload");
  expect_usage_error({"run", "--no-report", "--rate", "12x"}, "rate");
  expect_usage_error({"run", "--no-report", "--threads", "0"}, "threads");
  expect_usage_error({"run", "--no-report", "--duration", "-1"}, "duration");
  expect_usage_error({"run", "--no-report", "--wakeup", "sometimes"}, "wakeup");
  expect_usage_error({"run", "--no-report", "--out", "/proc/ringside-cannot-write"}, "--out");
  expect_usage_error({"run", "--no-report", "--config", "/nonexistent/ringside.yaml"}, "config");
  expect_usage_error({"run", "--no-report", "--phases", "baseline,warp"}, "phases");
  expect_usage_error({"run", "--no-report", "--scenario", "chaos", "--duration", "0.1"}, "scenario");
}

}  // namespace
