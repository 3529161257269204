#include "history_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <span>

#include "usage_error.h"

namespace ringside::history {
namespace {

namespace fs = std::filesystem;

struct Migration {
  int version;
  const char* sql;
};

// Ordered; each runs once, in the transaction of the add that finds the older version. Never
// edit one that has shipped: add the next.
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE runs (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order: the x axis of every series
  commit_sha TEXT NOT NULL,
  branch     TEXT NOT NULL,
  added_at   TEXT NOT NULL,                      -- ISO 8601 UTC
  host_class TEXT NOT NULL,                      -- <kernel>-<cpus>cpu-<transport>
  source     TEXT NOT NULL,                      -- the results file as given
  format     TEXT NOT NULL                       -- its schema (ringside.results/v1, google-benchmark)
);
CREATE TABLE metrics (
  id     INTEGER PRIMARY KEY,
  name   TEXT NOT NULL UNIQUE,                   -- the gate's names: latency.end_to_end.p50, ...
  unit   TEXT NOT NULL,
  better TEXT NOT NULL CHECK (better IN ('lower', 'higher')),
  scale  TEXT NOT NULL CHECK (scale IN ('ratio', 'difference'))
);
CREATE TABLE samples (
  run_seq   INTEGER NOT NULL REFERENCES runs (seq),
  metric_id INTEGER NOT NULL REFERENCES metrics (id),
  rep       INTEGER NOT NULL,                    -- repetition, in the results file's order
  value     REAL NOT NULL,
  PRIMARY KEY (run_seq, metric_id, rep)
) WITHOUT ROWID;
)sql"},
    // What each run measured, so that add can warn when a series changes scenario; and the
    // per-metric index every show/detect reads through.
    {2, R"sql(
ALTER TABLE runs ADD COLUMN scenario TEXT NOT NULL DEFAULT '{}';
CREATE INDEX samples_by_metric ON samples (metric_id, run_seq);
)sql"},
};
static_assert(std::size(kMigrations) == kSchemaVersion && kMigrations[kSchemaVersion - 1].version == kSchemaVersion);

// Identity of an opened file: 0 for an empty database (a new history), else its schema version.
int schema_version(Database& db) {
  const std::int64_t version = db.scalar("PRAGMA user_version");
  const std::int64_t app = db.scalar("PRAGMA application_id");
  const std::int64_t objects = db.scalar("SELECT count(*) FROM sqlite_master");
  if (version == 0 && app == 0 && objects == 0) return 0;
  if (app != kApplicationId)
    throw UsageError(fmt::format("{}: an SQLite database, but not a ringside history (application_id {:#x})",
                                 db.path(), app));
  if (version > kSchemaVersion)
    throw UsageError(fmt::format("{}: history schema version {} is newer than this ringside's ({}); use a newer "
                                 "ringside",
                                 db.path(), version, kSchemaVersion));
  if (version < 1) throw UsageError(fmt::format("{}: a ringside history without a schema version", db.path()));
  return static_cast<int>(version);
}

// Read-only checks of an existing file, before anything opens it for writing.
int inspect(const std::string& path, int busy_timeout_ms) {
  Database db(path, Database::Mode::read_only, busy_timeout_ms);
  Statement check = db.prepare("PRAGMA quick_check(3)");
  std::string verdict;
  while (check.step()) verdict += (verdict.empty() ? "" : "; ") + check.text(0);
  if (verdict != "ok") {
    std::replace(verdict.begin(), verdict.end(), '\n', ' ');  // the error stays one line
    throw UsageError(fmt::format("{}: corrupt history database (quick_check: {})", path, verdict));
  }
  return schema_version(db);
}

std::string_view better_name(gate::Better b) { return b == gate::Better::higher ? "higher" : "lower"; }
std::string_view scale_name(stats::Scale s) { return s == stats::Scale::difference ? "difference" : "ratio"; }

std::string join(std::span<const std::string> items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Creates an empty file at `path` unless one exists (then false): of two first adds racing,
// only the one that made the file may remove it again.
bool create_exclusively(const std::string& path) {
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ::close(fd);
    return true;
  }
  if (errno == EEXIST) return false;
  throw UsageError(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
}

// Deletes the files of a database this add created, unless the add completed.
class RemoveUnlessKept {
 public:
  RemoveUnlessKept(std::string path, bool armed) : path_(std::move(path)), armed_(armed) {}
  ~RemoveUnlessKept() {
    if (!armed_) return;
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(path_ + suffix, ec);
  }
  RemoveUnlessKept(const RemoveUnlessKept&) = delete;
  RemoveUnlessKept& operator=(const RemoveUnlessKept&) = delete;
  void keep() { armed_ = false; }

 private:
  std::string path_;
  bool armed_;
};

void check_host_class(Database& db, const gate::GateInput& input, bool allow_new_host_class) {
  Statement st = db.prepare("SELECT host_class FROM runs GROUP BY host_class ORDER BY max(seq) DESC");
  std::vector<std::string> classes;
  while (st.step()) classes.push_back(st.text(0));
  if (classes.empty() || allow_new_host_class) return;
  if (std::find(classes.begin(), classes.end(), input.host_class) != classes.end()) return;
  throw UsageError(fmt::format("{}: host class {}, but {} holds {} (kernel, cpus and transport must match; "
                               "--allow-host-class to start a second series)",
                               input.path, input.host_class, db.path(), join(classes)));
}

std::string scenario_note(Database& db, const gate::GateInput& input) {
  Statement st = db.prepare("SELECT seq, scenario FROM runs WHERE host_class = ?1 ORDER BY seq DESC LIMIT 1");
  st.bind(1, input.host_class);
  if (!st.step()) return "";
  const std::string before = st.text(1), now = input.scenario.dump();
  if (before == "{}" || before == now) return "";
  return fmt::format("scenario differs from run {}: {} vs {}", st.int64(0), before, now);
}

}  // namespace

std::string db_path(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv(kDbEnv); env && *env) return env;
  return kDefaultDbName;
}

void migrate(Database& db, int target) {
  const std::int64_t current = db.scalar("PRAGMA user_version");
  for (const Migration& m : kMigrations) {
    if (m.version <= current || m.version > target) continue;
    if (m.version == 1) db.exec(fmt::format("PRAGMA application_id = {}", kApplicationId));
    db.exec(m.sql);
    db.exec(fmt::format("PRAGMA user_version = {}", m.version));
  }
}

AddResult add_run(const std::string& path, int busy_timeout_ms, const gate::GateInput& input, const RunInfo& run,
                  bool allow_new_host_class) {
  if (input.metrics.empty()) throw UsageError(fmt::format("{}: no metrics to store", input.path));
  AddResult out;
  std::error_code ec;
  if (!fs::exists(path, ec)) out.created = create_exclusively(path);
  if (!out.created) inspect(path, busy_timeout_ms);

  RemoveUnlessKept created(path, out.created);  // destroyed after the connection below
  Database db(path, Database::Mode::read_write, busy_timeout_ms);
  db.exec("PRAGMA foreign_keys = ON");
  Transaction tx(db);
  const int version = schema_version(db);  // again, under the write lock
  if (version < kSchemaVersion) {
    if (version > 0) out.migrated_from = version;
    migrate(db);
  }
  check_host_class(db, input, allow_new_host_class);
  out.scenario_note = scenario_note(db, input);

  {  // statements finalised before the commit: none may hold a read open past it
    Statement insert_run = db.prepare(
        "INSERT INTO runs (commit_sha, branch, added_at, host_class, source, format, scenario) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    insert_run.bind(1, run.commit).bind(2, run.branch).bind(3, run.date).bind(4, input.host_class);
    insert_run.bind(5, input.path).bind(6, input.format).bind(7, input.scenario.dump());
    insert_run.run();
    out.seq = sqlite3_last_insert_rowid(db.handle());

    Statement upsert = db.prepare(
        "INSERT INTO metrics (name, unit, better, scale) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE "
        "SET unit = excluded.unit, better = excluded.better, scale = excluded.scale");
    Statement metric_id = db.prepare("SELECT id FROM metrics WHERE name = ?1");
    Statement insert_sample = db.prepare("INSERT INTO samples (run_seq, metric_id, rep, value) VALUES (?1, ?2, ?3, ?4)");
    for (const gate::Metric& m : input.metrics) {
      upsert.reset();
      upsert.bind(1, m.name).bind(2, m.unit).bind(3, better_name(m.better)).bind(4, scale_name(m.scale));
      upsert.run();
      metric_id.reset();
      metric_id.bind(1, m.name);
      if (!metric_id.step()) throw UsageError(fmt::format("{}: metric {} vanished while adding", path, m.name));
      const std::int64_t id = metric_id.int64(0);
      metric_id.reset();
      for (std::size_t rep = 0; rep < m.values.size(); ++rep) {
        insert_sample.reset();
        insert_sample.bind(1, out.seq).bind(2, id).bind(3, static_cast<std::int64_t>(rep)).bind(4, m.values[rep]);
        insert_sample.run();
        ++out.samples;
      }
      ++out.metrics;
    }
  }
  tx.commit();
  created.keep();
  // Readers never block the writer (nor it them). Best effort: the data is committed either way,
  // and a database made here is in WAL from its first add on.
  sqlite3_exec(db.handle(), "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
  return out;
}

HistoryReader::HistoryReader(const std::string& path, int busy_timeout_ms) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw UsageError(fmt::format("{}: no history database here (history add RESULTS.json --commit SHA creates it)",
                                 path));
  // Readers never write, so an older schema is read as it is (every query needs only v1's
  // tables); the next add migrates it.
  if (inspect(path, busy_timeout_ms) == 0) throw UsageError(fmt::format("{}: the history is empty", path));
  db_ = std::make_unique<Database>(path, Database::Mode::read_only, busy_timeout_ms);
}

std::string HistoryReader::latest_host_class(const std::string& branch) {
  Statement st = db_->prepare("SELECT host_class FROM runs WHERE ?1 = '' OR branch = ?1 ORDER BY seq DESC LIMIT 1");
  st.bind(1, branch);
  return st.step() ? st.text(0) : "";
}

std::vector<MetricInfo> HistoryReader::metrics(const std::string& host_class) {
  Statement st = db_->prepare(
      "SELECT name, unit, better, scale FROM metrics m WHERE EXISTS (SELECT 1 FROM samples s JOIN runs r "
      "ON r.seq = s.run_seq WHERE s.metric_id = m.id AND (?1 = '' OR r.host_class = ?1)) ORDER BY name");
  st.bind(1, host_class);
  std::vector<MetricInfo> out;
  while (st.step())
    out.push_back({.name = st.text(0),
                   .unit = st.text(1),
                   .better = st.text(2) == "higher" ? gate::Better::higher : gate::Better::lower,
                   .scale = st.text(3) == "difference" ? stats::Scale::difference : stats::Scale::ratio});
  return out;
}

std::vector<Point> HistoryReader::points(const std::string& metric, const Selection& selection) {
  Statement st = db_->prepare(
      "SELECT r.seq, r.commit_sha, r.branch, r.added_at, r.host_class, s.value "
      "FROM samples s JOIN metrics m ON m.id = s.metric_id JOIN runs r ON r.seq = s.run_seq "
      "WHERE m.name = ?1 AND (?2 = '' OR r.host_class = ?2) AND (?3 = '' OR r.branch = ?3) "
      "AND r.seq >= ?4 AND r.added_at >= ?5 ORDER BY r.seq, s.rep");
  st.bind(1, metric).bind(2, selection.host_class).bind(3, selection.branch);
  st.bind(4, selection.since_seq.value_or(0)).bind(5, selection.since_date);
  std::vector<Point> out;
  while (st.step()) {
    const std::int64_t seq = st.int64(0);
    if (out.empty() || out.back().seq != seq)
      out.push_back({.seq = seq, .commit = st.text(1), .branch = st.text(2), .date = st.text(3),
                     .host_class = st.text(4), .values = {}});
    out.back().values.push_back(st.real(5));
  }
  return out;
}

}  // namespace ringside::history
