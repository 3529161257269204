#include "report_runner.h"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

extern char** environ;

namespace ringside {
namespace {

std::string find_script() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (const fs::path& p : {exe.parent_path().parent_path() / "reports/ringside_report.py",
                            fs::path(RINGSIDE_SOURCE_DIR) / "reports/ringside_report.py"})
    if (fs::exists(p, ec)) return p.string();
  return "";
}

}  // namespace

bool render_report(const std::string& results_dir) {
  const std::string script = find_script();
  const char* python = "/usr/bin/python3";
  if (script.empty() || access(python, X_OK) != 0) {
    fmt::print(stderr, "ringside: report skipped ({}); results.json is written\n",
               script.empty() ? "reports/ringside_report.py not found" : "/usr/bin/python3 missing");
    return false;
  }
  std::vector<std::string> args = {python, script, results_dir};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, python, nullptr, nullptr, argv.data(), environ) != 0) {
    fmt::print(stderr, "ringside: report skipped: cannot start {}\n", python);
    return false;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    fmt::print("report: {}/report.md, {}/report.html\n", results_dir, results_dir);
    return true;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
    fmt::print(stderr, "ringside: report skipped: python3-matplotlib is missing (apt-get install -y python3-matplotlib "
                       "python3-numpy); results.json is written\n");
  else
    fmt::print(stderr, "ringside: report generation failed (status {}); results.json is written\n", status);
  return false;
}

}  // namespace ringside
