// Runs the Python scripts in reports/: report.md/report.html/PNGs for a results directory
// (ringside_report.py), and the other plots (history_plot.py).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ringside {

// reports/<name> beside the running binary's build directory, else in the source tree it was
// built from; "" when neither has it.
std::string find_report_script(std::string_view name);

// How a script run went. The scripts exit 3 when python3-matplotlib (or numpy) is missing.
struct ScriptRun {
  enum class Status { ok, unavailable, no_matplotlib, failed } status = Status::failed;
  std::string reason;  // one line, for the caller's message: "reports/x.py not found", "status 2", ...
};

// Runs Debian's /usr/bin/python3 on reports/<name> with `args`, on our stdout and stderr.
ScriptRun run_report_script(std::string_view name, const std::vector<std::string>& args);

// Renders the report of a results directory. A missing matplotlib or script is reported with how
// to fix it; results.json is already written either way. Returns true on success.
bool render_report(const std::string& results_dir);

}  // namespace ringside
