// The ringside-workload command line: bad flags exit 2 with one line on stderr, results
// print as one JSON line or a human summary, --help works.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace {

const std::string kExe = RINGSIDE_BINARY_DIR "/ringside-workload";

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Outcome run_cli(const std::string& args) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto out = dir / ("ringside-cli-out-" + std::to_string(::getpid()));
  const auto err = dir / ("ringside-cli-err-" + std::to_string(::getpid()));
  const std::string cmd = kExe + " " + args + " </dev/null >" + out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  Outcome o{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return o;
}

class WorkloadCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kExe.c_str(), X_OK) != 0) FAIL() << "build ringside-workload first: " << kExe;
  }
};

TEST_F(WorkloadCli, BadFlagsExit2WithOneLine) {
  for (const char* args : {"--bogus", "--kind fork", "--rate -5", "--rate fast", "--threads 0", "--ops -5",
                           "--ops 0", "--duration 0", "--duration 1 --ops 5", "--burst 10", "--burst 0:5",
                           "--mix write:1", "--kind mixed --mix pigeon:1", "--threads x", "extra"}) {
    const Outcome o = run_cli(args);
    EXPECT_EQ(o.exit_code, 2) << args;
    EXPECT_TRUE(o.out.empty()) << args << ": " << o.out;
    EXPECT_TRUE(o.err.starts_with("ringside-workload: ")) << args << ": " << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << args << ": " << o.err;
  }
}

TEST_F(WorkloadCli, JsonResultIsOneLineWithEveryField) {
  const Outcome o = run_cli("--kind mixed --ops 20 --threads 2 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  ASSERT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o.out;
  const auto j = nlohmann::json::parse(o.out);
  for (const char* key : {"kind", "threads", "target_rate", "ops", "by_syscall", "elapsed_s", "ops_per_sec",
                          "worst_lag_ns", "errors", "burst"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["ops"], 20);
  EXPECT_EQ(j["by_syscall"], (nlohmann::json{{"write", 14}, {"openat", 4}, {"getppid", 2}}));
  EXPECT_TRUE(j["target_rate"].is_null());
  const Outcome paced = run_cli("--kind getppid --rate 1k --duration 0.2 --burst 5:5 --json");
  ASSERT_EQ(paced.exit_code, 0) << paced.err;
  const auto p = nlohmann::json::parse(paced.out);
  EXPECT_EQ(p["target_rate"], 1000.0);
  EXPECT_EQ(p["burst"], (nlohmann::json{{"on_ms", 5.0}, {"off_ms", 5.0}}));
}

TEST_F(WorkloadCli, HumanSummaryWithoutJson) {
  const Outcome o = run_cli("--kind openat --ops 50");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("openat: 50 ops in"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("openat=50"), std::string::npos) << o.out;
}

TEST_F(WorkloadCli, WaitGoWithClosedStdinExits3) {
  const Outcome o = run_cli("--kind write --ops 5 --wait-go --json");
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_TRUE(o.out.starts_with("ready ")) << o.out;
  EXPECT_EQ(o.out.find('{'), std::string::npos) << "printed a result without go: " << o.out;
}

TEST_F(WorkloadCli, HelpExits0) {
  const Outcome o = run_cli("--help");
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_NE(o.out.find("--kind"), std::string::npos);
}

}  // namespace
