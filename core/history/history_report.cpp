#include "history_report.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "report_runner.h"

namespace ringside::history {
namespace {

using nlohmann::json;

std::string format_value(double v) {
  if (std::isnan(v)) return "n/a";
  const double a = std::fabs(v);
  if (a == 0) return "0";
  if (a >= 100) return fmt::format("{:.0f}", v);
  if (a >= 1) return fmt::format("{:.2f}", v);
  return fmt::format("{:.3g}", v);
}

std::string short_commit(const std::string& commit) { return commit.substr(0, 12); }

// "2024-05-01T12:30:05Z" → "2024-05-01 12:30"
std::string short_date(std::string date) {
  if (date.size() > 10 && date[10] == 'T') date[10] = ' ';
  return date.substr(0, 16);
}

std::string points_text(std::size_t n) { return fmt::format("{} point{}", n, n == 1 ? "" : "s"); }

std::string describe(const MetricInfo& m) {
  return fmt::format("{} ({}, {} is better)", m.name, m.unit, m.better == gate::Better::lower ? "lower" : "higher");
}

// Columns padded to their widest cell; `right` marks the right-aligned (numeric) ones.
std::string render_columns(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right) {
  std::vector<std::size_t> width(right.size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c)
      line += right[c] ? fmt::format("{:>{}}  ", row[c], width[c]) : fmt::format("{:<{}}  ", row[c], width[c]);
    line.erase(line.find_last_not_of(' ') + 1);
    out += " " + line + "\n";
  }
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string kind_label(const Change& c) {
  return fmt::format("{}{}", to_string(c.kind), c.recent && c.kind == Change::Kind::regression ? " (recent)" : "");
}

}  // namespace

SeriesView make_view(const MetricInfo& metric, std::string host_class, std::vector<Point> points,
                     const DetectOptions& options) {
  SeriesView v{.metric = metric, .host_class = std::move(host_class), .points = std::move(points), .summaries = {},
               .changes = {}};
  for (const Point& p : v.points) v.summaries.push_back(summarize(p));
  v.changes = detect_changes(v.metric, v.points, options);
  return v;
}

std::string render_points_table(const SeriesView& view) {
  std::string out = fmt::format("history: {}, host class {}, {}\n", describe(view.metric), view.host_class,
                                points_text(view.points.size()));
  std::vector<std::vector<std::string>> rows = {{"seq", "commit", "branch", "date", "median", "95% CI", "n", "change"}};
  for (std::size_t i = 0; i < view.points.size(); ++i) {
    const Point& p = view.points[i];
    const PointSummary& s = view.summaries[i];
    std::string change;
    for (const Change& c : view.changes)
      if (c.at.index == i) change = fmt::format("{} {}", format_shift(view.metric, c.shift), kind_label(c));
    rows.push_back({std::to_string(p.seq), short_commit(p.commit), p.branch.empty() ? "-" : p.branch,
                    short_date(p.date), format_value(s.median),
                    fmt::format("[{}, {}]", format_value(s.ci[0]), format_value(s.ci[1])),
                    std::to_string(p.values.size()), change});
  }
  return out + render_columns(rows, {true, false, false, false, true, true, true, false});
}

const Change* failing_regression(const SeriesView& view) {
  for (auto it = view.changes.rbegin(); it != view.changes.rend(); ++it)
    if (it->kind == Change::Kind::regression && it->recent) return &*it;
  return nullptr;
}

std::string render_changes(const SeriesView& view, const DetectOptions& options) {
  const auto& cp = options.change_points;
  std::string out = fmt::format("detect: {}, host class {}, {}", describe(view.metric), view.host_class,
                                points_text(view.points.size()));
  if (!view.points.empty()) out += fmt::format(" (seq {}..{})", view.points.front().seq, view.points.back().seq);
  out += fmt::format("\ndetect: E-divisive means, {} permutations, alpha {}, min segment {}; a regression is a shift "
                     "of {}{} or more\n",
                     cp.permutations, cp.alpha, cp.min_segment, options.min_shift,
                     view.metric.scale == stats::Scale::difference ? "pp" : " %");
  if (view.points.size() < 2 * cp.min_segment)
    return out + fmt::format("detect: too few points to find a change point (needs {})\n", 2 * cp.min_segment);
  if (view.changes.empty()) return out + "detect: no change points\n";

  std::vector<std::vector<std::string>> rows = {
      {"seq", "commit", "branch", "before", "after", "shift", "p", "verdict"}};
  for (const Change& c : view.changes) {
    const Point& p = view.points[c.at.index];
    rows.push_back({std::to_string(c.seq), short_commit(c.commit), p.branch.empty() ? "-" : p.branch,
                    format_value(c.at.mean_before), format_value(c.at.mean_after), format_shift(view.metric, c.shift),
                    fmt::format("{:.3f}", c.at.p_value), kind_label(c)});
  }
  out += render_columns(rows, {true, false, false, true, true, true, true, false});
  if (const Change* r = failing_regression(view))
    out += fmt::format("detect: regression of {} {} starting at commit {} (seq {}), within the last {}\n",
                       view.metric.name, format_shift(view.metric, r->shift), r->commit, r->seq,
                       points_text(options.last));
  else
    out += fmt::format("detect: no regression within the last {}\n", points_text(options.last));
  return out;
}

std::string csv_header() { return "seq,commit,branch,date,host_class,metric,unit,rep,value\n"; }

void append_csv(std::string& out, const MetricInfo& metric, const std::vector<Point>& points) {
  for (const Point& p : points)
    for (std::size_t rep = 0; rep < p.values.size(); ++rep)
      out += fmt::format("{},{},{},{},{},{},{},{},{}\n", p.seq, csv_field(p.commit), csv_field(p.branch), p.date,
                         csv_field(p.host_class), csv_field(metric.name), csv_field(metric.unit), rep, p.values[rep]);
}

std::string write_trend_png(const SeriesView& view, const std::string& png) {
  json points = json::array(), changes = json::array();
  for (std::size_t i = 0; i < view.points.size(); ++i) {
    const Point& p = view.points[i];
    const PointSummary& s = view.summaries[i];
    points.push_back({{"seq", p.seq}, {"commit", p.commit}, {"branch", p.branch}, {"date", p.date},
                      {"median", s.median}, {"lo", s.ci[0]}, {"hi", s.ci[1]}, {"n", p.values.size()}});
  }
  for (const Change& c : view.changes)
    changes.push_back({{"index", c.at.index}, {"seq", c.seq}, {"commit", c.commit},
                       {"shift", std::isinf(c.shift) ? json(nullptr) : json(c.shift)},
                       {"label", format_shift(view.metric, c.shift)}, {"kind", to_string(c.kind)},
                       {"mean_before", c.at.mean_before}, {"mean_after", c.at.mean_after}});
  const json data = {{"metric", view.metric.name},
                     {"unit", view.metric.unit},
                     {"better", view.metric.better == gate::Better::lower ? "lower" : "higher"},
                     {"host_class", view.host_class},
                     {"points", points},
                     {"changes", changes}};

  // The series goes to the script in a private temporary file (mode 0600, removed after).
  std::string tmp = (std::filesystem::temp_directory_path() / "ringside-history-XXXXXX.json").string();
  const int fd = ::mkstemps(tmp.data(), 5);
  if (fd < 0) return fmt::format("cannot create a temporary file in {}", std::filesystem::temp_directory_path().string());
  ::close(fd);
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << data.dump();
    if (!out.flush()) {
      std::filesystem::remove(tmp);
      return fmt::format("cannot write {}", tmp);
    }
  }
  const ScriptRun run = run_report_script("history_plot.py", {tmp, png});
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  return run.status == ScriptRun::Status::ok ? "" : run.reason;
}

}  // namespace ringside::history
