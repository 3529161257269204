// Ground truth checked from outside ringside: after "go" the workload makes exactly one
// syscall of its kind per op it reports, and no other syscall of any traced kind.
//  - strace -f counts every write/openat/getppid/execve/connect from the moment the
//    child read its "go" line until it exited (all kinds; skipped without strace);
//  - the kernel's own syscw counter (/proc/<pid>/io, read from the zombie before it is
//    reaped) counts every write-family syscall of a whole --json run: ops + 1 result line.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "workload_process.h"

namespace ringside {
namespace {

const std::string kExe = RINGSIDE_BINARY_DIR "/ringside-workload";
const std::vector<std::string> kTracedKinds = {"write", "openat", "getppid", "execve", "connect"};

struct StraceCounts {
  std::map<std::string, uint64_t> by_syscall;  // after go, from the workload process itself
  uint64_t children_execve = 0;                // execve issued by forked children
  bool saw_go = false;
};

// Counts syscall entries (complete or "<unfinished ...>" lines) after the read that
// consumed the "\n" of "go\n" (the child reads its control line one byte at a time).
StraceCounts count_after_go(const std::filesystem::path& trace) {
  static const std::regex go_read(R"(read.*"\\n", 1\) += 1$)");
  static const std::regex entry(R"(^(\d+) +([a-z0-9_]+)\()");
  std::ifstream in(trace);
  std::vector<std::pair<std::string, std::string>> after;  // (pid, syscall)
  StraceCounts counts;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, go_read)) {
      counts.saw_go = true;
      after.clear();  // only the last such read is the go line
    } else if (counts.saw_go && std::regex_search(line, m, entry)) {
      after.emplace_back(m[1], m[2]);
    }
  }
  // exec children are the pids that called execve; what ld.so does in them is not ours.
  std::set<std::string> children;
  for (const auto& [pid, name] : after)
    if (name == "execve") children.insert(pid);
  for (const auto& [pid, name] : after) {
    if (children.count(pid)) {
      counts.children_execve += name == "execve";
    } else if (std::find(kTracedKinds.begin(), kTracedKinds.end(), name) != kTracedKinds.end()) {
      ++counts.by_syscall[name];
    }
  }
  return counts;
}

class GroundTruth : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kExe.c_str(), X_OK) != 0) FAIL() << "build ringside-workload first: " << kExe;
  }
};

TEST_F(GroundTruth, StraceSeesExactlyOneTracedSyscallPerOp) {
  if (std::system("strace -V >/dev/null 2>&1") != 0) GTEST_SKIP() << "strace not installed";
  const auto trace = std::filesystem::temp_directory_path() / ("ringside-gt-" + std::to_string(::getpid()));
  for (const std::string kind : {"write", "openat", "getppid", "connect", "mixed", "exec"}) {
    SCOPED_TRACE(kind);
    WorkloadSpec spec;
    spec.kind = parse_enum<WorkloadKind>(kind).value_or_throw("kind");
    spec.threads = 2;
    spec.ops = kind == "exec" ? 30 : 1500;
    SpawnOptions options;
    options.exe = kExe;
    options.wrapper = {"strace", "-f", "-qq", "--seccomp-bpf", "-e", "signal=none", "-o", trace.string(),
                       "-e", "trace=read,write,openat,getppid,execve,connect"};
    auto child = WorkloadProcess::spawn(spec, options);
    child.go();
    const WorkloadResult r = child.wait(std::chrono::seconds(60));
    const StraceCounts seen = count_after_go(trace);
    std::filesystem::remove(trace);
    ASSERT_TRUE(seen.saw_go) << "no read of the go line in the trace";
    EXPECT_EQ(r.ops, spec.ops);
    EXPECT_EQ(r.errors, 0u);
    std::map<std::string, uint64_t> expected = r.by_syscall;
    std::erase_if(expected, [](const auto& kv) { return kv.second == 0; });
    if (kind == "exec") {
      EXPECT_EQ(seen.children_execve, r.by_syscall.at("execve"));
      expected.erase("execve");
    }
    EXPECT_EQ(seen.by_syscall, expected) << "the workload process itself, after go";
  }
}

TEST_F(GroundTruth, KernelWriteCounterMatchesOpsPlusResultLine) {
  // No --wait-go: the whole life of the process is counted, set-up included.
  constexpr uint64_t kOps = 20000;
  const std::string ops = std::to_string(kOps);
  const char* argv[] = {kExe.c_str(), "--kind", "write", "--threads", "2", "--ops", ops.c_str(), "--json", nullptr};
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  pid_t pid = -1;
  ASSERT_EQ(::posix_spawn(&pid, argv[0], &actions, nullptr, const_cast<char**>(argv), environ), 0);
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  std::string output;
  char buffer[512];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof(buffer))) > 0;) output.append(buffer, size_t(n));
  ::close(out[0]);
  // Wait for the exit but leave the zombie: its /proc/<pid>/io still holds the totals.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT), 0);
  std::ifstream io("/proc/" + std::to_string(pid) + "/io");
  std::string key;
  uint64_t value = 0, syscw = 0;
  while (io >> key >> value)
    if (key == "syscw:") syscw = value;
  ::waitpid(pid, nullptr, 0);
  EXPECT_EQ(info.si_code, CLD_EXITED);
  EXPECT_EQ(info.si_status, 0);
  const auto result = WorkloadResult::from_json(nlohmann::json::parse(output));
  EXPECT_EQ(result.by_syscall.at("write"), kOps);
  EXPECT_EQ(syscw, kOps + 1) << "write-family syscalls of the whole process";
}

}  // namespace
}  // namespace ringside
