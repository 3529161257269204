// Renders report.md/report.html/PNGs for a results directory with reports/ringside_report.py.
#pragma once

#include <string>
#include <string_view>

namespace ringside {

// The path of reports/<name> (e.g. "ringside_report.py", "history_plot.py"), or "" when none
// exists. Looked up in order: the installed tree (<exe>/../share/ringside/reports/), the build
// tree's parent (<exe>/../reports/, for build/ inside a checkout), the compiled-in source dir.
std::string find_report_script(std::string_view name);

// Runs Debian's /usr/bin/python3 on the report script. A missing matplotlib or script is reported
// with how to fix it; results.json is already written either way. Returns true on success.
bool render_report(const std::string& results_dir);

}  // namespace ringside
