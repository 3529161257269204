// `ringside trace` end to end on real tracepoints: conservation on both transports, paced and at
// max rate; bad input; nothing left attached after a normal end, Ctrl-C or SIGKILL.
#include <sys/prctl.h>
#include <unistd.h>

#include "test_support.h"
#include "workload_process.h"

using namespace ringside;
using namespace ringside::test;
using namespace std::chrono_literals;

namespace {

struct TraceCase {
  std::string transport;
  std::string hook;
  double rate;  // 0 = max
  uint64_t ops;
};

void PrintTo(const TraceCase& c, std::ostream* os) {
  *os << c.transport << "/" << c.hook << " rate " << c.rate << " ops " << c.ops;
}

std::string case_name(const testing::TestParamInfo<TraceCase>& i) {
  return i.param.transport + "_" + i.param.hook + "_" + (i.param.rate > 0 ? "paced" : "max");
}

class TraceConservation : public testing::TestWithParam<TraceCase> {};

TEST_P(TraceConservation, ReceivedPlusDroppedEqualsIssued) {
  RINGSIDE_REQUIRE_BPF();
  const TraceCase& c = GetParam();
  WorkloadSpec spec;
  spec.kind = WorkloadKind::write;
  spec.rate = c.rate;
  spec.ops = c.ops;
  auto child = WorkloadProcess::spawn(spec, bin("ringside-workload"));
  const std::string out = temp_dir("trace-" + case_name({c, 0}));
  const std::string ready = out + "/ready";
  Proc tr = spawn({bin("ringside"), "trace", "--pid", std::to_string(child.pid()), "--syscalls", "write", "--transport",
                   c.transport, "--hook", c.hook, "--ready-file", ready, "--out", out});
  ASSERT_TRUE(wait_for_file(ready, 30s)) << tr.err();
  child.go();
  WorkloadResult truth = child.wait();
  const int code = tr.wait_exit();
  ASSERT_EQ(code, 0) << tr.err();
  const uint64_t issued = truth.by_syscall.at("write");
  ASSERT_EQ(issued, c.ops);
  auto ev = read_results(out)["summary"]["events"];
  const auto& d = ev["dropped"];
  const uint64_t dropped = d["kernel_reserve"].get<uint64_t>() + d["perf_lost"].get<uint64_t>() +
                           d["sampled_out"].get<uint64_t>() + d["queue_full"].get<uint64_t>() +
                           d["pool_exhausted"].get<uint64_t>() + d["malformed"].get<uint64_t>();
  EXPECT_EQ(ev["matched"].get<uint64_t>(), issued) << ev.dump();
  EXPECT_EQ(ev["received"].get<uint64_t>() + dropped, issued) << ev.dump();
  EXPECT_EQ(ev["dropped_total"].get<uint64_t>(), dropped);
  EXPECT_TRUE(ev["conserved"].get<bool>());
  EXPECT_EQ(ev["by_syscall"].value("write", uint64_t{0}), ev["received"].get<uint64_t>());
  if (c.rate > 0) {
    EXPECT_EQ(dropped, 0u) << "a paced run must not drop: " << ev.dump();
  }
  // capabilities were dropped after attach, and events were still conserved
  EXPECT_NE(read_results(out)["host"].value("capabilities_after_attach", "").find("effective 0x0"), std::string::npos)
      << read_results(out)["host"].dump();
  // stage latencies were measured for every received event
  // stage latencies were measured on 1 of every 16 events per CPU (the --stamp-every default):
  // each CPU's first kept event is stamped, so ⌊received/16⌋ ≤ stamped ≤ received/16 + CPUs
  auto lat = read_results(out)["summary"]["latency_ns"];
  const uint64_t received = ev["received"].get<uint64_t>(), stamped = ev["stamped"].get<uint64_t>();
  const uint64_t cpus = static_cast<uint64_t>(sysconf(_SC_NPROCESSORS_ONLN));
  EXPECT_EQ(read_results(out)["scenario"]["stamp_every"].get<uint64_t>(), 16u);
  EXPECT_LE(stamped, received / 16 + cpus) << ev.dump();
  if (dropped == 0) {
    EXPECT_GE(stamped, received / 16) << ev.dump();
  }
  EXPECT_EQ(lat["end_to_end"]["count"].get<uint64_t>(), stamped);
  EXPECT_EQ(lat["syscall_to_hook"]["count"].get<uint64_t>(), stamped)
      << "every stamped write carried the workload's timestamp tag";
  EXPECT_GT(lat["hook_to_submit"]["p50"].get<uint64_t>(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Transports, TraceConservation,
                         testing::Values(TraceCase{"ringbuf", "raw_tp", 20000, 20000},
                                         TraceCase{"perfbuf", "raw_tp", 20000, 20000},
                                         TraceCase{"ringbuf", "raw_tp", 0, 400000},
                                         TraceCase{"perfbuf", "raw_tp", 0, 400000},
                                         TraceCase{"ringbuf", "tracepoint", 20000, 20000},
                                         TraceCase{"ringbuf", "tracepoint", 0, 400000}),
                         case_name);

// Bursts separated by idle gaps longer than the latency bound: the reader sleeps untimed in each
// gap (idle flag raised) and the first record of the next burst wakes it. Events conserve, and
// they are read within the latency bound — with a lost wake-up each burst would wait for the
// reader's 250 ms idle timeout. Once with the hand-off to a worker, once inline.
class TraceIdleReader : public testing::TestWithParam<bool> {};

TEST_P(TraceIdleReader, WakesOnTheFirstRecordAfterAGap) {
  RINGSIDE_REQUIRE_BPF();
  WorkloadSpec spec;
  spec.kind = WorkloadKind::write;
  spec.rate = 20000;
  spec.ops = 6000;  // 6 bursts of 50 ms, 300 ms apart
  spec.burst_on_ms = 50;
  spec.burst_off_ms = 300;
  auto child = WorkloadProcess::spawn(spec, bin("ringside-workload"));
  const std::string out = temp_dir(std::string("idle-") + (GetParam() ? "inline" : "worker"));
  std::vector<std::string> args = {bin("ringside"), "trace", "--pid", std::to_string(child.pid()), "--syscalls", "write",
                                   "--ready-file", out + "/ready", "--out", out, "--max-latency-ms", "10"};
  if (GetParam()) args.push_back("--inline");
  Proc tr = spawn(args);
  ASSERT_TRUE(wait_for_file(out + "/ready", 30s)) << tr.err();
  child.go();
  WorkloadResult truth = child.wait();
  ASSERT_EQ(tr.wait_exit(), 0) << tr.err();
  const auto r = read_results(out);
  const auto& ev = r["summary"]["events"];
  EXPECT_EQ(ev["matched"].get<uint64_t>(), truth.by_syscall.at("write"));
  EXPECT_EQ(ev["received"].get<uint64_t>(), truth.by_syscall.at("write")) << ev.dump();
  const auto& e2e = r["summary"]["latency_ns"]["end_to_end"];
  EXPECT_LT(e2e["p50"].get<uint64_t>(), 30'000'000u) << "p50 " << e2e["p50"] << " max " << e2e["max"];
  EXPECT_LT(e2e["p99"].get<uint64_t>(), 100'000'000u) << "p99 " << e2e["p99"] << " max " << e2e["max"];
}

INSTANTIATE_TEST_SUITE_P(Handoff, TraceIdleReader, testing::Values(false, true),
                         [](const auto& i) { return std::string(i.param ? "inline" : "worker"); });

TEST(TraceInput, BadInputIsOneLineAndExit2) {
  const std::string self = std::to_string(getpid());
  expect_usage_error({"trace", "--pid", "4194000", "--syscalls", "write"}, "no such process: 4194000");
  expect_usage_error({"trace", "--pid", "12x", "--syscalls", "write"}, "bad pid '12x'");
  expect_usage_error({"trace", "--pid", self, "--syscalls", "wrte"}, "unknown syscall 'wrte'");
  expect_usage_error({"trace", "--pid", self, "--syscalls", "write", "--transport", "pigeon"}, "transport");
  expect_usage_error({"trace", "--pid", self, "--syscalls", "write", "--wakeup", "batch:0"}, "wakeup");
  expect_usage_error({"trace", "--pid", self, "--syscalls", "write", "--workers", "lots"}, "workers");
  expect_usage_error({"trace", "--syscalls", "write"}, "pid");
  expect_usage_error({"frobnicate"}, "frobnicate");
}

TEST(TraceEnvironment, RequireBpfNamesWhatIsMissing) {
  ProbeReport r;
  r.features = {{"cap:sys_admin", false, ""}, {"cap:bpf", false, ""}, {"cap:perfmon", false, ""}};
  EXPECT_THROW(
      try { require_bpf(r, Transport::ringbuf); } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("needs CAP_BPF"), std::string::npos) << e.what();
        throw;
      },
      std::exception);
  r.features = {{"cap:sys_admin", true, ""}, {"btf", false, ""}};
  EXPECT_THROW(
      try { require_bpf(r, Transport::ringbuf); } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("kernel lacks BTF"), std::string::npos) << e.what();
        throw;
      },
      std::exception);
  r.features = {{"cap:sys_admin", true, ""}, {"btf", true, ""}, {"prog:raw_tracepoint", true, ""},
                {"map:ringbuf", false, "not supported"}, {"map:perf_event_array", true, ""}};
  EXPECT_EQ(require_bpf(r, Transport::ringbuf), Transport::perfbuf) << "no ring buffer: fall back to the perf buffer";
}

// A child without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN (dropped from the bounding set, so exec as
// root does not regain them) gets a one-line reason and exit 2.
TEST(TraceEnvironment, MissingPrivilegeIsExit2) {
  RINGSIDE_REQUIRE_BPF();
  const std::string out = temp_dir("noprivs");
  Proc p = spawn({bin("ringside"), "trace", "--pid", std::to_string(getpid()), "--syscalls", "write", "--duration", "1",
                  "--out", out},
                 [] {
                   for (int cap : {21, 38, 39}) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
                 });
  EXPECT_EQ(p.wait_exit(), 2) << p.err();
  EXPECT_NE(p.err().find("needs CAP_BPF"), std::string::npos) << p.err();
}

std::set<uint32_t> new_ids(const std::set<uint32_t>& before) {
  std::set<uint32_t> out;
  for (uint32_t id : ringside_prog_ids())
    if (!before.count(id)) out.insert(id);
  return out;
}

// Programs are gone once ringside is: kernel frees them after the last fd closes (RCU).
bool programs_gone(const std::set<uint32_t>& before) {
  for (int i = 0; i < 200; ++i) {
    if (new_ids(before).empty()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

void lifecycle(int signal_to_send) {
  RINGSIDE_REQUIRE_BPF();
  const auto before = ringside_prog_ids();
  Proc target = spawn({"/bin/sleep", "30"});
  const std::string out = temp_dir("life" + std::to_string(signal_to_send));
  Proc tr = spawn({bin("ringside"), "trace", "--pid", std::to_string(target.pid), "--syscalls", "write,openat",
                   "--ready-file", out + "/ready", "--out", out, "--duration", signal_to_send ? "60" : "0.5"});
  ASSERT_TRUE(wait_for_file(out + "/ready", 30s)) << tr.err();
  EXPECT_FALSE(new_ids(before).empty()) << "attached programs are visible while tracing";
  if (signal_to_send) kill(tr.pid, signal_to_send);
  const int code = tr.wait_exit();
  kill(target.pid, SIGKILL);
  target.wait_exit();
  if (signal_to_send == SIGKILL) {
    EXPECT_EQ(code, 128 + SIGKILL);
  } else {
    EXPECT_EQ(code, 0) << tr.err();
    EXPECT_TRUE(std::filesystem::exists(out + "/results.json")) << "results written on stop";
  }
  EXPECT_TRUE(programs_gone(before)) << "ringside left BPF programs loaded";
}

TEST(TraceLifecycle, NothingLeftAfterNormalEnd) { lifecycle(0); }
TEST(TraceLifecycle, NothingLeftAfterCtrlC) { lifecycle(SIGINT); }
TEST(TraceLifecycle, NothingLeftAfterSigkill) { lifecycle(SIGKILL); }

}  // namespace

namespace {

// Both full-queue policies on a 2-slot worker queue at max rate: `drop` may count queue_full,
// `block` never does (the kernel ring absorbs instead); both conserve.
class QueuePolicyLive : public testing::TestWithParam<std::string> {};

TEST_P(QueuePolicyLive, ConservesWithATinyQueue) {
  RINGSIDE_REQUIRE_BPF();
  const std::string policy = GetParam();
  WorkloadSpec spec;
  spec.kind = WorkloadKind::write;
  spec.ops = 200000;
  auto child = WorkloadProcess::spawn(spec, bin("ringside-workload"));
  const std::string out = temp_dir("policy-" + policy);
  Proc tr = spawn({bin("ringside"), "trace", "--pid", std::to_string(child.pid()), "--syscalls", "write",
                   "--queue-policy", policy, "--queue-size", "2", "--workers", "1", "--ready-file", out + "/ready",
                   "--out", out});
  ASSERT_TRUE(wait_for_file(out + "/ready", 30s)) << tr.err();
  child.go();
  child.wait();
  ASSERT_EQ(tr.wait_exit(), 0) << tr.err();
  auto ev = read_results(out)["summary"]["events"];
  EXPECT_EQ(ev["matched"].get<uint64_t>(), 200000u);
  EXPECT_EQ(ev["received"].get<uint64_t>() + ev["dropped_total"].get<uint64_t>(), 200000u) << ev.dump();
  if (policy == "block") {
    EXPECT_EQ(ev["dropped"]["queue_full"].get<uint64_t>(), 0u) << ev.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, QueuePolicyLive, testing::Values("drop", "block"));

}  // namespace
