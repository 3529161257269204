// Hardening: what ringside does with hostile input and with faults around it. Non-finite numbers
// and hostile JSON are one-line usage errors; a non-UTF-8 agent command line still gives valid
// results; SIGINT/SIGTERM keep the finished rounds, SIGKILL leaves no workload and no programs;
// every thread holds no more capabilities than the command keeps; results are written only where
// ringside can still write once it dropped CAP_DAC_OVERRIDE, owner-readable only; injected faults
// (tiny ring, pool and queues, a killed workload, a full disk, a full target set, a failing sink)
// are counted and conserved, or named in one line with what finished kept.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>

#include "results_json.h"
#include "test_support.h"

using namespace ringside::test;
using namespace std::chrono_literals;

namespace {

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Waits until `p`'s stderr contains `needle` `times` times (progress lines go to stderr).
bool wait_for_stderr(const Proc& p, const std::string& needle, std::chrono::milliseconds timeout, std::size_t times = 1) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (occurrences(p.err(), needle) >= times) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// The children of every thread of `pid` (/proc/PID/task/*/children).
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "children");
    for (long c; in >> c;) out.push_back(static_cast<pid_t>(c));
  }
  return out;
}

// One child of `pid`, waiting up to `timeout` for there to be one (between phases there is none).
pid_t a_child_of(pid_t pid, std::chrono::milliseconds timeout = 5000ms) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    auto c = children_of(pid);
    if (!c.empty()) return c.front();
    std::this_thread::sleep_for(10ms);
  }
  return -1;
}

// Dead: gone, or a zombie (an orphan waits for init to reap it; it runs nothing any more).
bool dead(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

bool dead_within(pid_t pid, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!dead(pid)) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// CapEff of every task of `pid`: tid → mask.
std::map<std::string, uint64_t> task_caps(pid_t pid) {
  std::map<std::string, uint64_t> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "status");
    for (std::string line; std::getline(in, line);)
      if (line.rfind("CapEff:", 0) == 0) out[task.path().filename().string()] = std::stoull(line.substr(7), nullptr, 16);
  }
  return out;
}

// Lines of `text` that start with "ringside: " (the rest of stderr is progress).
std::vector<std::string> ringside_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("ringside: ", 0) == 0) out.push_back(line);
  return out;
}

uint64_t u64(const nlohmann::json& j, const char* key) { return j.at(key).get<uint64_t>(); }

// `ringside run --no-report --workload write --out <tmp> <extra>`: its exit code and results.
struct RunOutcome {
  int code = -1;
  std::string out, err, dir;
  nlohmann::json results;
};

RunOutcome run_ringside(const std::vector<std::string>& extra, const std::string& tag) {
  RunOutcome o;
  o.dir = temp_dir("hard-" + tag);
  std::vector<std::string> argv = {bin("ringside"), "run", "--no-report", "--out", o.dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Proc p = run(argv, &o.code);
  o.out = p.out();
  o.err = p.err();
  if (std::filesystem::exists(o.dir + "/results.json")) o.results = read_results(o.dir);
  return o;
}

// A short traced-only run at max rate: one warm-up and one measured round.
RunOutcome max_rate_traced(const std::vector<std::string>& faults, const std::string& tag) {
  std::vector<std::string> args = {"--workload", "write", "--duration", "0.4", "--repeat", "1", "--phases", "traced"};
  args.insert(args.end(), faults.begin(), faults.end());
  return run_ringside(args, tag);
}

// received + every drop == matched == what the workload issued, exactly.
void expect_conserved(const nlohmann::json& ev) {
  uint64_t drops = 0;
  for (const auto& [k, v] : ev.at("dropped").items()) drops += v.get<uint64_t>();
  EXPECT_EQ(u64(ev, "dropped_total"), drops) << ev.dump();
  EXPECT_GT(u64(ev, "matched"), 0u) << ev.dump();
  EXPECT_EQ(u64(ev, "matched"), u64(ev, "expected")) << "the kernel saw what the workload issued: " << ev.dump();
  EXPECT_EQ(u64(ev, "received") + drops, u64(ev, "matched")) << ev.dump();
  EXPECT_TRUE(ev.at("conserved").get<bool>()) << ev.dump();
}

std::string fixture(const std::string& name) { return std::string(RINGSIDE_SOURCE_DIR) + "/tests/python/fixtures/" + name; }

// ---------------------------------------------------------------- 1, 2: hostile numbers and JSON

TEST(HardeningInput, NonFiniteAndOutOfRangeNumbersAreOneLineUsageErrors) {
  const std::string f = fixture("run_full.json");
  expect_usage_error({"run", "--no-report", "--duration", "inf"}, "--duration: expected a number in (0, 86400], got 'inf'");
  expect_usage_error({"run", "--no-report", "--duration", "nan"}, "--duration: expected a number in (0, 86400], got 'nan'");
  expect_usage_error({"run", "--no-report", "--budget", "nan"}, "--budget: expected a number in (0, 100], got 'nan'");
  expect_usage_error({"measure", "--agent", "sleep 1", "--settle", "nan"}, "--settle: expected a number in [0, 3600], got 'nan'");
  expect_usage_error({"sweep", "--no-report", "--rates", "1k,0.4"}, "got '0.4'");
  expect_usage_error({"sweep", "--no-report", "--rates", "2e9"}, "got '2e9'");
  expect_usage_error({"sweep", "--no-report", "--burst", "500k:inf"}, "--burst seconds: expected a number in (0, 3600], got 'inf'");
  expect_usage_error({"gate", "--baseline", f, "--current", f, "--alpha", "nan"}, "--alpha: expected a number");
  expect_usage_error({"gate", "--baseline", f, "--current", f, "--max-regression", "nan"}, "--max-regression: expected a number");
}

TEST(HardeningInput, GateRejectsANumberBeyondDouble) {
  const std::string f = fixture("run_full.json");
  int code = -1;
  Proc ok = run({bin("ringside"), "gate", "--baseline", f, "--current", f}, &code);
  ASSERT_EQ(code, 0) << "the unmodified fixture gates against itself: " << ok.err();

  std::string text = Proc::slurp(f);
  const std::string finite = "\"ops_per_sec\": 2204115.4";
  const auto at = text.find(finite);
  ASSERT_NE(at, std::string::npos) << "fixture changed";
  text.replace(at, finite.size(), "\"ops_per_sec\": 1e999");
  const std::string bad = temp_dir("gate-1e999") + "/results.json";
  std::ofstream(bad) << text;
  expect_usage_error({"gate", "--baseline", f, "--current", bad}, bad + ": not valid json");
  expect_usage_error({"gate", "--baseline", bad, "--current", f}, bad + ": not valid json");
}

TEST(HardeningInput, GateRejectsDeepNestingWithoutCrashing) {
  const std::string deep = temp_dir("gate-deep") + "/results.json";
  std::ofstream(deep) << std::string(100000, '[');
  const std::string f = fixture("run_full.json");
  // expect_usage_error asserts exit 2: a stack overflow would be 139
  expect_usage_error({"gate", "--baseline", f, "--current", deep}, deep + ": nested deeper than 64 levels");
  expect_usage_error({"gate", "--baseline", deep, "--current", f}, deep + ": nested deeper than 64 levels");
}

// ---------------------------------------------------------------- 3: non-UTF-8 agent

TEST(HardeningMeasure, NonUtf8AgentCommandLineGivesValidResults) {
  const std::string out = temp_dir("measure-utf8");
  int code = -1;
  // the agent lives past the rounds (sleep 30); `#\xff` is a shell comment with a byte that is not UTF-8
  Proc p = run({bin("ringside"), "measure", "--agent", "sleep 30 #\xff", "--workload", "write", "--rate", "10k",
                "--duration", "0.2", "--repeat", "1", "--settle", "0", "--out", out},
               &code);
  ASSERT_EQ(code, 0) << p.err();
  nlohmann::json r;
  ASSERT_NO_THROW(r = read_results(out)) << "results.json must be valid JSON (UTF-8)";
  EXPECT_EQ(r["measure"]["agent"].get<std::string>(), "sleep 30 #\xef\xbf\xbd") << "the bad byte became U+FFFD";
  for (const auto& run : r["runs"]) EXPECT_EQ(run.value("agent", std::string("sleep 30 #\xef\xbf\xbd")), "sleep 30 #\xef\xbf\xbd");
}

// ---------------------------------------------------------------- 4, 5: signals

class HardeningStopSignal : public testing::TestWithParam<int> {};

TEST_P(HardeningStopSignal, KeepsTheCompleteRoundsAndExits128PlusSignal) {
  RINGSIDE_REQUIRE_BPF();
  const int sig = GetParam();
  const std::string out = temp_dir("stop-" + std::to_string(sig));
  Proc p = spawn({bin("ringside"), "run", "--no-report", "--workload", "write", "--rate", "10k", "--duration", "0.5",
                  "--repeat", "5", "--out", out});
  // round 2's second phase started: the warm-up, round 1 (baseline, floor, traced) and one phase
  // of round 2 are complete; that one must not be kept (it pairs with nothing)
  ASSERT_TRUE(wait_for_stderr(p, "round 2/5", 30s, 2)) << p.err();
  std::this_thread::sleep_for(150ms);
  const pid_t workload = a_child_of(p.pid);
  ASSERT_GT(workload, 0) << "a phase's workload is running";
  const pid_t group = getpgid(workload);
  EXPECT_EQ(group, workload) << "the workload runs in its own process group";
  kill(p.pid, sig);
  const int code = p.wait_exit();
  EXPECT_EQ(code, 128 + sig) << p.err();
  EXPECT_NE(p.err().find("interrupted after"), std::string::npos) << p.err();

  const auto r = read_results(out);
  EXPECT_TRUE(r.value("interrupted", false)) << r.dump().substr(0, 400);
  EXPECT_EQ(r.value("stopped_by", ""), "signal " + std::to_string(sig));
  std::map<int, std::set<std::string>> phases_by_round;
  for (const auto& run : r["runs"]) phases_by_round[run["index"].get<int>()].insert(run["phase"].get<std::string>());
  ASSERT_FALSE(phases_by_round.empty()) << "at least one complete round kept";
  for (const auto& [round, phases] : phases_by_round)
    EXPECT_EQ(phases, (std::set<std::string>{"baseline", "floor", "traced"})) << "round " << round << " is incomplete";
  EXPECT_TRUE(r.contains("summary")) << "a summary of the kept rounds";
  // ringside stopped and reaped the workload: nothing of its group is left, not even a zombie
  errno = 0;
  EXPECT_EQ(kill(-group, 0), -1);
  EXPECT_EQ(errno, ESRCH) << "process group " << group << " still has members";
}

INSTANTIATE_TEST_SUITE_P(Signals, HardeningStopSignal, testing::Values(SIGINT, SIGTERM),
                         [](const auto& i) { return std::string(i.param == SIGINT ? "SIGINT" : "SIGTERM"); });

TEST(HardeningKill, SigkillLeavesNoWorkloadAndNoPrograms) {
  RINGSIDE_REQUIRE_BPF();
  const auto before = ringside_prog_ids();
  const std::string out = temp_dir("sigkill");
  Proc p = spawn({bin("ringside"), "run", "--no-report", "--workload", "write", "--rate", "10k", "--duration", "2",
                  "--repeat", "1", "--phases", "traced", "--out", out, "--workers", "1"});
  ASSERT_TRUE(wait_for_stderr(p, "traced", 30s)) << p.err();
  // the traced phase is attached once its programs are visible
  std::set<uint32_t> ours;
  for (int i = 0; i < 300 && ours.empty(); ++i) {
    for (uint32_t id : ringside_prog_ids())
      if (!before.count(id)) ours.insert(id);
    if (ours.empty()) std::this_thread::sleep_for(10ms);
  }
  ASSERT_FALSE(ours.empty()) << "ringside's programs are loaded while it traces";
  const pid_t workload = a_child_of(p.pid);
  ASSERT_GT(workload, 0);
  ASSERT_FALSE(dead(workload));
  kill(p.pid, SIGKILL);
  EXPECT_EQ(p.wait_exit(), 128 + SIGKILL);
  EXPECT_TRUE(dead_within(workload, 2000ms)) << "workload " << workload << " outlived ringside";
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = true;
    for (uint32_t id : ringside_prog_ids()) gone = gone && !ours.count(id);
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone) << "ringside's BPF programs are still loaded";
  kill(workload, SIGKILL);  // only if the assertion above failed: leave nothing running
}

// ---------------------------------------------------------------- 6: per-task capabilities

TEST(HardeningPrivileges, TraceThreadsHoldNoCapabilities) {
  RINGSIDE_REQUIRE_BPF();
  Proc target = spawn({"/bin/sleep", "30"});
  const std::string out = temp_dir("caps-trace");
  Proc tr = spawn({bin("ringside"), "trace", "--pid", std::to_string(target.pid), "--syscalls", "write",
                   "--duration", "20", "--ready-file", out + "/ready", "--out", out, "--workers", "1"});
  ASSERT_TRUE(wait_for_file(out + "/ready", 30s)) << tr.err();
  // (one worker: inline, the default, has no worker thread to check) the consumer and its worker start just after the ready file: wait for them
  std::map<std::string, uint64_t> caps;
  for (int i = 0; i < 200; ++i) {
    caps = task_caps(tr.pid);
    if (caps.size() >= 3) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GE(caps.size(), 3u) << "main, consumer and worker threads";
  for (const auto& [tid, eff] : caps) EXPECT_EQ(eff, 0u) << "task " << tid << " CapEff " << std::hex << eff;
  kill(tr.pid, SIGINT);
  EXPECT_EQ(tr.wait_exit(), 0) << tr.err();
  kill(target.pid, SIGKILL);
  target.wait_exit();
  EXPECT_NE(read_results(out)["host"].value("capabilities_after_attach", "").find("effective 0x0"), std::string::npos);
}

TEST(HardeningPrivileges, RunThreadsHoldOnlyBpfPerfmonSysAdmin) {
  RINGSIDE_REQUIRE_BPF();
  constexpr uint64_t kKept = (1ULL << 21) | (1ULL << 38) | (1ULL << 39);  // CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF
  const std::string out = temp_dir("caps-run");
  Proc p = spawn({bin("ringside"), "run", "--no-report", "--workload", "write", "--rate", "10k", "--duration", "1.5",
                  "--repeat", "1", "--phases", "traced", "--out", out, "--workers", "1"});
  ASSERT_TRUE(wait_for_stderr(p, "traced", 30s)) << p.err();
  std::map<std::string, uint64_t> caps;
  for (int i = 0; i < 300; ++i) {  // the traced phase's consumer and workers
    caps = task_caps(p.pid);
    if (caps.size() >= 3) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_GE(caps.size(), 3u) << "main, consumer and worker threads";
  const uint64_t main_caps = caps.at(std::to_string(p.pid));
  EXPECT_NE(main_caps, 0u) << "run keeps what loading programs in every phase needs";
  EXPECT_EQ(main_caps & ~kKept, 0u) << std::hex << main_caps;
  for (const auto& [tid, eff] : caps) {
    EXPECT_EQ(eff & ~kKept, 0u) << "task " << tid << " CapEff " << std::hex << eff;
    EXPECT_EQ(eff & ~main_caps, 0u) << "task " << tid << " holds more than main: " << std::hex << eff;
  }
  EXPECT_EQ(p.wait_exit(), 0) << p.err();
}

// ---------------------------------------------------------------- 7: --out only writable through CAP_DAC_OVERRIDE

TEST(HardeningOutput, DirectoryWritableOnlyThroughDacOverride) {
  RINGSIDE_REQUIRE_BPF();
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown a directory to another user";
  const std::string base = temp_dir("dac");
  const std::string foreign = base + "/foreign";  // another user's 0700 directory
  std::filesystem::create_directory(foreign);
  ASSERT_EQ(chown(foreign.c_str(), 12345, 12345), 0) << std::strerror(errno);
  ASSERT_EQ(chmod(foreign.c_str(), 0700), 0);

  // Writing into it needs CAP_DAC_OVERRIDE, which run and trace drop before they write results:
  // refused at once (no round run, nothing written), in one line.
  for (const std::string cmd : {"run", "trace"}) {
    std::vector<std::string> argv = {bin("ringside"), cmd, "--out", foreign};
    if (cmd == "run") argv.insert(argv.end(), {"--no-report", "--workload", "write", "--duration", "0.3", "--repeat", "1"});
    else argv.insert(argv.end(), {"--pid", std::to_string(getpid()), "--syscalls", "write", "--duration", "0.3"});
    const auto t0 = std::chrono::steady_clock::now();
    int code = -1;
    Proc p = run(argv, &code);
    const auto took = std::chrono::steady_clock::now() - t0;
    const std::string err = p.err();
    EXPECT_EQ(code, 2) << cmd << ": " << err;
    EXPECT_EQ(err.rfind("ringside: cannot write to --out " + foreign, 0), 0u) << err;
    EXPECT_NE(err.find("CAP_DAC_OVERRIDE"), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one line, no progress: " << err;
    EXPECT_LT(took, 2s) << "refused before any work";
    EXPECT_FALSE(std::filesystem::exists(foreign + "/results.json"));
  }

  // A new directory inside it is ringside's own: written, and readable by its owner only.
  const std::string mine = foreign + "/mine";
  int code = -1;
  Proc p = run({bin("ringside"), "run", "--no-report", "--out", mine, "--workload", "write", "--rate", "10k",
                "--duration", "0.2", "--repeat", "1", "--phases", "traced"},
               &code);
  ASSERT_EQ(code, 0) << p.err();
  struct stat st {};
  ASSERT_EQ(stat((mine + "/results.json").c_str(), &st), 0) << "results written";
  EXPECT_EQ(st.st_mode & 077, 0u) << "results.json mode " << std::oct << (st.st_mode & 0777);
  ASSERT_EQ(stat(mine.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 007, 0u) << "--out mode " << std::oct << (st.st_mode & 0777);
  EXPECT_NO_THROW(read_results(mine));
}

// ---------------------------------------------------------------- 8: fault injection

TEST(HardeningFaults, TinyRingDropsInTheKernelAndConserves) {
  RINGSIDE_REQUIRE_BPF();
  expect_usage_error({"run", "--no-report", "--ring-bytes", "2048"}, "--ring-bytes");  // 4096 is the smallest
  const RunOutcome o = max_rate_traced({"--ring-bytes", "4096"}, "tiny-ring");
  ASSERT_EQ(o.code, 0) << o.err;
  const auto& ev = o.results["summary"]["events"];
  EXPECT_GT(u64(ev["dropped"], "kernel_reserve"), 0u) << ev.dump();
  expect_conserved(ev);
}

TEST(HardeningFaults, TinyPoolIsExhaustedAndConserves) {
  RINGSIDE_REQUIRE_BPF();
  const RunOutcome o = max_rate_traced({"--pool-size", "16", "--workers", "1"}, "tiny-pool");  // inline returns each group at once
  ASSERT_EQ(o.code, 0) << o.err;
  const auto& ev = o.results["summary"]["events"];
  EXPECT_GT(u64(ev["dropped"], "pool_exhausted"), 0u) << ev.dump();
  expect_conserved(ev);
}

class HardeningTinyQueue : public testing::TestWithParam<std::string> {};

TEST_P(HardeningTinyQueue, ConservesUnderEitherPolicy) {
  RINGSIDE_REQUIRE_BPF();
  const std::string policy = GetParam();
  const RunOutcome o = max_rate_traced({"--queue-size", "2", "--workers", "1", "--queue-policy", policy}, "queue-" + policy);
  ASSERT_EQ(o.code, 0) << o.err;
  const auto& ev = o.results["summary"]["events"];
  expect_conserved(ev);
  if (policy == "block") EXPECT_EQ(u64(ev["dropped"], "queue_full"), 0u) << "block never drops at the queue: " << ev.dump();
  else EXPECT_GT(u64(ev["dropped"], "queue_full"), 0u) << "a 2-slot queue at max rate overflows: " << ev.dump();
}

INSTANTIATE_TEST_SUITE_P(Policies, HardeningTinyQueue, testing::Values("drop", "block"));

TEST(HardeningFaults, WorkloadKilledMidRoundKeepsTheFinishedRounds) {
  RINGSIDE_REQUIRE_BPF();
  const std::string out = temp_dir("killed-workload");
  Proc p = spawn({bin("ringside"), "run", "--no-report", "--workload", "write", "--rate", "10k", "--duration", "0.6",
                  "--repeat", "3", "--out", out});
  ASSERT_TRUE(wait_for_stderr(p, "round 2/3", 30s, 2)) << p.err();
  std::this_thread::sleep_for(200ms);  // well inside round 2's second phase: its first is complete, and dropped
  const pid_t workload = a_child_of(p.pid);
  ASSERT_GT(workload, 0);
  kill(workload, SIGKILL);
  const int code = p.wait_exit();
  EXPECT_EQ(code, 2) << p.err();
  const auto lines = ringside_lines(p.err());
  ASSERT_EQ(lines.size(), 1u) << p.err();
  EXPECT_NE(lines[0].find("ringside: round 2 "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("workload ended (signal 9"), std::string::npos) << "names the workload's death: " << lines[0];
  EXPECT_NE(lines[0].find("after 1 complete round(s)"), std::string::npos) << lines[0];

  const auto r = read_results(out);
  EXPECT_TRUE(r.value("interrupted", false));
  EXPECT_NE(r.value("stopped_by", "").find("workload ended (signal 9"), std::string::npos) << r.value("stopped_by", "");
  std::map<int, std::set<std::string>> phases_by_round;
  for (const auto& run : r["runs"]) phases_by_round[run["index"].get<int>()].insert(run["phase"].get<std::string>());
  ASSERT_EQ(phases_by_round.size(), 1u) << r["runs"].dump().substr(0, 400);
  EXPECT_EQ(phases_by_round.begin()->first, 1);
  EXPECT_EQ(phases_by_round.begin()->second, (std::set<std::string>{"baseline", "floor", "traced"}));
  EXPECT_GT(r["summary"]["events"]["received"].get<uint64_t>(), 0u) << "round 1's traced phase is summarised";
}

// A tmpfs of 64 KiB, full: unmounted however the test ends.
struct FullTmpfs {
  std::string dir;
  bool mounted = false;
  explicit FullTmpfs(const std::string& d) : dir(d) {
    mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64k,mode=0700") == 0;
    if (!mounted) return;
    const int fd = ::open((dir + "/fill").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const std::string block(4096, 'x');
    while (fd >= 0 && ::write(fd, block.data(), block.size()) > 0) {
    }
    if (fd >= 0) ::close(fd);
  }
  ~FullTmpfs() {
    if (mounted && ::umount(dir.c_str()) != 0) ::umount2(dir.c_str(), MNT_DETACH);
  }
};

TEST(HardeningFaults, FullDiskIsOneLineAndLeavesNoPartialResults) {
  RINGSIDE_REQUIRE_BPF();
  FullTmpfs fs(temp_dir("full-disk"));
  if (!fs.mounted) GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  // the disk is full: a further byte does not fit
  {
    const int fd = ::open((fs.dir + "/probe").c_str(), O_WRONLY | O_CREAT, 0600);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::write(fd, "x", 1), -1) << "the tmpfs is not full";
    ::close(fd);
    ::unlink((fs.dir + "/probe").c_str());
  }
  const std::string out = fs.dir + "/out";
  int code = -1;
  Proc p = run({bin("ringside"), "run", "--no-report", "--out", out, "--workload", "write", "--rate", "10k",
                "--duration", "0.2", "--repeat", "1", "--phases", "traced"},
               &code);
  EXPECT_NE(code, 0) << p.err();
  EXPECT_EQ(code, 2) << p.err();
  const auto lines = ringside_lines(p.err());
  ASSERT_EQ(lines.size(), 1u) << p.err();
  EXPECT_EQ(lines[0], "ringside: cannot write " + out + "/results.json: no space left on device") << lines[0];
  std::vector<std::string> left;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(out, ec)) left.push_back(e.path().filename().string());
  EXPECT_TRUE(left.empty()) << "no partial results.json, no temporary file: " << testing::PrintToString(left);
}

TEST(HardeningFaults, FullTargetSetIsReportedAndNotConserved) {
  RINGSIDE_REQUIRE_BPF();
  const RunOutcome o = run_ringside({"--workload", "exec", "--rate", "200", "--duration", "0.4", "--repeat", "1",
                                     "--phases", "traced", "--max-targets", "1"},
                                    "max-targets");
  EXPECT_EQ(o.code, 1) << "not conserved is a failed measurement: " << o.err;
  EXPECT_NE(o.err.find("ringside: events were not conserved"), std::string::npos) << o.err;
  ASSERT_TRUE(o.results.is_object()) << "results written: " << o.err;
  const auto& ev = o.results["summary"]["events"];
  EXPECT_GT(ev.value("targets_full", uint64_t{0}), 0u) << "the children the full set left untraced: " << ev.dump();
  EXPECT_NE(ev.value("conserved", true), true) << ev.dump();
  EXPECT_NE(o.out.find("went untraced: the target map was full"), std::string::npos) << o.out;
}

TEST(HardeningFaults, FailingSinkCountsItsWriteErrors) {
  RINGSIDE_REQUIRE_BPF();
  const RunOutcome o = run_ringside({"--workload", "write", "--rate", "10k", "--duration", "0.3", "--repeat", "1",
                                     "--phases", "traced", "--sink", "/dev/full"},
                                    "sink-full");
  EXPECT_EQ(o.code, 0) << "a failing sink is a warning, the measurement stands: " << o.err;
  ASSERT_TRUE(o.results.contains("sink")) << o.results.dump().substr(0, 400);
  const auto& s = o.results["sink"];
  EXPECT_EQ(s.value("path", ""), "/dev/full");
  EXPECT_GT(s.value("write_errors", uint64_t{0}), 0u) << s.dump();
  EXPECT_GT(s.value("lost", uint64_t{0}), 0u) << s.dump();
  EXPECT_EQ(s.value("lines", uint64_t{1}), 0u) << s.dump();
  EXPECT_EQ(s.value("last_error", ""), "No space left on device") << s.dump();
  const auto lines = ringside_lines(o.err);
  ASSERT_EQ(lines.size(), 1u) << o.err;
  EXPECT_EQ(lines[0].rfind("ringside: sink /dev/full: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("No space left on device"), std::string::npos) << lines[0];
}

// ---------------------------------------------------------------- 9 (the report side): pid overflow

// The handlers' pid-table overflow (test_core_pid_counts) reaches results.json as its own count,
// next to by_pid and never inside it.
TEST(HardeningReport, PidTableOverflowIsReportedInResults) {
  ringside::EventCounts e;
  e.by_pid = {{4242, 10}};
  e.pids_overflow = 7;
  e.received = 17;
  e.matched = 17;
  e.expected = 17;
  const auto j = ringside::to_json(e);
  EXPECT_EQ(j.value("pids_overflow", uint64_t{0}), 7u) << j.dump();
  EXPECT_EQ(j["by_pid"].size(), 1u) << j.dump();
  EXPECT_FALSE(j["by_pid"].contains("0")) << j.dump();
  ringside::EventCounts sum = e;
  sum += e;
  EXPECT_EQ(ringside::to_json(sum).value("pids_overflow", uint64_t{0}), 14u) << "runs summed keep the overflow";
}

}  // namespace
