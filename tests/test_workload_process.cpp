// WorkloadProcess: spawn / ready / go / wait against the real ringside-workload binary,
// failures that must come back as clear errors, and no child left behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "workload_process.h"

namespace ringside {
namespace {

const std::string kExe = RINGSIDE_BINARY_DIR "/ringside-workload";

WorkloadSpec make(std::string kind, uint64_t ops, double duration_s = 1.0) {
  WorkloadSpec s;
  s.kind = parse_enum<WorkloadKind>(kind).value_or_throw("kind");
  s.ops = ops;
  s.duration_s = duration_s;
  return s;
}

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// syscw of /proc/<pid>/io: the number of write-family syscalls the process has made.
uint64_t write_syscalls(pid_t pid) {
  std::ifstream io("/proc/" + std::to_string(pid) + "/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value)
    if (key == "syscw:") return value;
  ADD_FAILURE() << "no syscw in /proc/" << pid << "/io";
  return 0;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

class WorkloadProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kExe.c_str(), X_OK) != 0) FAIL() << "build ringside-workload first: " << kExe;
  }
};

TEST_F(WorkloadProcessTest, SpawnGoWaitReturnsGroundTruth) {
  auto child = WorkloadProcess::spawn(make("getppid", 1000), kExe);
  ASSERT_GT(child.pid(), 0);
  EXPECT_TRUE(process_exists(child.pid()));
  child.go();
  const WorkloadResult r = child.wait(std::chrono::seconds(30));
  EXPECT_EQ(r.kind, WorkloadKind::getppid);
  EXPECT_EQ(r.ops, 1000u);
  EXPECT_EQ(r.by_syscall.at("getppid"), 1000u);
  EXPECT_EQ(r.errors, 0u);
}

TEST_F(WorkloadProcessTest, ReadyChildIssuesNothingUntilGo) {
  WorkloadSpec spec = make("write", 3000);
  spec.threads = 2;
  auto child = WorkloadProcess::spawn(spec, kExe);
  const uint64_t at_ready = write_syscalls(child.pid());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(write_syscalls(child.pid()), at_ready) << "wrote before go";
  child.go();
  EXPECT_EQ(child.wait(std::chrono::seconds(30)).by_syscall.at("write"), 3000u);
}

TEST_F(WorkloadProcessTest, WaitWithoutGoMeansExit3AndNothingIssued) {
  auto child = WorkloadProcess::spawn(make("write", 10), kExe);
  const std::string what = error_of([&] { child.wait(std::chrono::seconds(10)); });
  EXPECT_NE(what.find("ended (status 3)"), std::string::npos) << what;
  EXPECT_NE(what.find("stdin closed before go"), std::string::npos) << what;
}

TEST_F(WorkloadProcessTest, ChildDyingBeforeReadyIsAClearError) {
  const auto script = std::filesystem::temp_directory_path() / ("ringside-dies-" + std::to_string(::getpid()));
  std::ofstream(script) << "#!/bin/sh\necho 'first line' >&2\necho 'boom: cannot set up' >&2\nexit 7\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  const std::string what = error_of([&] { WorkloadProcess::spawn(make("write", 10), script.string()); });
  std::filesystem::remove(script);
  EXPECT_NE(what.find("ended (status 7) before ready"), std::string::npos) << what;
  EXPECT_NE(what.find("boom: cannot set up"), std::string::npos) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
}

TEST_F(WorkloadProcessTest, MissingExecutableAndBadSpec) {
  const std::string what = error_of([] { WorkloadProcess::spawn(make("write", 10), "/nonexistent/ringside-workload"); });
  EXPECT_NE(what.find("failed to start /nonexistent/ringside-workload"), std::string::npos) << what;
  WorkloadSpec bad = make("write", 10);
  bad.threads = 0;
  EXPECT_THROW(WorkloadProcess::spawn(bad, kExe), std::invalid_argument);
}

TEST_F(WorkloadProcessTest, DestructorKillsAndReapsARunningChild) {
  pid_t before_go = 0, running = 0;
  {
    auto idle = WorkloadProcess::spawn(make("getppid", 0, 60), kExe);
    before_go = idle.pid();
    auto busy = WorkloadProcess::spawn(make("getppid", 0, 60), kExe);
    running = busy.pid();
    busy.go();
  }
  EXPECT_FALSE(process_exists(before_go));
  EXPECT_FALSE(process_exists(running));
}

TEST_F(WorkloadProcessTest, WaitTimeoutKillsTheChild) {
  auto child = WorkloadProcess::spawn(make("getppid", 0, 60), kExe);
  const pid_t pid = child.pid();
  child.go();
  const auto t0 = std::chrono::steady_clock::now();
  const std::string what = error_of([&] { child.wait(std::chrono::milliseconds(300)); });
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_NE(what.find("still running after 300 ms"), std::string::npos) << what;
  EXPECT_FALSE(process_exists(pid));
}

TEST_F(WorkloadProcessTest, MovableIntoContainers) {
  std::vector<WorkloadProcess> children;
  for (int i = 0; i < 2; ++i) children.push_back(WorkloadProcess::spawn(make("openat", 100 + uint64_t(i)), kExe));
  for (auto& c : children) c.go();
  EXPECT_EQ(children[0].wait().by_syscall.at("openat"), 100u);
  EXPECT_EQ(children[1].wait().by_syscall.at("openat"), 101u);
  EXPECT_THROW(children[1].wait(), std::runtime_error);  // already reaped
}

TEST_F(WorkloadProcessTest, DefaultExeFallsBackToEnvironment) {
  // Next to the test binary comes first; only without one there does the variable win.
  const auto beside = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "ringside-workload";
  if (::access(beside.c_str(), X_OK) == 0) {
    EXPECT_EQ(default_workload_exe(), beside.string());
    return;
  }
  ::setenv("RINGSIDE_WORKLOAD_EXE", kExe.c_str(), 1);
  EXPECT_EQ(default_workload_exe(), kExe);
  ::unsetenv("RINGSIDE_WORKLOAD_EXE");
}

}  // namespace
}  // namespace ringside
