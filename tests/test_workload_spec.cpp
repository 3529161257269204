// WorkloadSpec validation, flag parsers, to_args, result JSON, the mix cycle and the
// open-loop schedule arithmetic (pure functions: no syscalls issued here).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "pacer.h"
#include "syscall_ops.h"
#include "workload.h"

namespace ringside {
namespace {

using workload_detail::OpenLoopSchedule;
using Syscall = workload_detail::Op;

WorkloadSpec spec_of(std::string kind) {
  WorkloadSpec s;
  s.kind = parse_enum<WorkloadKind>(kind).value_or_throw("kind");
  return s;
}

TEST(WorkloadSpec, DefaultsAndEveryKindValidate) {
  for (const char* kind : {"write", "openat", "getppid", "exec", "connect", "mixed"})
    EXPECT_NO_THROW(validate(spec_of(kind))) << kind;
  WorkloadSpec by_ops = spec_of("write");
  by_ops.duration_s = 0;  // ignored when ops > 0
  by_ops.ops = 10;
  EXPECT_NO_THROW(validate(by_ops));
}

TEST(WorkloadSpec, RejectsBadSpecsWithOneLineReasons) {
  std::vector<std::pair<WorkloadSpec, std::string>> bad;
  auto add = [&](auto edit, std::string reason) {
    WorkloadSpec s = spec_of("write");
    edit(s);
    bad.emplace_back(s, reason);
  };
  add([](auto& s) { s.rate = -1; }, "rate must be");
  add([](auto& s) { s.rate = NAN; }, "rate must be");
  add([](auto& s) { s.rate = 1e-9; }, "rate must be");
  add([](auto& s) { s.threads = 0; }, "threads must be");
  add([](auto& s) { s.threads = 100000; }, "threads must be");
  add([](auto& s) { s.duration_s = 0; }, "duration must be");
  add([](auto& s) { s.burst_on_ms = 10; }, "burst on and off");
  add([](auto& s) { s.mix = {{"write", 1}}; }, "only applies to the mixed kind");
  add([](auto& s) { s.kind = WorkloadKind::mixed, s.mix = {{"pigeon", 1}}; }, "mix kind 'pigeon'");
  add([](auto& s) { s.kind = WorkloadKind::mixed, s.mix = {{"mixed", 1}}; }, "mix kind 'mixed'");
  add([](auto& s) { s.kind = WorkloadKind::mixed, s.mix = {{"write", 0}}; }, "sum to zero");
  add([](auto& s) { s.kind = WorkloadKind::mixed, s.mix = {{"write", -1}, {"openat", 2}}; }, "negative");
  add([](auto& s) { s.kind = WorkloadKind::mixed, s.mix = {{"write", 99991}, {"openat", 2}}; }, "cycle over");
  for (const auto& [spec, reason] : bad) {
    try {
      validate(spec);
      ADD_FAILURE() << "accepted a spec that should fail with: " << reason;
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(reason), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_TRUE(std::islower(static_cast<unsigned char>(what[0]))) << what;
    }
  }
}

TEST(WorkloadSpec, ParsesRateOpsBurstAndMix) {
  EXPECT_EQ(parse_rate("max")->per_sec, 0);
  EXPECT_EQ(parse_rate("2000")->per_sec, 2000);
  EXPECT_EQ(parse_rate("10k")->per_sec, 10000);
  EXPECT_EQ(parse_rate("1.5m")->per_sec, 1.5e6);
  for (const char* bad : {"", "0", "-5", "fast", "10x", "1e999", "0.4", "2e9", "inf", "nan"}) EXPECT_FALSE(parse_rate(bad)) << bad;
  EXPECT_FALSE(parse_enum<WorkloadKind>("fork"));
  EXPECT_NE(parse_enum<WorkloadKind>("fork").error().find("expected write, openat"), std::string::npos);
  EXPECT_EQ(parse_workload_ops("12345678901"), 12345678901ULL);
  for (const char* bad : {"", "0", "-5", "1.5", "10k"}) EXPECT_THROW(parse_workload_ops(bad), std::invalid_argument) << bad;
  EXPECT_EQ(parse_workload_burst("50:150"), std::make_pair(50.0, 150.0));
  EXPECT_EQ(parse_workload_burst("0.5:2"), std::make_pair(0.5, 2.0));
  for (const char* bad : {"50", "50:", ":5", "0:10", "10:-1", "a:b"}) EXPECT_THROW(parse_workload_burst(bad), std::invalid_argument) << bad;
  EXPECT_EQ(parse_workload_mix("write:70,openat:20,getppid:10"),
            (std::map<std::string, int>{{"write", 70}, {"openat", 20}, {"getppid", 10}}));
  for (const char* bad : {"", "write", "write:x", "write:1,write:2", "write:1,"})
    EXPECT_THROW(parse_workload_mix(bad), std::invalid_argument) << bad;
}

TEST(WorkloadSpec, ToArgsSpellsEveryFlag) {
  WorkloadSpec s = spec_of("mixed");
  s.rate = 2500.5;
  s.threads = 3;
  s.ops = 900;
  s.burst_on_ms = 10;
  s.burst_off_ms = 30;
  s.mix = {{"write", 3}, {"getppid", 1}};
  EXPECT_EQ(to_args(s), (std::vector<std::string>{"--kind", "mixed", "--rate", "2500.5", "--threads", "3", "--ops", "900",
                                                 "--burst", "10:30", "--mix", "getppid:1,write:3"}));
  WorkloadSpec d = spec_of("exec");
  d.duration_s = 1.25;
  EXPECT_EQ(to_args(d), (std::vector<std::string>{"--kind", "exec", "--rate", "max", "--threads", "1", "--duration", "1.25"}));
}

TEST(WorkloadSpec, TracedSyscallsAndFollowChildren) {
  EXPECT_EQ(traced_syscalls(spec_of("write")), std::vector<std::string>{"write"});
  EXPECT_EQ(traced_syscalls(spec_of("exec")), std::vector<std::string>{"execve"});
  EXPECT_EQ(traced_syscalls(spec_of("connect")), std::vector<std::string>{"connect"});
  EXPECT_EQ(traced_syscalls(spec_of("mixed")), (std::vector<std::string>{"getppid", "openat", "write"}));
  WorkloadSpec two = spec_of("mixed");
  two.mix = {{"write", 1}, {"openat", 0}, {"getppid", 1}};
  EXPECT_EQ(traced_syscalls(two), (std::vector<std::string>{"getppid", "write"}));
  EXPECT_TRUE(needs_follow_children(spec_of("exec")));
  EXPECT_FALSE(needs_follow_children(spec_of("write")));
}

TEST(WorkloadResult, JsonRoundTripsIncludingNulls) {
  WorkloadResult r;
  r.kind = WorkloadKind::mixed;
  r.threads = 2;
  r.ops = 10;
  r.by_syscall = {{"write", 7}, {"openat", 3}};
  r.elapsed_s = 0.5;
  r.ops_per_sec = 20;
  r.worst_lag_ns = 1234;
  r.errors = 1;
  const auto j = r.to_json();
  EXPECT_TRUE(j.at("target_rate").is_null());
  EXPECT_TRUE(j.at("burst").is_null());
  const auto back = WorkloadResult::from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(back.to_json(), j);
  r.target_rate = 1000;
  r.burst_on_ms = 5;
  r.burst_off_ms = 15;
  const auto paced = WorkloadResult::from_json(r.to_json());
  EXPECT_EQ(paced.target_rate, 1000);
  EXPECT_EQ(paced.burst_off_ms, 15);
  EXPECT_THROW(WorkloadResult::from_json(nlohmann::json{{"kind", "write"}}), nlohmann::json::exception);
}

TEST(MixCycle, ExactWeightsSpreadOut) {
  const auto cycle = workload_detail::op_cycle(spec_of("mixed"));  // 70/20/10 → 7/2/1 over 10
  ASSERT_EQ(cycle.size(), 10u);
  EXPECT_EQ(std::count(cycle.begin(), cycle.end(), Syscall::kWrite), 7);
  EXPECT_EQ(std::count(cycle.begin(), cycle.end(), Syscall::kOpenat), 2);
  EXPECT_EQ(std::count(cycle.begin(), cycle.end(), Syscall::kGetppid), 1);
  for (size_t i = 0; i + 1 < cycle.size(); ++i)  // the minority kinds are never adjacent
    EXPECT_FALSE(cycle[i] != Syscall::kWrite && cycle[i + 1] != Syscall::kWrite) << i;
  EXPECT_EQ(workload_detail::op_cycle(spec_of("getppid")), std::vector<Syscall>{Syscall::kGetppid});
}

TEST(OpenLoopSchedule, SlotsThreadsBatchesAndBursts) {
  const OpenLoopSchedule one(1000, 1, 0, 0, 0);  // 1 ms apart
  EXPECT_EQ(one.due_ns(0), 0);
  EXPECT_EQ(one.due_ns(7), 7'000'000);
  EXPECT_EQ(one.batch(), 1u);
  EXPECT_EQ(one.catch_up_limit_ns(), 2'000'000);  // the floor: 2 ms
  const OpenLoopSchedule second_of_two(1000, 2, 1, 0, 0);  // every 2 ms, phase 1 ms
  EXPECT_EQ(second_of_two.due_ns(0), 1'000'000);
  EXPECT_EQ(second_of_two.due_ns(3), 7'000'000);
  const OpenLoopSchedule fast(1e6, 1, 0, 0, 0);  // 1 us apart: 20 slots per sleep
  EXPECT_EQ(fast.batch(), 20u);
  EXPECT_EQ(fast.due_ns(20), 20'000);
  const OpenLoopSchedule bursty(1000, 1, 0, 10, 30);  // 10 slots per 40 ms cycle
  EXPECT_EQ(bursty.due_ns(9), 9'000'000);
  EXPECT_EQ(bursty.due_ns(10), 40'000'000);
  EXPECT_EQ(bursty.due_ns(25), 85'000'000);
  // The inverse, used to skip slots after a stall: the first slot due at or after t.
  EXPECT_EQ(one.first_slot_from(0), 0u);
  EXPECT_EQ(one.first_slot_from(7'000'000), 7u);
  EXPECT_EQ(one.first_slot_from(7'000'001), 8u);
  EXPECT_EQ(second_of_two.first_slot_from(2'500'000), 1u);  // slot 1 is due at 3 ms
  EXPECT_EQ(bursty.first_slot_from(15'000'000), 10u);       // inside OFF: next ON window
  EXPECT_EQ(bursty.first_slot_from(44'500'000), 5u + 10u);  // 4.5 ms into the second ON
}

}  // namespace
}  // namespace ringside
