// Gate output: the terminal table, the Markdown summary and the JUnit XML.
#pragma once

#include <string>

#include "gate_verdict.h"

namespace ringside::gate {

struct GateReport {
  std::string baseline_path;
  std::string current_path;
  std::string host_class;  // of the current results
  GateOptions options;
  GateResult result;
};

// One-word overall outcome: "regression", "inconclusive" (nothing regressed, something
// could not be judged) or "pass".
std::string_view overall(const GateResult& result);

// Fixed-width table (metric, baseline median, current median, Δ, p, 95 % CI, verdict)
// followed by one line per non-pass metric with its reason and a closing summary line.
std::string render_table(const GateReport& report);

// GitHub-flavoured Markdown: heading with the outcome, the same table, reasons, method.
std::string render_markdown(const GateReport& report);

// JUnit XML: one <testcase> per metric, <failure> for regressions, <skipped> for
// inconclusive metrics.
std::string render_junit(const GateReport& report);

}  // namespace ringside::gate
