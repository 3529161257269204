#include "gate_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "usage_error.h"

namespace ringside::gate {
namespace {

// Metric names come from the files' keys and benchmark names: a newline or control byte in one
// would add rows to the table and Markdown and make the JUnit XML ill-formed.
std::string shown(std::string_view name) { return one_line(name); }

std::string format_value(double v) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "+inf" : "-inf";
  const double a = std::fabs(v);
  if (a == 0) return "0";
  if (a >= 100) return fmt::format("{:.0f}", v);
  if (a >= 1) return fmt::format("{:.2f}", v);
  return fmt::format("{:.3g}", v);
}

std::string format_change(const MetricVerdict& v) {
  if (std::isnan(v.change)) return "n/a";
  if (std::isinf(v.change)) return v.change > 0 ? "+inf%" : "-inf%";
  return v.baseline.scale == Scale::difference ? fmt::format("{:+.2f}pp", v.change)
                                               : fmt::format("{:+.1f}%", v.change);
}

std::string format_ci(const MetricVerdict& v) {
  if (std::isnan(v.ci.lo) || std::isnan(v.ci.hi)) return "n/a";
  if (v.baseline.scale == Scale::difference)
    return fmt::format("[{:+.2f}, {:+.2f}]pp", v.ci.lo, v.ci.hi);
  return fmt::format("[{}, {}]x", format_value(v.ci.lo), format_value(v.ci.hi));
}

std::string format_p(const MetricVerdict& v) {
  if (v.baseline.values.empty() || v.current.values.empty()) return "n/a";
  return fmt::format("{:.2g}{}", v.p_adjusted, v.exact ? "" : "~");  // ~: normal approximation
}

struct Row {
  std::string cells[7];
};

std::vector<Row> rows_of(const GateReport& report) {
  std::vector<Row> rows;
  rows.push_back({{"metric", "baseline", "current", "change", "p_holm", "95% CI", "verdict"}});
  for (const MetricVerdict& v : report.result.metrics)
    rows.push_back({{shown(v.baseline.name), format_value(v.baseline_median), format_value(v.current_median),
                     format_change(v), format_p(v), format_ci(v), std::string(to_string(v.verdict))}});
  return rows;
}

std::string summary_line(const GateReport& report) {
  const GateResult& r = report.result;
  return fmt::format("gate: {} ({} metrics: {} regression, {} improvement, {} pass, {} inconclusive; "
                     "alpha {:g} family-wise, limit {:g}%, min-reps {})",
                     overall(r), r.metrics.size(), r.count(Verdict::regression), r.count(Verdict::improvement),
                     r.count(Verdict::pass), r.count(Verdict::inconclusive), report.options.alpha,
                     report.options.max_regression_pct, report.options.min_reps);
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string md_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|' || c == '*' || c == '_') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string_view overall(const GateResult& result) {
  if (result.count(Verdict::regression) > 0) return "regression";
  if (result.count(Verdict::inconclusive) > 0) return "inconclusive";
  return "pass";
}

std::string render_table(const GateReport& report) {
  const std::vector<Row> rows = rows_of(report);
  std::size_t width[7] = {};
  for (const Row& row : rows)
    for (int c = 0; c < 7; ++c) width[c] = std::max(width[c], row.cells[c].size());
  std::string out;
  for (const Row& row : rows) {
    out += fmt::format("{:<{}}", row.cells[0], width[0]);
    for (int c = 1; c < 6; ++c) out += fmt::format("  {:>{}}", row.cells[c], width[c]);
    out += fmt::format("  {}\n", row.cells[6]);
  }
  for (const MetricVerdict& v : report.result.metrics)
    if (v.verdict != Verdict::pass || v.noisy)
      out += fmt::format("  {} {}: {}\n", v.noisy ? "noisy" : to_string(v.verdict), shown(v.baseline.name), v.reason);
  for (const std::string& note : report.result.notes) out += fmt::format("  note: {}\n", shown(note));
  out += summary_line(report) + "\n";
  return out;
}

std::string render_markdown(const GateReport& report) {
  const std::vector<Row> rows = rows_of(report);
  std::string out = fmt::format("## ringside gate: {}\n\n", overall(report.result));
  out += fmt::format("- baseline: `{}`\n- current: `{}`\n- host class: `{}`\n\n", report.baseline_path,
                     report.current_path, report.host_class);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out += "|";
    for (const std::string& cell : rows[i].cells) out += " " + md_escape(cell) + " |";
    out += "\n";
    if (i == 0) out += "|---|--:|--:|--:|--:|--:|---|\n";
  }
  out += "\n";
  for (const MetricVerdict& v : report.result.metrics)
    if (v.verdict != Verdict::pass || v.noisy)
      out += fmt::format("- **{}** `{}`: {}\n", v.noisy ? "noisy" : to_string(v.verdict), shown(v.baseline.name),
                         md_escape(v.reason));
  for (const std::string& note : report.result.notes) out += fmt::format("- note: {}\n", md_escape(shown(note)));
  out += fmt::format("\n{}\n\n", summary_line(report));
  out += "Method: two-sided Mann–Whitney U per metric over per-repetition values (exact for ≤ 20 "
         "repetitions a side, else normal approximation, marked ~), Holm-adjusted across the "
         "metrics; a regression must be significant and worse than the limit. CI: percentile "
         "bootstrap of the ratio (or difference) of medians.\n";
  return out;
}

std::string render_junit(const GateReport& report) {
  const GateResult& r = report.result;
  const std::string suite = xml_escape("ringside.gate." + report.host_class);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"ringside gate\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\">\n",
                     r.metrics.size(), r.count(Verdict::regression), r.count(Verdict::inconclusive));
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\">\n", suite,
                     r.metrics.size(), r.count(Verdict::regression), r.count(Verdict::inconclusive));
  for (const MetricVerdict& v : r.metrics) {
    const std::string detail = xml_escape(fmt::format(
        "baseline median {} ({} reps), current median {} ({} reps), change {}, p {:.2g} (holm {}), 95% CI {}: {}",
        format_value(v.baseline_median), v.baseline.values.size(), format_value(v.current_median),
        v.current.values.size(), format_change(v), v.p_value, format_p(v), format_ci(v), v.reason));
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\"", suite, xml_escape(shown(v.baseline.name)));
    if (v.verdict == Verdict::regression)
      out += fmt::format(">\n      <failure type=\"regression\" message=\"{}\">{}</failure>\n    </testcase>\n",
                         xml_escape(v.reason), detail);
    else if (v.verdict == Verdict::inconclusive)
      out += fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n", xml_escape(v.reason));
    else
      out += fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n", detail);
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace ringside::gate
