// What show and detect compute from stored points: the metric a name means, each point's median
// and CI, the change points of the series and which of them are regressions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "change_points.h"
#include "history_store.h"
#include "values.h"

namespace ringside::history {

// The stored metric `query` names: the full gate name, or the unique one it ends with at a dot
// (`end_to_end.p50` → `latency.end_to_end.p50`). Throws UsageError naming the candidates when it
// is ambiguous, and the closest names when nothing matches.
const MetricInfo& resolve_metric(const std::vector<MetricInfo>& metrics, std::string_view query);

// "2024-05-01", "2024-05-01T12:30", "2024-05-01 12:30:05", optionally ending in Z (UTC only)
// → "2024-05-01T12:30:05Z".
Parsed<std::string> parse_iso_time(std::string_view text);
std::string now_iso();

// --since: a run's seq number ("42") or an ISO date ("2024-05-01").
struct Since {
  std::optional<std::int64_t> seq;
  std::string date;
};
Parsed<Since> parse_since(std::string_view text);

struct PointSummary {
  double median = 0;
  std::array<double, 2> ci{};  // bootstrap 95 % CI of the median over the repetitions
};
PointSummary summarize(const Point& point);

struct DetectOptions {
  stats::ChangePointOptions change_points;
  double min_shift = 2.0;  // % (pp for a difference metric): smaller shifts are reported, never regressions
  std::size_t last = 5;    // a regression starting within the last `last` points fails detect
};

struct Change {
  enum class Kind { regression, improvement, small };
  stats::ChangePoint at;
  std::int64_t seq = 0;       // the run where the new level starts
  std::string commit;         // its commit
  double shift = 0;           // % of the level before (pp for a difference metric); ±inf from 0
  Kind kind = Kind::small;
  bool recent = false;        // within the last `last` points
};

// Change points over the per-point medians of `points`.
std::vector<Change> detect_changes(const MetricInfo& metric, const std::vector<Point>& points,
                                   const DetectOptions& options);

std::string_view to_string(Change::Kind kind);
// "+12.3%", "-0.8pp", "+inf%"
std::string format_shift(const MetricInfo& metric, double shift);

}  // namespace ringside::history
