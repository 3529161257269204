// `ringside history`: results over commits in SQLite, and where they changed.
//   add RESULTS.json --commit SHA   stores a run and every gated metric per repetition
//   show --metric NAME              the points table and a trend PNG
//   detect --metric NAME            change points (E-divisive means); exit 1 on a recent regression
//   export [--csv FILE|-]           one CSV row per point and repetition
// Exit codes: 0 ok, 1 (detect) a regression starts within the last --last points, 2 bad input:
// not a results file, another host class, a locked, corrupt or foreign database — one line, and
// the database as it was.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cli.h"
#include "history_report.h"
#include "history_store.h"
#include "results_reader.h"
#include "values.h"

namespace ringside {
namespace {

namespace fs = std::filesystem;
using namespace history;

struct HistoryFlags {
  std::string db;
  int busy_timeout_ms = kDefaultBusyTimeoutMs;
  // add
  std::string results;
  std::string commit;
  std::string branch;
  std::string date;
  bool allow_host_class = false;
  // show, detect, export
  std::string metric;
  std::string host_class;
  Since since;
  std::string png;
  bool no_plot = false;
  DetectOptions detect;
  std::string csv = "-";

  CLI::App* add = nullptr;
  CLI::App* show = nullptr;
  CLI::App* detect_app = nullptr;
  CLI::App* export_app = nullptr;
};

void check_commit(const std::string& commit) {
  const bool printable = std::all_of(commit.begin(), commit.end(),
                                     [](unsigned char c) { return std::isgraph(c) != 0; });
  if (commit.empty() || commit.size() > 256 || !printable)
    throw UsageError(fmt::format("--commit: expected a commit id (1..256 characters, no spaces), got '{}'", commit));
}

Selection selection(const HistoryFlags& f, std::string host_class) {
  return {.host_class = std::move(host_class), .branch = f.branch, .since_seq = f.since.seq,
          .since_date = f.since.date};
}

// "--since 2024-05-01 on branch main": what narrowed an empty answer.
std::string narrowed(const HistoryFlags& f) {
  std::string out;
  if (f.since.seq) out += fmt::format(" since run {}", *f.since.seq);
  if (!f.since.date.empty()) out += fmt::format(" since {}", f.since.date);
  if (!f.branch.empty()) out += fmt::format(" on branch {}", f.branch);
  return out;
}

SeriesView load_series(HistoryReader& reader, const HistoryFlags& f) {
  const std::string host = f.host_class.empty() ? reader.latest_host_class(f.branch) : f.host_class;
  if (host.empty()) throw UsageError(fmt::format("{}: no runs{}", reader.path(), narrowed(f)));
  const std::vector<MetricInfo> metrics = reader.metrics(host);
  if (metrics.empty()) throw UsageError(fmt::format("{}: no runs of host class {}", reader.path(), host));
  const MetricInfo& metric = resolve_metric(metrics, f.metric);
  std::vector<Point> points = reader.points(metric.name, selection(f, host));
  if (points.empty())
    throw UsageError(fmt::format("{}: no points of {} on host class {}{}", reader.path(), metric.name, host,
                                 narrowed(f)));
  return make_view(metric, host, std::move(points), f.detect);
}

std::string default_png(const std::string& db, const std::string& metric) {
  std::string name = "history-" + metric + ".png";
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  return (fs::path(db).parent_path() / name).string();
}

int run_add(const HistoryFlags& f) {
  check_commit(f.commit);
  const std::string db = db_path(f.db);
  const gate::GateInput input = gate::load_gate_input(f.results);
  const RunInfo run{.commit = f.commit, .branch = f.branch,
                    .date = f.date.empty() ? now_iso() : parse_iso_time(f.date).value_or_throw("--date")};
  const AddResult r = add_run(db, f.busy_timeout_ms, input, run, f.allow_host_class);
  if (r.created) fmt::print("history: created {} (schema {})\n", db, kSchemaVersion);
  if (r.migrated_from > 0) fmt::print("history: migrated {} from schema {} to {}\n", db, r.migrated_from, kSchemaVersion);
  if (!r.scenario_note.empty()) fmt::print(stderr, "ringside: warning: {}\n", r.scenario_note);
  fmt::print("history: run {} (commit {}{}, host class {}): {} metrics, {} values -> {}\n", r.seq, f.commit,
             f.branch.empty() ? "" : ", branch " + f.branch, input.host_class, r.metrics, r.samples, db);
  return kExitOk;
}

int run_show(const HistoryFlags& f) {
  HistoryReader reader(db_path(f.db), f.busy_timeout_ms);
  const SeriesView view = load_series(reader, f);
  std::fputs(render_points_table(view).c_str(), stdout);
  std::fflush(stdout);  // the plot script writes to the same stdout
  if (f.no_plot) return kExitOk;
  const std::string png = f.png.empty() ? default_png(reader.path(), view.metric.name) : f.png;
  const std::string why = write_trend_png(view, png);
  if (why.empty())
    fmt::print("history: trend plot {}\n", png);
  else
    fmt::print(stderr, "ringside: trend plot skipped: {}; the table is above\n", why);
  return kExitOk;
}

int run_detect(const HistoryFlags& f) {
  HistoryReader reader(db_path(f.db), f.busy_timeout_ms);
  const SeriesView view = load_series(reader, f);
  std::fputs(render_changes(view, f.detect).c_str(), stdout);
  return failing_regression(view) ? kExitFailed : kExitOk;
}

int run_export(const HistoryFlags& f) {
  HistoryReader reader(db_path(f.db), f.busy_timeout_ms);
  std::vector<MetricInfo> metrics = reader.metrics(f.host_class);
  if (!f.metric.empty()) metrics = {resolve_metric(metrics, f.metric)};
  std::string out = csv_header();
  std::size_t rows = 0;
  for (const MetricInfo& m : metrics) {
    const std::vector<Point> points = reader.points(m.name, selection(f, f.host_class));
    for (const Point& p : points) rows += p.values.size();
    append_csv(out, m, points);
  }
  if (f.csv.empty() || f.csv == "-") {  // `--csv` without a file: stdout
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }
  std::ofstream file(f.csv, std::ios::binary | std::ios::trunc);
  file << out;
  if (!file.flush()) throw UsageError(fmt::format("cannot write {}", f.csv));
  fmt::print("history: {} rows ({} metrics) -> {}\n", rows, metrics.size(), f.csv);
  return kExitOk;
}

void add_db_flags(CLI::App* app, const std::shared_ptr<HistoryFlags>& flags) {
  app->add_option("--db", flags->db,
                  fmt::format("history database (default: ${}, else ./{})", kDbEnv, kDefaultDbName));
  app->add_option_function<std::string>(
      "--busy-timeout-ms",
      [flags](const std::string& t) {
        flags->busy_timeout_ms = static_cast<int>(parse_count(t, 0, 600000).value_or_throw("--busy-timeout-ms"));
      },
      fmt::format("how long to wait for another writer's lock (default {})", kDefaultBusyTimeoutMs));
}

void add_selection_flags(CLI::App* app, const std::shared_ptr<HistoryFlags>& flags, bool metric_required) {
  auto* metric = app->add_option("--metric", flags->metric,
                                 "metric: the gate's name or a unique ending of it (end_to_end.p50 for "
                                 "latency.end_to_end.p50)");
  if (metric_required) metric->required();
  app->add_option("--host-class", flags->host_class,
                  metric_required ? "host class to read (default: the most recent run's)"
                                  : "host class to read (default: every one)");
  app->add_option("--branch", flags->branch, "only runs added with this --branch");
  app->add_option_function<std::string>(
      "--since", [flags](const std::string& t) { flags->since = parse_since(t).value_or_throw("--since"); },
      "only runs from this seq number on, or added on or after this UTC date (2024-05-01[T12:00:00Z])");
}

void add_detect_flags(CLI::App* app, const std::shared_ptr<HistoryFlags>& flags) {
  app->add_option_function<std::string>(
      "--last",
      [flags](const std::string& t) {
        flags->detect.last = static_cast<std::size_t>(parse_count(t, 1, 1000000).value_or_throw("--last"));
      },
      "fail (exit 1) when a regression starts within the last K points (default 5)");
  app->add_option_function<std::string>(
      "--min-shift",
      [flags](const std::string& t) { flags->detect.min_shift = parse_number(t, 0, 1e6).value_or_throw("--min-shift"); },
      "smallest shift that is a regression or improvement, in % (pp for slowdown_pct; default 2); smaller "
      "change points are listed as small");
  app->add_option_function<std::string>(
      "--alpha",
      [flags](const std::string& t) {
        flags->detect.change_points.alpha = parse_number(t, 1e-9, 0.5).value_or_throw("--alpha");
      },
      "permutation-test significance level of a change point (default 0.05)");
  app->add_option_function<std::string>(
      "--min-segment",
      [flags](const std::string& t) {
        flags->detect.change_points.min_segment =
            static_cast<std::size_t>(parse_count(t, 2, 10000).value_or_throw("--min-segment"));
      },
      "fewest points on each side of a change point (default 3): a new level is seen after this many runs");
}

}  // namespace

Subcommand register_history(CLI::App& root) {
  auto flags = std::make_shared<HistoryFlags>();
  CLI::App* app = root.add_subcommand("history", "store results per commit and find where a metric changed");
  app->require_subcommand(1);

  flags->add = app->add_subcommand("add", "store a results file as the next run of the history");
  flags->add->add_option("results", flags->results, "results.json (or Google Benchmark JSON)")->required();
  flags->add->add_option("--commit", flags->commit, "the commit measured")->required();
  flags->add->add_option("--branch", flags->branch, "its branch");
  flags->add->add_option("--date", flags->date, "when it ran, UTC (default: now)");
  flags->add->add_flag("--allow-host-class", flags->allow_host_class,
                       "store a host class (kernel, cpus, transport) the database has no run of yet");
  add_db_flags(flags->add, flags);

  flags->show = app->add_subcommand("show", "print a metric's points and write its trend PNG");
  add_selection_flags(flags->show, flags, true);
  flags->show->add_option("--png", flags->png,
                          "trend plot file (default: history-<metric>.png beside the database)");
  flags->show->add_flag("--no-plot", flags->no_plot, "print the table only");
  add_db_flags(flags->show, flags);

  flags->detect_app = app->add_subcommand("detect", "find change points in a metric's history (E-divisive means)");
  add_selection_flags(flags->detect_app, flags, true);
  add_detect_flags(flags->detect_app, flags);
  add_db_flags(flags->detect_app, flags);

  flags->export_app = app->add_subcommand("export", "write the history as CSV, one row per point and repetition");
  add_selection_flags(flags->export_app, flags, false);
  flags->export_app->add_option("--csv", flags->csv, "output file, - for stdout (the default)")
      ->expected(0, 1)
      ->default_str("-");
  add_db_flags(flags->export_app, flags);

  return {app, [flags] {
            if (flags->add->parsed()) return run_add(*flags);
            if (flags->show->parsed()) return run_show(*flags);
            if (flags->detect_app->parsed()) return run_detect(*flags);
            return run_export(*flags);
          }};
}

}  // namespace ringside
