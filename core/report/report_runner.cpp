#include "report_runner.h"

#include "child_process.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

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

ScriptRun run_report_script(std::string_view name, const std::vector<std::string>& args) {
  using Status = ScriptRun::Status;
  const std::string script = find_report_script(name);
  const char* python = "/usr/bin/python3";
  if (script.empty()) return {Status::unavailable, fmt::format("reports/{} not found", name)};
  if (access(python, X_OK) != 0) return {Status::unavailable, fmt::format("{} missing", python)};
  ChildSpec child;
  child.argv = {python, script};
  child.argv.insert(child.argv.end(), args.begin(), args.end());
  child.stdout_fd = STDOUT_FILENO;
  child.stderr_fd = STDERR_FILENO;
  int status = 0;
  try {
    status = reap_child(spawn_child(child));
  } catch (const std::runtime_error& e) {
    return {Status::unavailable, e.what()};
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {Status::ok, ""};
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
    return {Status::no_matplotlib,
            "python3-matplotlib is missing (apt-get install -y python3-matplotlib python3-numpy)"};
  return {Status::failed, describe_wait_status(status)};
}

bool render_report(const std::string& results_dir) {
  const ScriptRun run = run_report_script("ringside_report.py", {results_dir});
  switch (run.status) {
    case ScriptRun::Status::ok:
      fmt::print("report: {}/report.md, {}/report.html\n", results_dir, results_dir);
      return true;
    case ScriptRun::Status::unavailable:
      fmt::print(stderr, "ringside: report skipped ({}); results.json is written\n", run.reason);
      return false;
    case ScriptRun::Status::no_matplotlib:
      fmt::print(stderr, "ringside: report skipped: {}; results.json is written\n", run.reason);
      return false;
    case ScriptRun::Status::failed:
      break;
  }
  fmt::print(stderr, "ringside: report generation failed ({}); results.json is written\n", run.reason);
  return false;
}

}  // namespace ringside
