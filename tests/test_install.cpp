// `cmake --install` into a temporary prefix gives a working ringside: the layout the package
// ships, `probe`, and a short `run` from outside the source tree that finds ringside-workload
// beside itself and the report generator under <prefix>/share/ringside/reports.
#include <sys/stat.h>

#include "report_runner.h"
#include "test_support.h"

using namespace ringside::test;
namespace fs = std::filesystem;

namespace {

// the working directory of the installed binaries (pre_exec takes no captures)
std::string g_workdir;
void chdir_to_workdir() {
  if (chdir(g_workdir.c_str()) != 0) _exit(126);
}

bool is_executable(const fs::path& p) { return access(p.c_str(), X_OK) == 0; }

class Install : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    prefix_ = temp_dir("install-prefix");
    int code = 0;
    Proc p = run({RINGSIDE_CMAKE_COMMAND, "--install", RINGSIDE_BINARY_DIR, "--prefix", prefix_}, &code);
    install_code_ = code;
    install_log_ = p.out() + p.err();
  }
  static void TearDownTestSuite() { fs::remove_all(prefix_); }
  void SetUp() override { ASSERT_EQ(install_code_, 0) << install_log_; }

  static inline std::string prefix_;
  static inline int install_code_ = -1;
  static inline std::string install_log_;
};

TEST_F(Install, LaysOutWhatThePackageShips) {
  const fs::path p = prefix_;
  for (const char* exe : {"bin/ringside", "bin/ringside-workload", "share/ringside/reports/ringside_report.py",
                          "share/ringside/reports/index.py", "share/ringside/reports/history_plot.py"})
    EXPECT_TRUE(is_executable(p / exe)) << exe;
  for (const char* file : {"share/ringside/reports/model.py", "share/ringside/reports/plots.py",
                           "share/ringside/configs/default.yaml", "share/ringside/configs/governor.yaml",
                           "share/man/man1/ringside.1.gz", "share/bash-completion/completions/ringside",
                           "share/bash-completion/completions/ringside-workload"})
    EXPECT_TRUE(fs::is_regular_file(p / file)) << file;
  // a checkout's leftovers must not be shipped
  for (const auto& e : fs::recursive_directory_iterator(p / "share/ringside/reports"))
    EXPECT_NE(e.path().filename(), "__pycache__") << e.path();
}

TEST_F(Install, ProbeRunsFromThePrefix) {
  g_workdir = temp_dir("install-cwd-probe");
  Proc p = spawn({prefix_ + "/bin/ringside", "probe"}, chdir_to_workdir);
  EXPECT_EQ(p.wait_exit(), 0) << p.err();
  EXPECT_NE(p.out().find("transport"), std::string::npos) << p.out();
}

TEST_F(Install, RunFindsWorkloadAndReportGeneratorInThePrefix) {
  RINGSIDE_REQUIRE_BPF();
  // Wrap the installed generator so the test sees that this copy ran — the compiled-in source
  // directory holds one too, and it must only be the fallback of a build tree.
  const fs::path reports = fs::path(prefix_) / "share/ringside/reports";
  const fs::path real = reports / "ringside_report_installed.py";
  const fs::path marker = fs::path(temp_dir("install-marker")) / "used";
  fs::rename(reports / "ringside_report.py", real);
  {  // touch the marker, then run the real script as __main__
    std::ofstream w(reports / "ringside_report.py");
    w << "#!/usr/bin/python3\nimport runpy, sys\n"
      << "open(" << nlohmann::json(marker.string()).dump() << ", 'w').close()\n"
      << "sys.argv[0] = " << nlohmann::json(real.string()).dump() << "\n"
      << "runpy.run_path(sys.argv[0], run_name='__main__')\n";
  }
  fs::permissions(reports / "ringside_report.py", fs::perms::owner_all, fs::perm_options::add);

  g_workdir = temp_dir("install-cwd-run");  // outside the source tree: nothing relative to it
  const std::string out = g_workdir + "/out";
  Proc p = spawn({prefix_ + "/bin/ringside", "run", "--duration", "0.3", "--repeat", "1", "--out", out},
                 chdir_to_workdir);
  const int code = p.wait_exit();
  fs::rename(real, reports / "ringside_report.py");
  ASSERT_EQ(code, 0) << p.err() << p.out();
  EXPECT_TRUE(fs::is_regular_file(out + "/results.json")) << p.out();
  EXPECT_TRUE(fs::is_regular_file(out + "/report.html")) << p.err() << p.out();
  EXPECT_TRUE(fs::exists(marker)) << "the report came from somewhere other than " << reports << ": " << p.out();
  EXPECT_EQ(read_results(out)["summary"]["events"]["conserved"], true);
}

TEST(ReportScript, FoundByNameOrEmpty) {
  // from the build tree the checkout's reports/ is found (<exe>/../reports or the source dir)
  const std::string found = ringside::find_report_script("ringside_report.py");
  EXPECT_EQ(fs::path(found), fs::path(RINGSIDE_SOURCE_DIR) / "reports/ringside_report.py");
  EXPECT_EQ(ringside::find_report_script("no_such_script.py"), "");
}

}  // namespace
