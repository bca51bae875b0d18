#pragma once
// A thin RAII layer over the sqlite3 C API: a connection, prepared statements
// and transactions that roll back unless committed. Every failure is an
// IoError naming the database file and SQLite's own message.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace bitlab::lab::sqlite {

enum class OpenMode { read_only, read_write, create };

class Database {
 public:
  Database(const std::filesystem::path& path, OpenMode mode);

  // Runs one or more statements that return no rows (schema, pragmas without results).
  void execute(std::string_view sql);
  // The single value of a one-row query (PRAGMA journal_mode=WAL, SELECT count(*)).
  std::string query_text(std::string_view sql);
  int64_t query_integer(std::string_view sql);

  [[noreturn]] void fail(std::string_view what) const;
  sqlite3* handle() const { return handle_.get(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  struct Close {
    void operator()(sqlite3* db) const;
  };
  std::filesystem::path path_;
  std::unique_ptr<sqlite3, Close> handle_;
};

class Statement {
 public:
  Statement(Database& db, std::string_view sql);

  // Parameters are 1-based, as in SQL's ?1, ?2, ...
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, double value);  // NaN is stored as NULL (SQLite has no NaN)
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, std::nullopt_t);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
  }

  // true: a row is ready to read; false: the statement has finished.
  bool step();
  // Runs a statement that returns no rows, then resets it for reuse.
  void run();
  void reset();

  bool is_null(int column) const;
  int64_t integer(int column) const;
  double real(int column) const;  // NULL reads back as NaN
  std::string text(int column) const;
  std::optional<int64_t> optional_integer(int column) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* statement) const;
  };
  Database* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> statement_;
};

enum class TransactionKind {
  // BEGIN: a consistent snapshot for several reads (also on read-only connections).
  read,
  // BEGIN IMMEDIATE takes the write lock up front: two workers that both read
  // "run 7 is pending" cannot then both claim it.
  write,
};

// Rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(Database& db, TransactionKind kind = TransactionKind::write);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool finished_ = false;
};

}  // namespace bitlab::lab::sqlite
