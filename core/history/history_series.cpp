#include "history_series.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>

#include "summary.h"
#include "usage_error.h"

namespace ringside::history {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The smallest edit distance between `query` and `name` or one of its dotted suffixes.
std::size_t closeness(std::string_view query, std::string_view name) {
  std::size_t best = edit_distance(query, name);
  for (std::size_t dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1))
    best = std::min(best, edit_distance(query, name.substr(dot + 1)));
  return best;
}

std::string join(const std::vector<std::string>& items, std::size_t most) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < most; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > most) out += fmt::format(", … ({} more)", items.size() - most);
  return out;
}

bool ends_at_dot(std::string_view name, std::string_view suffix) {
  return name.size() > suffix.size() && name.ends_with(suffix) && name[name.size() - suffix.size() - 1] == '.';
}

}  // namespace

const MetricInfo& resolve_metric(const std::vector<MetricInfo>& metrics, std::string_view query) {
  std::vector<const MetricInfo*> suffixed;
  for (const MetricInfo& m : metrics) {
    if (m.name == query) return m;
    if (ends_at_dot(m.name, query)) suffixed.push_back(&m);
  }
  if (suffixed.size() == 1) return *suffixed.front();
  std::vector<std::string> names;
  if (!suffixed.empty()) {
    for (const MetricInfo* m : suffixed) names.push_back(m->name);
    throw UsageError(fmt::format("metric '{}' is ambiguous: {} (give more of the name)", query, join(names, 6)));
  }
  std::vector<std::pair<std::size_t, std::string>> close;
  const std::size_t limit = std::max<std::size_t>(2, query.size() / 3);
  for (const MetricInfo& m : metrics)
    if (const std::size_t d = closeness(query, m.name); d <= limit) close.emplace_back(d, m.name);
  std::sort(close.begin(), close.end());
  for (const auto& [d, name] : close) names.push_back(name);
  if (names.empty()) {  // "e2e.p50": at least the names with the same last part
    const std::string_view last = query.substr(query.rfind('.') + 1);
    for (const MetricInfo& m : metrics)
      if (ends_at_dot(m.name, last)) names.push_back(m.name);
  }
  if (!names.empty())
    throw UsageError(fmt::format("unknown metric '{}'; close names: {}", query, join(names, 5)));
  for (const MetricInfo& m : metrics) names.push_back(m.name);
  throw UsageError(fmt::format("unknown metric '{}' ({} stored: {})", query, names.size(), join(names, 4)));
}

Parsed<std::string> parse_iso_time(std::string_view text) {
  std::string s(text);
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s.pop_back();
  for (const char* format : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = s.size() >= 10 && s[4] == '-' ? ::strptime(s.c_str(), format, &tm) : nullptr;
    if (!end || *end != '\0') continue;
    std::tm check = tm;
    const std::time_t t = ::timegm(&check);
    std::tm back{};
    ::gmtime_r(&t, &back);
    // strptime checks each field alone: 2024-02-30 or 23:59:60 would roll over
    if (back.tm_mday != tm.tm_mday || back.tm_mon != tm.tm_mon || back.tm_hour != tm.tm_hour ||
        back.tm_min != tm.tm_min || back.tm_sec != tm.tm_sec)
      break;
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", back);
  }
  return Parsed<std::string>::fail(
      fmt::format("expected a UTC date like 2024-05-01 or 2024-05-01T12:30:00Z, got '{}'", text));
}

std::string now_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", tm);
}

Parsed<Since> parse_since(std::string_view text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const auto seq = parse_count(text, 1, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
    if (!seq) return Parsed<Since>::fail(seq.error());
    return Since{.seq = static_cast<std::int64_t>(*seq), .date = ""};
  }
  const auto date = parse_iso_time(text);
  if (!date) return Parsed<Since>::fail("expected a run's seq number or " + date.error().substr(9));
  return Since{.seq = std::nullopt, .date = *date};
}

PointSummary summarize(const Point& point) {
  return {.median = median(point.values), .ci = bootstrap_median_ci95(point.values)};
}

std::vector<Change> detect_changes(const MetricInfo& metric, const std::vector<Point>& points,
                                   const DetectOptions& options) {
  std::vector<double> medians;
  medians.reserve(points.size());
  for (const Point& p : points) medians.push_back(median(p.values));
  std::vector<Change> out;
  for (const stats::ChangePoint& cp : stats::e_divisive(medians, options.change_points)) {
    Change c{.at = cp, .seq = points[cp.index].seq, .commit = points[cp.index].commit};
    const double delta = cp.mean_after - cp.mean_before;
    if (metric.scale == stats::Scale::difference)
      c.shift = delta;
    else if (cp.mean_before != 0)
      c.shift = delta / std::fabs(cp.mean_before) * 100.0;
    else
      c.shift = delta == 0 ? 0.0 : std::copysign(std::numeric_limits<double>::infinity(), delta);
    const bool worse = metric.better == gate::Better::lower ? c.shift > 0 : c.shift < 0;
    if (std::fabs(c.shift) >= options.min_shift) c.kind = worse ? Change::Kind::regression : Change::Kind::improvement;
    c.recent = cp.index + options.last >= points.size();
    out.push_back(std::move(c));
  }
  return out;
}

std::string_view to_string(Change::Kind kind) {
  switch (kind) {
    case Change::Kind::regression: return "REGRESSION";
    case Change::Kind::improvement: return "improvement";
    case Change::Kind::small: return "small";
  }
  return "?";
}

std::string format_shift(const MetricInfo& metric, double shift) {
  const char* unit = metric.scale == stats::Scale::difference ? "pp" : "%";
  if (std::isinf(shift)) return fmt::format("{}inf{}", shift > 0 ? "+" : "-", unit);
  return metric.scale == stats::Scale::difference ? fmt::format("{:+.2f}pp", shift) : fmt::format("{:+.1f}%", shift);
}

}  // namespace ringside::history
