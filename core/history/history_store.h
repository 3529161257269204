// The history database: runs (commit, branch, date, host class) and every metric the gate reads
// from a results file, one value per repetition, in SQLite (WAL, a busy timeout, a schema
// versioned by PRAGMA user_version with ordered migrations).
//
// A file is checked read-only first (quick_check, application id, schema version) so that a
// corrupt or foreign file is refused without a byte of it changing; `add` is one IMMEDIATE
// transaction (migration included), so a refused or failed add leaves the database as it was.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "results_reader.h"
#include "sqlite_db.h"

namespace ringside::history {

inline constexpr int kSchemaVersion = 2;
inline constexpr std::int32_t kApplicationId = 0x52534849;  // "RSHI": a ringside history file
inline constexpr const char* kDefaultDbName = "ringside-history.sqlite";
inline constexpr const char* kDbEnv = "RINGSIDE_HISTORY_DB";
inline constexpr int kDefaultBusyTimeoutMs = 5000;

// --db when given, else $RINGSIDE_HISTORY_DB, else ./ringside-history.sqlite.
std::string db_path(const std::string& flag);

// Brings the schema from its current user_version up to `target`, in the caller's transaction.
void migrate(Database& db, int target = kSchemaVersion);

struct RunInfo {
  std::string commit;
  std::string branch;
  std::string date;  // ISO 8601 UTC, "2024-05-01T12:00:00Z"
};

struct AddResult {
  std::int64_t seq = 0;  // the new run's
  std::size_t metrics = 0;
  std::size_t samples = 0;
  bool created = false;       // the database file was new
  int migrated_from = -1;     // the schema version it had when a migration ran, else -1
  std::string scenario_note;  // non-empty: the scenario differs from the previous run of its host class
};

struct MetricInfo {
  std::string name;
  std::string unit;
  gate::Better better = gate::Better::lower;
  stats::Scale scale = stats::Scale::ratio;
};

// One run's values of one metric.
struct Point {
  std::int64_t seq = 0;
  std::string commit, branch, date, host_class;
  std::vector<double> values;  // one per repetition
};

// Which runs a query reads; empty fields select everything.
struct Selection {
  std::string host_class;
  std::string branch;
  std::optional<std::int64_t> since_seq;  // seq >= this
  std::string since_date;                 // date >= this (ISO 8601 UTC)
};

// Stores `input` as a new run in the database at `path` (created when absent). Refuses a host
// class the database has no run of unless `allow_new_host_class`.
AddResult add_run(const std::string& path, int busy_timeout_ms, const gate::GateInput& input, const RunInfo& run,
                  bool allow_new_host_class);

// An existing history opened read-only, after the same checks `add_run` makes.
class HistoryReader {
 public:
  HistoryReader(const std::string& path, int busy_timeout_ms);

  [[nodiscard]] const std::string& path() const noexcept { return db_->path(); }
  // The host class of the most recent run (on `branch`, when given); "" without runs.
  std::string latest_host_class(const std::string& branch);
  // The metrics with values under `host_class` ("" = any), by name.
  std::vector<MetricInfo> metrics(const std::string& host_class);
  // The points of `metric` in insertion order.
  std::vector<Point> points(const std::string& metric, const Selection& selection);

 private:
  std::unique_ptr<Database> db_;
};

}  // namespace ringside::history
