// A thin RAII layer over the sqlite3 C API: a connection, prepared statements, an IMMEDIATE
// transaction that rolls back unless committed. Every failure is a UsageError with one line
// that says what the user can do about it (a locked database, a file that is not a database).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ringside::history {

class Statement;

class Database {
 public:
  enum class Mode {
    read_only,   // an existing file, never written (its -shm may be, as WAL readers need)
    read_write,  // an existing file
    create,      // created when absent
  };
  Database(std::string path, Mode mode, int busy_timeout_ms);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs statements that return no rows we need.
  void exec(std::string_view sql);
  Statement prepare(std::string_view sql);
  // The first column of the first row of `sql` as an integer (0 when there is no row).
  std::int64_t scalar(std::string_view sql);

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }
  // Throws the UsageError that result code `rc` of `what` means for the user.
  [[noreturn]] void fail(int rc, std::string_view what) const;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(const Database& db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  // Parameters are 1-based, as in SQL's ?1 ?2.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  // Advances to the next row; false when done.
  bool step();
  // Runs a statement that returns no rows.
  void run();
  // Rewinds for new bindings.
  void reset();

  [[nodiscard]] std::int64_t int64(int column) const;
  [[nodiscard]] double real(int column) const;
  [[nodiscard]] std::string text(int column) const;

 private:
  const Database* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE: takes the write lock now (waiting up to the busy timeout), so a concurrent
// writer is a clear "locked" before anything is read, never a failed upgrade halfway.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool open_ = true;
};

}  // namespace ringside::history
