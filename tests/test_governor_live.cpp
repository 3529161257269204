// The governor validated on this machine: `ringside run --scenario governor` must fire on a
// max-rate storm with a wake-up per record (within windows_over + 1 windows, then back under
// budget or detached) and must not fire at 1k events/s over ≥ 30 windows. Margins are the
// scenario's own (noise-tolerant: the storm is ~50× over budget, the calm load ~10× under). The
// per-syscall tracepoint hook keeps other processes' syscalls (a busy CI machine) out of the
// accounted cost, which with raw_tp counts every syscall on the machine.
#include "test_support.h"

using namespace ringside::test;

TEST(GovernorLive, FiresWhenItMustAndNotWhenItMustNot) {
  RINGSIDE_REQUIRE_BPF();
  const std::string out = temp_dir("governor");
  int code = 0;
  Proc p = run({bin("ringside"), "run", "--scenario", "governor", "--hook", "tracepoint", "--no-report", "--out", out}, &code);
  auto r = read_results(out);
  const auto& v = r["governor_validation"];
  const auto& fire = v["must_fire"];
  const auto& calm = v["must_not_fire"];
  EXPECT_TRUE(fire["verdict"]["fired"].get<bool>()) << fire.dump();
  EXPECT_LE(fire["verdict"]["first_action_ms"].get<double>(), fire["verdict"]["limit_ms"].get<double>() + 250)
      << "acted within windows_over + 1 windows";
  EXPECT_TRUE(fire["verdict"]["passed"].get<bool>()) << fire["verdict"].dump();
  EXPECT_TRUE(fire["conserved"].get<bool>()) << "sampled-out events are counted: " << fire.dump();
  EXPECT_EQ(calm["verdict"]["false_triggers"].get<std::size_t>(), 0u) << calm["steps"].dump();
  EXPECT_GE(calm["verdict"]["windows"].get<std::size_t>(), 30u);
  EXPECT_EQ(code, 0) << p.err() << p.out();
}
