#include "lab/core/store_schema.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "common/error.h"
#include "lab/core/results_store.h"

namespace bitlab::lab {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
  id              TEXT PRIMARY KEY,
  run_index       INTEGER NOT NULL,
  variant         TEXT NOT NULL,
  levels          TEXT NOT NULL,
  seed            INTEGER NOT NULL,
  fold_index      INTEGER,
  fold_count      INTEGER,
  split_seed      INTEGER,
  design_config   TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  owner_pid       INTEGER,
  owner_start     INTEGER,
  claimed_at      TEXT,
  finished_at     TEXT,
  error           TEXT,
  resolved_config TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, run_index);
CREATE TABLE IF NOT EXISTS metrics (
  run_id TEXT NOT NULL,
  name   TEXT NOT NULL,
  value  REAL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS curves (
  run_id TEXT NOT NULL,
  name   TEXT NOT NULL,
  epoch  INTEGER NOT NULL,
  value  REAL,
  PRIMARY KEY (run_id, name, epoch)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS artefacts (
  run_id TEXT NOT NULL,
  name   TEXT NOT NULL,
  path   TEXT NOT NULL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
)sql";

constexpr std::string_view kUntouched = "bitlab leaves it untouched; give another results store path";

// Checked before SQLite sees the file, so a stray text or binary file gets a
// plain message instead of SQLite's "file is not a database" from some query.
void require_sqlite_header(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 16> header{};
  in.read(header.data(), header.size());
  static constexpr char kMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
  if (!in || !std::equal(header.begin(), header.end(), kMagic)) {
    throw IoError(fmt::format("{}: not an SQLite database, so not a bitlab results store; {}", path.string(),
                              kUntouched));
  }
}

// Runs a read on a file that may be damaged: SQLite reports damage as errors
// (SQLITE_CORRUPT, SQLITE_NOTADB) from whatever query meets it first.
template <class Read>
auto read_or_report_damage(sqlite::Database& db, Read read) {
  try {
    return read();
  } catch (const IoError& e) {
    throw IoError(fmt::format("{} (the file is damaged or not a results store; {})", e.what(), kUntouched));
  }
}

void require_intact_bitlab_store(sqlite::Database& db) {
  const std::string file = db.path().string();
  // quick_check reads every page of every table and index without writing.
  std::string check = read_or_report_damage(db, [&] { return db.query_text("PRAGMA quick_check(1)"); });
  if (check != "ok") {
    std::replace(check.begin(), check.end(), '\n', ' ');  // quick_check reports over several lines
    throw IoError(fmt::format("{}: the results store is corrupt (SQLite: {}); {} (merge the shard stores again or "
                              "restore a copy)",
                              file, check, kUntouched));
  }
  int64_t application_id = read_or_report_damage(db, [&] { return db.query_integer("PRAGMA application_id"); });
  if (application_id != kStoreApplicationId) {
    throw IoError(fmt::format("{}: an SQLite database, but not a bitlab results store (application_id {:#x}); {}",
                              file, application_id, kUntouched));
  }
  std::string format = read_or_report_damage(
      db, [&] { return db.query_text("SELECT value FROM meta WHERE key = 'format_version'"); });
  if (format != std::to_string(kStoreFormatVersion)) {
    throw IoError(fmt::format("{}: results store format {} is not the one this bitlab reads ({}){}", file, format,
                              kStoreFormatVersion,
                              std::atoi(format.c_str()) > kStoreFormatVersion ? "; use a newer bitlab" : ""));
  }
}

// A fresh store: the application id goes in before WAL mode, so it lands in the
// main file's header at once (WAL keeps later page-1 changes in the -wal file
// until a checkpoint, where a second worker reading the header would miss them).
void initialise(sqlite::Database& db) {
  db.execute(fmt::format("PRAGMA application_id = {}", kStoreApplicationId));
  sqlite::Transaction transaction(db);
  db.execute(kSchema);
  sqlite::Statement version(db, "INSERT OR IGNORE INTO meta (key, value) VALUES ('format_version', ?1)");
  version.bind(1, std::to_string(kStoreFormatVersion)).run();
  transaction.commit();
}

}  // namespace

sqlite::Database open_store_database(const std::filesystem::path& path, const StoreOptions& options) {
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  if (exists && !std::filesystem::is_regular_file(path, ec)) {
    throw IoError(fmt::format("{}: not a regular file, so not a bitlab results store", path.string()));
  }
  // An empty file is what a creation interrupted before its first write leaves: a new store.
  bool has_content = exists && std::filesystem::file_size(path, ec) > 0;
  if (!exists && options.read_only) {
    throw IoError(fmt::format("{}: no such results store", path.string()));
  }
  if (has_content) require_sqlite_header(path);

  using sqlite::OpenMode;
  sqlite::Database db(path, options.read_only ? OpenMode::read_only : OpenMode::create);
  db.execute(fmt::format("PRAGMA busy_timeout = {}", options.busy_timeout_ms));
  if (has_content) require_intact_bitlab_store(db);
  if (options.read_only) return db;

  if (!has_content) initialise(db);
  std::string mode = db.query_text("PRAGMA journal_mode = WAL");
  if (mode != "wal") {
    throw IoError(fmt::format("{}: cannot switch the results store to WAL mode (SQLite kept \"{}\"); is it "
                              "on a network file system?",
                              path.string(), mode));
  }
  // WAL's default may be NORMAL in some builds, which can lose the last commits on power loss.
  db.execute("PRAGMA synchronous = FULL");
  return db;
}

}  // namespace bitlab::lab
