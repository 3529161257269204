// `ringside history`: the E-divisive change points (steps found where they are, flat noise
// rarely flagged, the same answer every time, the statistic against its definition), metric
// names and dates, and the command end to end on the built binary — add/show/detect/export,
// a schema migration, and every refusal (locked, corrupt, foreign, not results, another host
// class) as one line, exit 2, the database byte for byte as it was.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "change_points.h"
#include "history_series.h"
#include "history_store.h"
#include "sqlite_db.h"
#include "test_support.h"
#include "usage_error.h"

namespace ringside {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using stats::e_divisive;

std::vector<double> noisy(std::vector<std::pair<std::size_t, double>> levels, double sigma, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, sigma);
  std::vector<double> out;
  for (const auto& [count, level] : levels)
    for (std::size_t i = 0; i < count; ++i) out.push_back(level + noise(rng));
  return out;
}

// --- the detector ---------------------------------------------------------------------------

TEST(EDivisive, FindsAStepWhereItStarts) {
  const auto series = noisy({{15, 100.0}, {15, 110.0}}, 1.0, 7);
  const auto cps = e_divisive(series);
  ASSERT_EQ(cps.size(), 1u);
  EXPECT_EQ(cps[0].index, 15u);
  EXPECT_LT(cps[0].p_value, 0.05);
  EXPECT_NEAR(cps[0].mean_before, 100.0, 1.0);
  EXPECT_NEAR(cps[0].mean_after, 110.0, 1.0);
}

TEST(EDivisive, FindsTwoStepsAndALateOne) {
  const auto two = e_divisive(noisy({{12, 100.0}, {12, 120.0}, {12, 100.0}}, 2.0, 3));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].index, 12u);
  EXPECT_EQ(two[1].index, 24u);
  // A shift three points from the end: the fewest the default min segment can see.
  const auto late = e_divisive(noisy({{20, 50.0}, {3, 60.0}}, 0.5, 5));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].index, 20u);
}

TEST(EDivisive, FlatNoiseIsRarelyFlagged) {
  // alpha 0.05: about 1 flat series in 20 has a change point (binary segmentation tests a
  // segment further only after a hit); 3.7 % over 1000 seeds when this was written.
  int flagged = 0, heavy = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    auto s = noisy({{30, 100.0}}, 2.0, seed);
    if (!e_divisive(s).empty()) ++flagged;
    for (std::size_t i = seed % 10; i < s.size(); i += 10) s[i] *= 1.5;  // heavy tails are not steps
    if (!e_divisive(s).empty()) ++heavy;
  }
  EXPECT_LE(flagged, 16) << flagged << " of 200 flat series had a change point";
  EXPECT_LE(heavy, 16) << heavy << " of 200 heavy-tailed flat series had a change point";
}

TEST(EDivisive, IsDeterministic) {
  const auto series = noisy({{10, 5.0}, {10, 5.4}, {10, 5.1}}, 0.2, 11);
  const auto a = e_divisive(series), b = e_divisive(series);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].index, b[i].index);
    EXPECT_EQ(a[i].p_value, b[i].p_value);
    EXPECT_EQ(a[i].statistic, b[i].statistic);
    const double permutations = a[i].p_value * 200;  // (1 + k) / 200
    EXPECT_DOUBLE_EQ(permutations, std::round(permutations));
  }
}

TEST(EDivisive, ConstantOrShortSeriesHaveNone) {
  EXPECT_TRUE(e_divisive(std::vector<double>(20, 3.0)).empty());
  EXPECT_TRUE(e_divisive(std::vector<double>{1, 1, 9, 9, 9}).empty());  // < 2 × min segment
}

TEST(EDivisive, StatisticMatchesItsDefinition) {
  const auto x = noisy({{9, 1.0}, {8, 3.0}}, 1.0, 2);
  const auto q = stats::energy_split_statistics(x, 3);
  const std::size_t n = x.size();
  for (std::size_t tau = 3; tau + 3 <= n; ++tau) {
    double between = 0, left = 0, right = 0;
    for (std::size_t i = 0; i < tau; ++i)
      for (std::size_t j = tau; j < n; ++j) between += std::fabs(x[i] - x[j]);
    for (std::size_t i = 0; i < tau; ++i)
      for (std::size_t k = i + 1; k < tau; ++k) left += std::fabs(x[i] - x[k]);
    for (std::size_t i = tau; i < n; ++i)
      for (std::size_t k = i + 1; k < n; ++k) right += std::fabs(x[i] - x[k]);
    const double m = static_cast<double>(tau), k = static_cast<double>(n - tau);
    const double expected =
        m * k / (m + k) * (2 * between / (m * k) - left / (m * (m - 1) / 2) - right / (k * (k - 1) / 2));
    EXPECT_NEAR(q[tau], expected, 1e-9 * std::fabs(expected) + 1e-12) << "tau " << tau;
  }
}

// --- names and dates ------------------------------------------------------------------------

TEST(HistorySeries, MetricNamesResolveBySuffix) {
  std::vector<history::MetricInfo> metrics;
  for (const char* name : {"latency.end_to_end.p50", "latency.end_to_end.p99", "latency.handle.p50", "cpu.ns_per_event"})
    metrics.push_back({.name = name, .unit = "ns"});
  EXPECT_EQ(history::resolve_metric(metrics, "latency.end_to_end.p50").name, "latency.end_to_end.p50");
  EXPECT_EQ(history::resolve_metric(metrics, "end_to_end.p50").name, "latency.end_to_end.p50");
  EXPECT_EQ(history::resolve_metric(metrics, "ns_per_event").name, "cpu.ns_per_event");
  try {
    history::resolve_metric(metrics, "p50");
    FAIL() << "p50 is ambiguous";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("ambiguous"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("latency.handle.p50"), std::string::npos) << e.what();
  }
  try {
    history::resolve_metric(metrics, "end_to_end.p05");
    FAIL() << "no such metric";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("close names: latency.end_to_end.p50"), std::string::npos) << e.what();
  }
  EXPECT_THROW(history::resolve_metric(metrics, "d_to_end.p50"), UsageError);  // a suffix ends at a dot
}

TEST(HistorySeries, DatesAndSince) {
  EXPECT_EQ(*history::parse_iso_time("2024-05-01"), "2024-05-01T00:00:00Z");
  EXPECT_EQ(*history::parse_iso_time("2024-05-01T12:30"), "2024-05-01T12:30:00Z");
  EXPECT_EQ(*history::parse_iso_time("2024-05-01 12:30:05Z"), "2024-05-01T12:30:05Z");
  EXPECT_FALSE(history::parse_iso_time("2024-02-30"));
  EXPECT_FALSE(history::parse_iso_time("yesterday"));
  EXPECT_FALSE(history::parse_iso_time("2024-05-01+02:00"));
  EXPECT_EQ(history::parse_since("42")->seq, 42);
  EXPECT_EQ(history::parse_since("2024-05-01")->date, "2024-05-01T00:00:00Z");
  EXPECT_FALSE(history::parse_since("0"));
  EXPECT_NE(history::parse_since("soon").error().find("seq number"), std::string::npos);
}

// --- the command ----------------------------------------------------------------------------

json real_results() {
  std::ifstream in(std::string(RINGSIDE_SOURCE_DIR) + "/tests/python/fixtures/run_full.json");
  return json::parse(in);
}

// A real results.json with its end-to-end latency scaled by `scale` and 2 % noise per repetition
// (a regression series is a run of these with the scale stepping up).
json results_scaled(double scale, std::uint64_t seed, const std::string& kernel = "") {
  static const json base = real_results();
  json doc = base;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(1.0, 0.02);
  for (json& run : doc["runs"]) {
    if (run.value("phase", "") != "traced") continue;
    const double f = scale * noise(rng);
    for (auto& [pct, v] : run["latency_ns"]["end_to_end"].items())
      if (pct != "count") v = v.get<double>() * f;
  }
  if (!kernel.empty()) doc["host"]["kernel"] = kernel;
  return doc;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class HistoryCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(test::temp_dir(std::string("history-") +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    db_ = (dir_ / "h.sqlite").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string write(const std::string& name, const json& doc) { return write(name, doc.dump()); }

  int ringside(std::vector<std::string> args) {
    args.insert(args.begin(), test::bin("ringside"));
    int code = -1;
    test::Proc p = test::run(args, &code);
    out_ = p.out();
    err_ = p.err();
    return code;
  }
  int add(const json& results, const std::string& commit, std::vector<std::string> extra = {}) {
    const std::string file = write(fmt::format("r-{}.json", ++files_), results);
    std::vector<std::string> args = {"history", "add", file, "--commit", commit, "--db", db_};
    args.insert(args.end(), extra.begin(), extra.end());
    return ringside(args);
  }
  // 12 steady runs then 4 with end-to-end latency 30 % up: the regression starts at c13.
  void add_regression_series() {
    for (int i = 1; i <= 16; ++i)
      ASSERT_EQ(add(results_scaled(i <= 12 ? 1.0 : 1.3, 100 + i), fmt::format("c{:02}", i), {"--branch", "main"}),
                0)
          << err_;
  }
  static void expect_refused(const std::vector<std::string>& args, const std::string& needle) {
    test::expect_usage_error(args, needle);
  }

  fs::path dir_;
  std::string db_;
  std::string out_, err_;
  int files_ = 0;
};

TEST_F(HistoryCommand, DetectFindsTheCommitWhereARegressionStarts) {
  add_regression_series();
  EXPECT_EQ(ringside({"history", "detect", "--metric", "end_to_end.p50", "--db", db_}), 1) << out_ << err_;
  EXPECT_NE(out_.find("regression of latency.end_to_end.p50 +"), std::string::npos) << out_;
  EXPECT_NE(out_.find("starting at commit c13 (seq 13)"), std::string::npos) << out_;
  // Outside the last K points it is history, not a failure.
  EXPECT_EQ(ringside({"history", "detect", "--metric", "end_to_end.p50", "--db", db_, "--last", "3"}), 0) << out_;
  EXPECT_NE(out_.find("REGRESSION"), std::string::npos) << out_;
  // Below --min-shift it is a small change, never a regression.
  EXPECT_EQ(ringside({"history", "detect", "--metric", "end_to_end.p50", "--db", db_, "--min-shift", "50"}), 0);
  EXPECT_NE(out_.find("small"), std::string::npos) << out_;
  // A metric that did not move has no change point.
  EXPECT_EQ(ringside({"history", "detect", "--metric", "cpu.ns_per_event", "--db", db_}), 0) << out_ << err_;
  EXPECT_NE(out_.find("no change points"), std::string::npos) << out_;
  // A window that still holds the step still finds it.
  EXPECT_EQ(ringside({"history", "detect", "--metric", "end_to_end.p50", "--db", db_, "--since", "8"}), 1) << out_;
  EXPECT_NE(out_.find("starting at commit c13"), std::string::npos) << out_;
}

TEST_F(HistoryCommand, AFlatSeriesPasses) {
  for (int i = 1; i <= 12; ++i) ASSERT_EQ(add(results_scaled(1.0, 200 + i), fmt::format("f{}", i)), 0) << err_;
  EXPECT_EQ(ringside({"history", "detect", "--metric", "end_to_end.p50", "--db", db_}), 0) << out_ << err_;
  EXPECT_EQ(out_.find("REGRESSION"), std::string::npos) << out_;
}

TEST_F(HistoryCommand, ShowPrintsTheTableAndPlots) {
  add_regression_series();
  const std::string png = (dir_ / "trend.png").string();
  ASSERT_EQ(ringside({"history", "show", "--metric", "end_to_end.p50", "--db", db_, "--png", png}), 0) << err_;
  EXPECT_NE(out_.find("latency.end_to_end.p50 (ns, lower is better)"), std::string::npos) << out_;
  EXPECT_NE(out_.find("c13"), std::string::npos) << out_;
  EXPECT_NE(out_.find("REGRESSION"), std::string::npos) << "the change is marked where it starts: " << out_;
  EXPECT_NE(out_.find("main"), std::string::npos);
  if (std::system("/usr/bin/python3 -c 'import matplotlib' 2>/dev/null") == 0) {
    EXPECT_EQ(slurp(png).substr(1, 3), "PNG") << err_;
    EXPECT_NE(out_.find("trend plot " + png), std::string::npos) << out_;
  } else {
    EXPECT_NE(err_.find("trend plot skipped"), std::string::npos) << err_;
  }
  // --since narrows by seq or date; a future date selects nothing (one line, exit 2).
  ASSERT_EQ(ringside({"history", "show", "--metric", "end_to_end.p50", "--db", db_, "--since", "14", "--no-plot"}), 0);
  EXPECT_EQ(out_.find(" c13 "), std::string::npos) << out_;
  EXPECT_NE(out_.find("3 points"), std::string::npos) << out_;
  ASSERT_EQ(ringside({"history", "show", "--metric", "end_to_end.p50", "--db", db_, "--since", "2000-01-01",
                      "--no-plot"}),
            0);
  EXPECT_NE(out_.find("16 points"), std::string::npos) << out_;
  expect_refused({"history", "show", "--metric", "end_to_end.p50", "--db", db_, "--since", "2999-01-01"},
                 "no points of latency.end_to_end.p50");
}

TEST_F(HistoryCommand, ExportWritesEveryRepetition) {
  ASSERT_EQ(add(results_scaled(1.0, 1), "e1", {"--branch", "a,b"}), 0) << err_;
  ASSERT_EQ(add(results_scaled(1.0, 2), "e2"), 0) << err_;
  const std::string csv = (dir_ / "out.csv").string();
  ASSERT_EQ(ringside({"history", "export", "--csv", csv, "--db", db_, "--metric", "end_to_end.p50"}), 0) << err_;
  std::istringstream lines(slurp(csv));
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "seq,commit,branch,date,host_class,metric,unit,rep,value");
  int rows = 0;
  while (std::getline(lines, line)) {
    ++rows;
    EXPECT_NE(line.find("6.18.44-2cpu-ringbuf,latency.end_to_end.p50,ns,"), std::string::npos) << line;
  }
  EXPECT_EQ(rows, 10);  // 2 runs × 5 traced repetitions
  EXPECT_NE(slurp(csv).find("1,e1,\"a,b\","), std::string::npos) << "quoted branch";
  // Every metric to stdout.
  ASSERT_EQ(ringside({"history", "export", "--csv", "--db", db_}), 0) << err_;
  EXPECT_NE(out_.find(",cpu.ns_per_event,ns,"), std::string::npos);
  EXPECT_NE(out_.find(",drops.kernel_reserve,fraction,"), std::string::npos);
}

TEST_F(HistoryCommand, MigratesAnOlderSchema) {
  {
    history::Database db(db_, history::Database::Mode::create, 1000);
    history::migrate(db, 1);
    db.exec("INSERT INTO runs (commit_sha, branch, added_at, host_class, source, format) VALUES "
            "('old1', 'main', '2024-01-01T00:00:00Z', '6.18.44-2cpu-ringbuf', 'old.json', 'ringside.results/v1');"
            "INSERT INTO metrics (name, unit, better, scale) VALUES ('latency.end_to_end.p50', 'ns', 'lower', 'ratio');"
            "INSERT INTO samples VALUES (1, 1, 0, 50000), (1, 1, 1, 51000), (1, 1, 2, 52000);");
    ASSERT_EQ(db.scalar("PRAGMA user_version"), 1);
  }
  // Readers read it as it is, and do not migrate it.
  ASSERT_EQ(ringside({"history", "show", "--metric", "end_to_end.p50", "--db", db_, "--no-plot"}), 0) << err_;
  EXPECT_NE(out_.find("old1"), std::string::npos) << out_;
  ASSERT_EQ(add(results_scaled(1.0, 1), "new1"), 0) << err_;
  EXPECT_NE(out_.find("migrated " + db_ + " from schema 1 to 2"), std::string::npos) << out_;
  EXPECT_NE(out_.find("run 2 "), std::string::npos) << out_;
  {
    history::Database db(db_, history::Database::Mode::read_only, 1000);
    EXPECT_EQ(db.scalar("PRAGMA user_version"), history::kSchemaVersion);
    EXPECT_EQ(db.scalar("SELECT count(*) FROM runs"), 2);
    EXPECT_EQ(db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'samples_by_metric'"), 1);
    EXPECT_EQ(db.scalar("SELECT count(*) FROM runs WHERE scenario = '{}'"), 1) << "the old run keeps the default";
    history::Statement mode = db.prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.text(0), "wal");
  }
  ASSERT_EQ(ringside({"history", "show", "--metric", "end_to_end.p50", "--db", db_, "--no-plot"}), 0) << err_;
  EXPECT_NE(out_.find("2 points"), std::string::npos) << out_;
  // A schema from the future is refused, untouched.
  {
    history::Database db(db_, history::Database::Mode::read_write, 1000);
    db.exec("PRAGMA user_version = 99");
  }
  const std::string before = slurp(db_);
  expect_refused({"history", "add", write("n.json", results_scaled(1.0, 3)), "--commit", "x", "--db", db_},
                 "schema version 99 is newer");
  EXPECT_TRUE(slurp(db_) == before) << "the database changed";
}

TEST_F(HistoryCommand, ALockedDatabaseIsRefusedUntouched) {
  ASSERT_EQ(add(results_scaled(1.0, 1), "l1"), 0) << err_;
  const std::string before = slurp(db_);
  const std::string next = write("n.json", results_scaled(1.0, 2));
  {
    // Another writer, mid-transaction. (Nothing here may open and close the database file
    // while it holds the lock: closing any fd drops a process's POSIX locks on the file.)
    history::Database holder(db_, history::Database::Mode::read_write, 0);
    history::Transaction tx(holder);
    holder.exec("INSERT INTO runs (commit_sha, branch, added_at, host_class, source, format) VALUES "
                "('other', '', '2024-01-01T00:00:00Z', 'x', 'x', 'x')");
    expect_refused({"history", "add", next, "--commit", "l2", "--db", db_, "--busy-timeout-ms", "100"},
                   "database is locked (another ringside history?)");
    // WAL: readers are not blocked by the writer, and see only committed runs.
    ASSERT_EQ(ringside({"history", "show", "--metric", "end_to_end.p50", "--db", db_, "--no-plot"}), 0) << err_;
    EXPECT_NE(out_.find("1 point\n"), std::string::npos) << out_;
  }
  EXPECT_TRUE(slurp(db_) == before) << "the database changed";
  ASSERT_EQ(add(results_scaled(1.0, 2), "l2"), 0) << "unlocked, the same add goes in: " << err_;
}

TEST_F(HistoryCommand, CorruptOrForeignFilesAreRefusedUntouched) {
  std::string garbage;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 8192; ++i) garbage += static_cast<char>(rng() & 0xff);
  const std::string results = write("r.json", results_scaled(1.0, 1));
  for (const std::string& text : {garbage, std::string("SQLite format 3\0", 16) + garbage}) {
    write("h.sqlite", text);
    expect_refused({"history", "add", results, "--commit", "c", "--db", db_}, "h.sqlite");
    expect_refused({"history", "detect", "--metric", "end_to_end.p50", "--db", db_}, "h.sqlite");
    EXPECT_TRUE(slurp(db_) == text) << "the database changed";
    for (const char* side : {"-wal", "-shm", "-journal"}) EXPECT_FALSE(fs::exists(db_ + side)) << side;
  }
  // A real history with a page scribbled over.
  fs::remove(db_);
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(add(results_scaled(1.0, i), fmt::format("k{}", i)), 0) << err_;
  {
    std::fstream f(db_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);  // page 2's b-tree header: an invalid page type
    const std::string junk(200, '\xa5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  const std::string scribbled = slurp(db_);
  expect_refused({"history", "add", results, "--commit", "c", "--db", db_}, "h.sqlite");
  EXPECT_TRUE(slurp(db_) == scribbled) << "the database changed";
  // Somebody else's SQLite database.
  fs::remove(db_);
  {
    history::Database other(db_, history::Database::Mode::create, 0);
    other.exec("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine')");
  }
  const std::string foreign = slurp(db_);
  expect_refused({"history", "add", results, "--commit", "c", "--db", db_}, "not a ringside history");
  EXPECT_TRUE(slurp(db_) == foreign) << "the database changed";
}

TEST_F(HistoryCommand, BadInputIsOneLineAndStoresNothing) {
  expect_refused({"history", "add", write("x.json", json{{"hello", "world"}}), "--commit", "c", "--db", db_},
                 "neither ringside results");
  expect_refused({"history", "add", write("t.json", std::string("not json")), "--commit", "c", "--db", db_},
                 "not valid json");
  expect_refused({"history", "add", (dir_ / "missing.json").string(), "--commit", "c", "--db", db_}, "cannot open");
  expect_refused({"history", "add", write("r.json", results_scaled(1.0, 1)), "--commit", "a b", "--db", db_},
                 "--commit");
  EXPECT_FALSE(fs::exists(db_)) << "nothing stored, nothing created";
  expect_refused({"history", "detect", "--metric", "end_to_end.p50", "--db", db_}, "no history database here");

  json two_stages = results_scaled(1.0, 1);
  for (json& run : two_stages["runs"])
    if (run.contains("latency_ns")) run["latency_ns"]["handle"] = run["latency_ns"]["end_to_end"];
  ASSERT_EQ(add(two_stages, "b1"), 0) << err_;
  expect_refused({"history", "detect", "--metric", "p50", "--db", db_}, "ambiguous");
  expect_refused({"history", "detect", "--metric", "end_to_end.p05", "--db", db_}, "close names");
  expect_refused({"history", "show", "--metric", "end_to_end.p50", "--db", db_, "--since", "soon"}, "--since");
  expect_refused({"history", "detect", "--metric", "end_to_end.p50", "--db", db_, "--last", "0"}, "--last");
}

TEST_F(HistoryCommand, AnotherHostClassNeedsTheFlag) {
  ASSERT_EQ(add(results_scaled(1.0, 1), "h1"), 0) << err_;
  ASSERT_EQ(add(results_scaled(1.0, 2), "h2"), 0) << err_;
  const std::string other = write("o.json", results_scaled(1.0, 3, "6.8.0-other"));
  const std::string before = slurp(db_);
  expect_refused({"history", "add", other, "--commit", "h3", "--db", db_}, "--allow-host-class");
  EXPECT_TRUE(slurp(db_) == before) << "the database changed";
  ASSERT_EQ(ringside({"history", "add", other, "--commit", "h3", "--db", db_, "--allow-host-class"}), 0) << err_;
  // show and detect read the most recent run's host class unless told otherwise
  ASSERT_EQ(ringside({"history", "show", "--metric", "end_to_end.p50", "--db", db_, "--no-plot"}), 0) << err_;
  EXPECT_NE(out_.find("host class 6.8.0-other-2cpu-ringbuf, 1 point\n"), std::string::npos) << out_;
  ASSERT_EQ(ringside({"history", "show", "--metric", "end_to_end.p50", "--db", db_, "--no-plot", "--host-class",
                      "6.18.44-2cpu-ringbuf"}),
            0);
  EXPECT_NE(out_.find("2 points"), std::string::npos) << out_;
  EXPECT_EQ(ringside({"history", "detect", "--metric", "end_to_end.p50", "--db", db_}), 0);
  EXPECT_NE(out_.find("too few points"), std::string::npos) << out_;
}

TEST_F(HistoryCommand, TheDatabaseComesFromTheEnvironment) {
  ::setenv(history::kDbEnv, db_.c_str(), 1);
  const int code = ringside({"history", "add", write("r.json", results_scaled(1.0, 1)), "--commit", "env1"});
  ::unsetenv(history::kDbEnv);
  ASSERT_EQ(code, 0) << err_;
  EXPECT_NE(out_.find("created " + db_), std::string::npos) << out_;
  EXPECT_TRUE(fs::exists(db_));
}

}  // namespace
}  // namespace ringside
