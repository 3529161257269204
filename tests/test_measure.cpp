// `ringside measure` end to end against agents whose behaviour we know (including this binary as
// a real BPF agent), plus its building blocks: rate parsing and BPF program attribution.
#include <gtest/gtest.h>
#include <bpf/bpf.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent_process.h"
#include "bpf_prog_stats.h"
#include "cli.h"
#include "values.h"

namespace ringside {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// ---- a real BPF agent: this test binary, when started with RINGSIDE_TEST_AGENT=raw_tp --------
namespace test_agent {

constexpr const char* kEnvVar = "RINGSIDE_TEST_AGENT";
constexpr const char* kRawTpName = "rs_test_agent";

struct LoadedProgram {
  int fd = -1;
  uint32_t id = 0;
  std::string error;
};

// "r0 = 0; exit": the cheapest program there is, hand-assembled so it needs no BTF or clang.
LoadedProgram load(bpf_prog_type type, const char* name) {
  const bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  LoadedProgram p;
  p.fd = bpf_prog_load(type, name, "GPL", insns, 2, nullptr);
  if (p.fd < 0) {
    p.error = std::strerror(-p.fd);
    return p;
  }
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(p.fd, &info, &len) == 0) p.id = info.id;
  return p;
}

LoadedProgram load_socket_filter() { return load(BPF_PROG_TYPE_SOCKET_FILTER, "rs_test_filter"); }

// Loads a raw_tracepoint program on sys_enter and holds it until SIGINT/SIGTERM, like an agent.
int run_raw_tp_agent() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  const LoadedProgram prog = load(BPF_PROG_TYPE_RAW_TRACEPOINT, kRawTpName);
  if (prog.fd < 0) {
    fprintf(stderr, "test agent: load failed: %s\n", prog.error.c_str());
    return 1;
  }
  const int link = bpf_raw_tracepoint_open("sys_enter", prog.fd);
  if (link < 0) {
    fprintf(stderr, "test agent: attach failed: %s\n", std::strerror(-link));
    return 1;
  }
  printf("attached prog %u\n", prog.id);
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  printf("stopping on signal %d\n", sig);
  return 0;
}

// Runs before main(): the binary is either the agent or the test suite.
[[maybe_unused]] const bool kIsAgent = [] {
  if (const char* mode = getenv(kEnvVar); mode && std::string(mode) == "raw_tp") _exit(run_raw_tp_agent());
  return false;
}();

}  // namespace test_agent

const std::string kRingside = std::string(RINGSIDE_BINARY_DIR) + "/ringside";

struct Outcome {
  int status = -1;
  std::string out, err;
  [[nodiscard]] int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

class MeasureCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kRingside.c_str(), X_OK) != 0) GTEST_SKIP() << "not built: " << kRingside;
    if (geteuid() != 0) GTEST_SKIP() << "not root: measure needs CAP_SYS_ADMIN for BPF stats";
    dir_ = fs::temp_directory_path() / ("ringside-measure-test-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Starts `ringside measure` with short phases; stdout/stderr go to files in the test dir.
  pid_t start(const std::string& agent, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {kRingside, "measure", "--agent", agent, "--out", path("out")};
    args.insert(args.end(), extra.begin(), extra.end());
    const std::pair<std::string, std::string> defaults[] = {{"--repeat", "1"}, {"--duration", "0.4"}, {"--settle", "0.3"}};
    for (const auto& [flag, value] : defaults)
      if (std::find(extra.begin(), extra.end(), flag) == extra.end()) args.insert(args.end(), {flag, value});
    const pid_t pid = fork();
    if (pid == 0) {
      freopen(path("stdout").c_str(), "w", stdout);
      freopen(path("stderr").c_str(), "w", stderr);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    return pid;
  }
  Outcome finish(pid_t pid) {
    Outcome o;
    waitpid(pid, &o.status, 0);
    o.out = slurp("stdout");
    o.err = slurp("stderr");
    return o;
  }
  Outcome measure(const std::string& agent, const std::vector<std::string>& extra = {}) {
    return finish(start(agent, extra));
  }
  std::string slurp(const std::string& name) const {
    std::ifstream in(path(name));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  nlohmann::json results() const { return nlohmann::json::parse(slurp("out/results.json")); }
  pid_t pid_from(const std::string& name) const {
    std::ifstream in(path(name));
    pid_t pid = 0;
    in >> pid;
    return pid;
  }

 private:
  fs::path dir_;
};

TEST(Rate, ParsesMaxPlainAndSuffixed) {
  EXPECT_EQ(parse_rate("max")->per_sec, 0.0);
  EXPECT_EQ(parse_rate("5000")->per_sec, 5000.0);
  EXPECT_EQ(parse_rate("10k")->per_sec, 10000.0);
  EXPECT_EQ(parse_rate("2M")->per_sec, 2e6);
  EXPECT_EQ(parse_rate("2.5k")->per_sec, 2500.0);
  for (const char* junk : {"12x", "-5", "0", "0.4", "", "k", "max1", "10kk", "2e10", "inf", "nan", "1e999"})
    EXPECT_THROW(parse_rate(junk).value_or_throw("--rate"), UsageError) << junk;
  EXPECT_EQ(to_string(Rate{0}), "max");
  EXPECT_EQ(to_string(Rate{10000}), "10k");
  EXPECT_EQ(to_string(Rate{2e6}), "2M");
  EXPECT_EQ(to_string(Rate{1234}), "1234");
}

TEST(BpfProgStats, AttributesCountsAndTimesAProgramWeLoaded) {
  test_agent::LoadedProgram prog = test_agent::load_socket_filter();
  if (prog.fd < 0) GTEST_SKIP() << "BPF unavailable: cannot load a socket filter: " << prog.error;
  const auto ids = list_prog_ids();
  ASSERT_NE(std::find(ids.begin(), ids.end(), prog.id), ids.end());
  EXPECT_TRUE(prog_ids_owned_by({getpid()}).count(prog.id));
  EXPECT_FALSE(prog_ids_owned_by({getppid()}).count(prog.id));

  BpfStatsGuard stats;
  const auto before = read_prog_stats(prog.id);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->name, "rs_test_filter");
  EXPECT_EQ(before->type, "socket_filter");
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
  ASSERT_EQ(setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_BPF, &prog.fd, sizeof(prog.fd)), 0);
  char byte = 'x';
  for (int i = 0; i < 100; ++i) ASSERT_EQ(send(sv[0], &byte, 1, 0), 1);
  const ProgStats delta = prog_stats_delta(*before, *read_prog_stats(prog.id));
  close(sv[0]);
  close(sv[1]);
  EXPECT_EQ(delta.run_cnt, 100u);  // the filter ran once per datagram, and only then
  EXPECT_GT(delta.run_time_ns, 0u);
  EXPECT_FALSE(read_prog_stats(0xfffffff).has_value());
}

TEST_F(MeasureCli, AgentThatFailsAtOnceIsAUsageErrorWithItsExitStatus) {
  const Outcome o = measure("false");
  EXPECT_EQ(o.exit_code(), kExitUsage) << o.err;
  EXPECT_NE(o.err.find("ringside: agent exited during settle (status 1); last stderr lines:"), std::string::npos)
      << o.err;
}

TEST_F(MeasureCli, AgentThatFailsShowsItsStderrTail) {
  const Outcome o = measure("sh -c 'echo boom >&2; exit 3'");
  EXPECT_EQ(o.exit_code(), kExitUsage) << o.err;
  EXPECT_NE(o.err.find("agent exited during settle (status 3)"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("boom"), std::string::npos) << o.err;
}

TEST_F(MeasureCli, AgentExitingDuringTheWorkloadInvalidatesTheRound) {
  const Outcome o = measure("sleep 0.5", {"--duration", "1"});
  EXPECT_EQ(o.exit_code(), kExitUsage) << o.err;
  EXPECT_NE(o.err.find("agent exited during the workload (status 0)"), std::string::npos) << o.err;
  const auto r = results();
  ASSERT_FALSE(r["runs"].empty());
  EXPECT_FALSE(r["runs"].back()["valid"].get<bool>());
}

TEST_F(MeasureCli, QuietAgentIsMeasuredAndLeavesNothingRunning) {
  const Outcome o = measure("echo $$ >> " + path("pids") + "; exec sleep 60");
  ASSERT_EQ(o.exit_code(), kExitOk) << o.err;
  std::ifstream pids(path("pids"));
  int agents = 0;
  for (pid_t pid; pids >> pid; ++agents) EXPECT_FALSE(process_group_alive(pid)) << pid;
  EXPECT_EQ(agents, 2);  // warm-up and one measured round
  const auto r = results();
  EXPECT_EQ(r["schema"], "ringside.results/v1");
  EXPECT_EQ(r["command"], "measure");
  EXPECT_EQ(r["scenario"]["agent"], "echo $$ >> " + path("pids") + "; exec sleep 60");
  ASSERT_EQ(r["runs"].size(), 4u);
  EXPECT_TRUE(r["measure"]["bpf_programs"].empty());
  EXPECT_LT(r["measure"]["agent_cpu_pct"].get<double>(), 1.0);  // a sleeping agent costs ~nothing
  EXPECT_TRUE(r["summary"]["overhead"]["slowdown_pct"].is_number());
  EXPECT_GT(r["summary"]["overhead"]["baseline_ops_per_sec"].get<double>(), 0.0);
  EXPECT_TRUE(fs::exists(path("out/agent-1.out")));
}

TEST_F(MeasureCli, SigtermToRingsideStopsTheAgentFirst) {
  const pid_t ringside = start("echo $$ > " + path("agent-pid") + "; exec sleep 60", {"--settle", "30"});
  pid_t agent = 0;
  for (int i = 0; i < 500 && agent == 0; ++i, std::this_thread::sleep_for(10ms)) agent = pid_from("agent-pid");
  const bool agent_was_alive = agent > 0 && process_group_alive(agent);
  kill(ringside, SIGTERM);
  const Outcome o = finish(ringside);
  ASSERT_TRUE(agent_was_alive) << o.err;
  // interrupted runs exit 128+signal after writing what they finished (not killed by the signal)
  EXPECT_TRUE(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 128 + SIGTERM) << describe_wait_status(o.status);
  EXPECT_FALSE(process_group_alive(agent));
}

TEST_F(MeasureCli, RealBpfAgentIsAttributedAndCosted) {
  test_agent::LoadedProgram probe = test_agent::load_socket_filter();
  if (probe.fd < 0) GTEST_SKIP() << "BPF unavailable: cannot load a socket filter: " << probe.error;
  close(probe.fd);
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const Outcome o = measure(std::string(test_agent::kEnvVar) + "=raw_tp " + self);
  ASSERT_EQ(o.exit_code(), kExitOk) << o.err;
  const auto r = results();
  ASSERT_EQ(r["measure"]["bpf_programs"].size(), 1u) << r["measure"].dump();
  const auto& p = r["measure"]["bpf_programs"][0];
  EXPECT_EQ(p["name"], test_agent::kRawTpName);
  EXPECT_EQ(p["type"], "raw_tracepoint");
  for (const auto& run : r["runs"]) {
    if (run["phase"] != "agent") continue;
    // sys_enter fires for every syscall on the machine: at least once per workload write.
    EXPECT_GE(run["cpu"]["bpf_run_cnt"].get<uint64_t>(), run["workload"]["ops"].get<uint64_t>());
    EXPECT_GT(run["cpu"]["bpf_ns"].get<uint64_t>(), 0u);
    EXPECT_EQ(run["stop_signal"], "SIGINT");  // it shut down cleanly when asked
  }
  EXPECT_GT(r["summary"]["cpu"]["kernel_ns_per_event"].get<double>(), 0.0);
  EXPECT_NE(o.out.find(test_agent::kRawTpName), std::string::npos) << o.out;
}

}  // namespace
}  // namespace ringside
