#include "report_runner.h"

#include "child_process.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

namespace ringside {
std::string find_report_script(std::string_view name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path prefix = fs::read_symlink("/proc/self/exe", ec).parent_path().parent_path();
  // the installed layout comes first so an installed ringside never runs a stale checkout's script
  for (const fs::path& dir : {prefix / "share/ringside/reports", prefix / "reports",
                              fs::path(RINGSIDE_SOURCE_DIR) / "reports"}) {
    const fs::path p = dir / name;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return "";
}

bool render_report(const std::string& results_dir) {
  const std::string script = find_report_script("ringside_report.py");
  const char* python = "/usr/bin/python3";
  if (script.empty() || access(python, X_OK) != 0) {
    fmt::print(stderr, "ringside: report skipped ({}); results.json is written\n",
               script.empty() ? "reports/ringside_report.py not found" : "/usr/bin/python3 missing");
    return false;
  }
  ChildSpec child;
  child.argv = {python, script, results_dir};
  child.stdout_fd = STDOUT_FILENO;
  child.stderr_fd = STDERR_FILENO;
  int status = 0;
  try {
    status = reap_child(spawn_child(child));
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "ringside: report skipped: {}\n", e.what());
    return false;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    fmt::print("report: {}/report.md, {}/report.html\n", results_dir, results_dir);
    return true;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
    fmt::print(stderr, "ringside: report skipped: python3-matplotlib is missing (apt-get install -y python3-matplotlib "
                       "python3-numpy); results.json is written\n");
  else
    fmt::print(stderr, "ringside: report generation failed ({}); results.json is written\n", describe_wait_status(status));
  return false;
}

}  // namespace ringside
