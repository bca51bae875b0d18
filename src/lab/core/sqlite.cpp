#include "lab/core/sqlite.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <sqlite3.h>

#include "common/error.h"

namespace bitlab::lab::sqlite {

void Database::Close::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Database::Database(const std::filesystem::path& path, OpenMode mode) : path_(path) {
  int flags = SQLITE_OPEN_NOMUTEX;  // one connection per thread; no shared-connection locking needed
  switch (mode) {
    case OpenMode::read_only: flags |= SQLITE_OPEN_READONLY; break;
    case OpenMode::read_write: flags |= SQLITE_OPEN_READWRITE; break;
    case OpenMode::create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  handle_.reset(raw);  // sqlite3 hands out a handle even on failure; it must be closed
  if (rc != SQLITE_OK) {
    throw IoError(fmt::format("{}: cannot open the results store: {}", path.string(),
                              raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
}

void Database::fail(std::string_view what) const {
  throw IoError(fmt::format("{}: {}: {}", path_.string(), what, sqlite3_errmsg(handle_.get())));
}

void Database::execute(std::string_view sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(handle_.get(), std::string(sql).c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw IoError(fmt::format("{}: {}", path_.string(), text));
  }
}

std::string Database::query_text(std::string_view sql) {
  Statement statement(*this, sql);
  if (!statement.step()) fail(fmt::format("no result from \"{}\"", sql));
  return statement.text(0);
}

int64_t Database::query_integer(std::string_view sql) {
  Statement statement(*this, sql);
  if (!statement.step()) fail(fmt::format("no result from \"{}\"", sql));
  return statement.integer(0);
}

void Statement::Finalize::operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }

Statement::Statement(Database& db, std::string_view sql) : db_(&db) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
    db.fail(fmt::format("cannot prepare \"{}\"", sql));
  }
  statement_.reset(raw);
}

Statement& Statement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(statement_.get(), index, value) != SQLITE_OK) db_->fail("bind");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  if (std::isnan(value)) return bind(index, std::nullopt);
  if (sqlite3_bind_double(statement_.get(), index, value) != SQLITE_OK) db_->fail("bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text(statement_.get(), index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK) {
    db_->fail("bind");
  }
  return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
  if (sqlite3_bind_null(statement_.get(), index) != SQLITE_OK) db_->fail("bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(statement_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(fmt::format("cannot run \"{}\"", sqlite3_sql(statement_.get())));
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(statement_.get());
  sqlite3_clear_bindings(statement_.get());
}

bool Statement::is_null(int column) const { return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL; }

int64_t Statement::integer(int column) const { return sqlite3_column_int64(statement_.get(), column); }

double Statement::real(int column) const {
  if (is_null(column)) return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(statement_.get(), column);
}

std::string Statement::text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_.get(), column);
  int bytes = sqlite3_column_bytes(statement_.get(), column);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(bytes)) : std::string();
}

std::optional<int64_t> Statement::optional_integer(int column) const {
  if (is_null(column)) return std::nullopt;
  return integer(column);
}

Transaction::Transaction(Database& db, TransactionKind kind) : db_(db) {
  db_.execute(kind == TransactionKind::write ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
  if (!finished_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.execute("COMMIT");
  finished_ = true;
}

}  // namespace bitlab::lab::sqlite
