// What the history commands print and write: the points table, the change points, the CSV
// export and the trend PNG (reports/history_plot.py).
#pragma once

#include <string>
#include <vector>

#include "history_series.h"

namespace ringside::history {

// One metric's series under one host class, summarised.
struct SeriesView {
  MetricInfo metric;
  std::string host_class;
  std::vector<Point> points;
  std::vector<PointSummary> summaries;  // one per point
  std::vector<Change> changes;
};

SeriesView make_view(const MetricInfo& metric, std::string host_class, std::vector<Point> points,
                     const DetectOptions& options);

// seq, commit, branch, date, median, 95 % CI, n, and the change that starts at a point.
std::string render_points_table(const SeriesView& view);

// The change points with where each starts, its shift and verdict, and a closing line.
std::string render_changes(const SeriesView& view, const DetectOptions& options);

// The first change point that fails detect (a regression within the last points), or null.
const Change* failing_regression(const SeriesView& view);

// CSV, one row per point and repetition.
std::string csv_header();
void append_csv(std::string& out, const MetricInfo& metric, const std::vector<Point>& points);

// Writes `png` with reports/history_plot.py; "" when written, else the one-line reason it was not.
std::string write_trend_png(const SeriesView& view, const std::string& png);

}  // namespace ringside::history
