// AgentProcess: output capture, exit reporting, stop escalation, never a leftover process, and the
// process-tree CPU accounting `measure` reports.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "agent_process.h"

namespace ringside {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class AgentProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt_dir();
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  AgentProcess spawn(const std::string& cmd, StopPolicy policy = {}) {
    return AgentProcess::spawn(cmd, path("agent.out"), path("agent.err"), policy);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string slurp(const std::string& name) const {
    std::ifstream in(path(name));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Polls for a pid the agent wrote to `name`.
  pid_t wait_for_pid_file(const std::string& name) const {
    for (int i = 0; i < 300; ++i) {
      std::ifstream in(path(name));
      pid_t pid = 0;
      if (in >> pid && pid > 0) return pid;
      std::this_thread::sleep_for(10ms);
    }
    return 0;
  }

 private:
  static std::string fmt_dir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return std::string("ringside-agent-test-") + std::to_string(getpid()) + "-" + info->name();
  }
  fs::path dir_;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST_F(AgentProcessTest, CapturesOutputAndReportsExitStatus) {
  AgentProcess agent = spawn("echo to-out; echo to-err >&2; exit 3");
  const auto status = agent.wait_for_exit(5s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(describe_wait_status(*status), "status 3");
  EXPECT_EQ(slurp("agent.out"), "to-out\n");
  EXPECT_EQ(tail_lines(agent.stderr_path(), 5), "to-err\n");
  EXPECT_EQ(agent.stop(), *status);
  EXPECT_EQ(agent.stop_signal(), "");
}

TEST_F(AgentProcessTest, TailKeepsOnlyTheLastLines) {
  { std::ofstream(path("log")) << "1\n2\n3\n4\n"; }
  EXPECT_EQ(tail_lines(path("log"), 2), "3\n4\n");
  EXPECT_EQ(tail_lines(path("log"), 10), "1\n2\n3\n4\n");
  EXPECT_EQ(tail_lines(path("missing"), 3), "");
}

TEST_F(AgentProcessTest, RunsInItsOwnSessionAndStopsOnSigint) {
  AgentProcess agent = spawn("sleep 30; true");  // sh stays the parent of sleep
  ASSERT_FALSE(agent.wait_for_exit(200ms).has_value());
  EXPECT_EQ(getpgid(agent.pid()), agent.pid());
  EXPECT_EQ(getsid(agent.pid()), agent.pid());
  EXPECT_NE(getpgid(agent.pid()), getpgid(0));  // a terminal's ^C never reaches it directly
  EXPECT_GE(agent.tree().size(), 2u);           // sh and its sleep
  const auto t0 = std::chrono::steady_clock::now();
  agent.stop();
  EXPECT_LT(seconds_since(t0), 1.9);
  EXPECT_EQ(agent.stop_signal(), "SIGINT");
  EXPECT_FALSE(process_group_alive(agent.pid()));
}

TEST_F(AgentProcessTest, EscalatesToSigkillWhenSignalsAreIgnored) {
  AgentProcess agent = spawn("trap '' INT TERM; echo $$ > " + path("ready") + "; sleep 30", {200ms, 200ms});
  ASSERT_NE(wait_for_pid_file("ready"), 0);
  const auto t0 = std::chrono::steady_clock::now();
  const int status = agent.stop();
  const double took = seconds_since(t0);
  EXPECT_GE(took, 0.35);  // both grace periods were honoured
  EXPECT_LT(took, 3.0);
  EXPECT_EQ(agent.stop_signal(), "SIGKILL");
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_FALSE(process_group_alive(agent.pid()));
}

TEST_F(AgentProcessTest, DestructorLeavesNothingRunning) {
  pid_t pgid = 0;
  {
    AgentProcess agent = spawn("sleep 30");
    pgid = agent.pid();
    ASSERT_TRUE(process_group_alive(pgid));
  }
  EXPECT_FALSE(process_group_alive(pgid));
}

TEST_F(AgentProcessTest, StopReachesADescendantThatLeftTheGroup) {
  AgentProcess agent = spawn("setsid sleep 30 & echo $! > " + path("escaped") + "; wait");
  const pid_t escaped = wait_for_pid_file("escaped");
  ASSERT_NE(escaped, 0);
  std::this_thread::sleep_for(100ms);  // let setsid exec
  ASSERT_NE(getpgid(escaped), agent.pid());
  const auto tree = agent.tree();
  EXPECT_NE(std::find(tree.begin(), tree.end(), escaped), tree.end());
  agent.stop();
  EXPECT_FALSE(process_start_ticks(escaped).has_value());
}

TEST_F(AgentProcessTest, SignalToOwnerStopsTheAgentFirst) {
  // A child process owns an agent and is SIGTERMed: the agent must be gone when the owner dies.
  const pid_t owner = fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    alarm(20);  // never outlive a failed test
    AgentProcess agent = spawn("echo $$ > " + path("agent-pid") + "; sleep 30");
    pause();
    _exit(0);
  }
  const pid_t agent_pid = wait_for_pid_file("agent-pid");
  std::this_thread::sleep_for(100ms);  // let sh start sleep: a SIGINT before its exec is lost
  kill(owner, SIGTERM);
  ASSERT_NE(agent_pid, 0);
  int status = 0;
  ASSERT_EQ(waitpid(owner, &status, 0), owner);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << describe_wait_status(status);
  EXPECT_FALSE(process_group_alive(agent_pid));
}

TEST_F(AgentProcessTest, IgnoredSignalDoesNotStopTheAgent) {
  // A background job's SIGINT is ignored: ringside must keep ignoring it, agent and all.
  const pid_t owner = fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    alarm(20);
    signal(SIGINT, SIG_IGN);
    AgentProcess agent = spawn("echo $$ > " + path("agent-pid") + "; sleep 30");
    for (;;) pause();
  }
  const pid_t agent_pid = wait_for_pid_file("agent-pid");
  std::this_thread::sleep_for(100ms);
  kill(owner, SIGINT);
  std::this_thread::sleep_for(300ms);
  const bool alive_after_sigint = agent_pid > 0 && process_group_alive(agent_pid);
  kill(owner, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(owner, &status, 0), owner);
  EXPECT_TRUE(alive_after_sigint);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << describe_wait_status(status);
  EXPECT_FALSE(process_group_alive(agent_pid));
}

// A child started by spawn_child (the workload, an agent's shell) dies with its parent, however
// the parent dies: SIGKILL leaves no handler to clean up.
TEST_F(AgentProcessTest, ChildrenDieWhenTheirParentIsKilled) {
  const pid_t owner = fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    alarm(20);
    ChildSpec spec;
    spec.argv = {"/bin/sleep", "30"};
    spec.group = ChildSpec::Group::own_group;
    const pid_t child = spawn_child(spec);
    std::ofstream(path("child-pid")) << child << "\n";
    for (;;) pause();
  }
  const pid_t child = wait_for_pid_file("child-pid");
  ASSERT_GT(child, 0);
  ASSERT_TRUE(process_start_ticks(child).has_value());
  kill(owner, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(owner, &status, 0), owner);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (process_start_ticks(child).has_value() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(process_start_ticks(child).has_value()) << "the sleep outlived its killed parent";
}

TEST_F(AgentProcessTest, TreeCpuCountsLiveBusyProcess) {
  AgentProcess agent = spawn("while :; do :; done");
  std::this_thread::sleep_for(50ms);
  const auto start = sample_tree_cpu(agent.tree());
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(400ms);
  const auto end = sample_tree_cpu(agent.tree());
  const double wall_ns = seconds_since(t0) * 1e9;
  const auto used = static_cast<double>(tree_cpu_delta_ns(start, end));
  EXPECT_GT(used, 0.1 * wall_ns);  // a spinning shell gets at least a tenth of a CPU
  EXPECT_LE(used, wall_ns * static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN)) * 1.05);
}

TEST_F(AgentProcessTest, TreeCpuCountsChildrenThatExitInsideTheWindow) {
  // The busy grandchild lives and dies between the two samples; only cutime can show it.
  AgentProcess agent = spawn("sleep 0.2; timeout 0.4 sh -c 'while :; do :; done'; sleep 30");
  const auto start = sample_tree_cpu(agent.tree());
  std::this_thread::sleep_for(1000ms);
  const auto tree = agent.tree();
  EXPECT_EQ(tree.size(), 2u);  // sh and its final sleep: the busy child is gone
  const uint64_t used = tree_cpu_delta_ns(start, sample_tree_cpu(tree));
  EXPECT_GT(used, 40'000'000u);
  EXPECT_LT(used, 1'000'000'000u);
}

TEST(AgentTree, ForeignOrMissingPidHasNoTree) {
  EXPECT_TRUE(process_tree(0x3ffffff).empty());
  EXPECT_TRUE(sample_tree_cpu({0x3ffffff}).empty());
  EXPECT_FALSE(process_group_alive(0x3ffffff));
  EXPECT_TRUE(process_start_ticks(getpid()).has_value());
}

}  // namespace
}  // namespace ringside
