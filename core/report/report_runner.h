// Runs the Python scripts in reports/: report.md/report.html/PNGs for a results directory
// (ringside_report.py), and the other plots (history_plot.py).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ringside {

// The path of reports/<name> (e.g. "ringside_report.py", "history_plot.py"), or "" when none
// exists. Looked up in order: the installed tree (<exe>/../share/ringside/reports/), the build
// tree's parent (<exe>/../reports/, for build/ inside a checkout), the compiled-in source dir.
// Every script run goes through here (run_report_script).
std::string find_report_script(std::string_view name);

// How a script run went. The scripts exit 3 when python3-matplotlib (or numpy) is missing.
struct ScriptRun {
  enum class Status { ok, unavailable, no_matplotlib, failed } status = Status::failed;
  std::string reason;  // one line, for the caller's message: "reports/x.py not found", "status 2", ...
};

// Runs Debian's /usr/bin/python3 on reports/<name> (found by find_report_script) with `args`, on
// our stdout and stderr.
ScriptRun run_report_script(std::string_view name, const std::vector<std::string>& args);

// Renders the report of a results directory. A missing matplotlib or script is reported with how
// to fix it; results.json is already written either way. Returns true on success.
bool render_report(const std::string& results_dir);

}  // namespace ringside
