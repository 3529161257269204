// Renders report.md/report.html/PNGs for a results directory with reports/ringside_report.py.
#pragma once

#include <string>

namespace ringside {

// Runs Debian's /usr/bin/python3 on the report script. A missing matplotlib or script is reported
// with how to fix it; results.json is already written either way. Returns true on success.
bool render_report(const std::string& results_dir);

}  // namespace ringside
