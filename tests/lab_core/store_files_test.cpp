// The results store's files: foreign or damaged files are refused without
// being written, and shard stores merge into one.
#include <sqlite3.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "lab/core/results_store.h"
#include "lab_core/lab_test_util.h"
#include "lab_core/store_test_util.h"
#include "support/synthetic_dataset.h"

namespace bitlab::lab {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::error_of;
using testing::finish_all;
using testing::read_bytes;
using testing::results_for;
using testing::sample_runs;
using testing::write_text;

void run_sql(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// Opening must fail with an IoError naming the file, and leave its bytes alone.
void expect_refused_untouched(const std::filesystem::path& path, const std::string& reason) {
  const std::string before = read_bytes(path);
  std::string message = error_of([&] { ResultsStore store(path); });
  EXPECT_THAT(message, AllOf(HasSubstr(path.string()), HasSubstr(reason), HasSubstr("untouched")));
  EXPECT_THROW(ResultsStore store(path), IoError);
  EXPECT_THROW(ResultsStore store(path, StoreOptions{.read_only = true}), IoError);
  EXPECT_EQ(read_bytes(path), before);
}

TEST(StoreFiles, NonSqliteFileIsRefusedUntouched) {
  testing::TempDir dir;
  write_text(dir / "notes.db", "these are my notes, not a database\n");
  expect_refused_untouched(dir / "notes.db", "not an SQLite database");
  write_text(dir / "short.db", "SQLite");
  expect_refused_untouched(dir / "short.db", "not an SQLite database");
}

TEST(StoreFiles, ForeignSqliteDatabaseIsRefusedUntouched) {
  testing::TempDir dir;
  run_sql(dir / "other.db", "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
  expect_refused_untouched(dir / "other.db", "not a bitlab results store");
}

TEST(StoreFiles, CorruptStoreIsRefusedUntouched) {
  testing::TempDir dir;
  {
    ResultsStore store(dir / "results.db");
    store.add_runs(sample_runs(20));
    finish_all(store);
  }
  // Overwrite the second page (table b-trees live from there on); page 1, the header, stays valid.
  std::string bytes = read_bytes(dir / "results.db");
  ASSERT_GT(bytes.size(), 3u * 4096u);
  for (size_t i = 4096; i < 2 * 4096; ++i) bytes[i] = static_cast<char>(0xA5);
  write_text(dir / "results.db", bytes);
  expect_refused_untouched(dir / "results.db", "corrupt");
}

TEST(StoreFiles, NewerFormatIsRefused) {
  testing::TempDir dir;
  { ResultsStore store(dir / "results.db"); }
  run_sql(dir / "results.db", "UPDATE meta SET value = '2' WHERE key = 'format_version'");
  EXPECT_THAT(error_of([&] { ResultsStore store(dir / "results.db"); }),
              AllOf(HasSubstr("results.db"), HasSubstr("format 2"), HasSubstr("newer bitlab")));
}

TEST(StoreFiles, EmptyFileBecomesANewStoreAndReadOnlyNeedsAFile) {
  testing::TempDir dir;
  write_text(dir / "empty.db", "");
  {
    ResultsStore store(dir / "empty.db");
    EXPECT_EQ(store.add_runs(sample_runs(1)), 3u);
  }
  ResultsStore reopened(dir / "empty.db", StoreOptions{.read_only = true});
  EXPECT_EQ(reopened.counts().pending, 3u);
  EXPECT_THAT(error_of([&] { ResultsStore store(dir / "absent.db", StoreOptions{.read_only = true}); }),
              AllOf(HasSubstr("absent.db"), HasSubstr("no such results store")));
  EXPECT_FALSE(std::filesystem::exists(dir / "absent.db"));
  std::filesystem::create_directory(dir / "folder.db");
  EXPECT_THAT(error_of([&] { ResultsStore store(dir / "folder.db"); }), HasSubstr("not a regular file"));
}

// Two shard stores, each filled by its own worker, as `--shard i/2` would.
struct ShardedStores {
  testing::TempDir dir;
  std::vector<lab::Run> runs = sample_runs(2);  // 6 runs
  ShardedStores() {
    for (size_t shard = 1; shard <= 2; ++shard) {
      ResultsStore store(path(shard));
      store.add_runs(runs);
      finish_all(store, Shard{shard, 2});
    }
  }
  std::filesystem::path path(size_t shard) const { return dir / ("shard-" + std::to_string(shard) + ".db"); }
};

TEST(StoreMerge, ShardStoresMergeIntoOne) {
  ShardedStores shards;
  ResultsStore merged(shards.dir / "merged.db");
  MergeReport report = merged.merge_from({shards.path(1), shards.path(2)});
  EXPECT_EQ(report.added, 6u);    // from shard 1: its 3 done runs and shard 2's 3 pending ones
  EXPECT_EQ(report.updated, 3u);  // shard 2's done runs replace those pending ones
  EXPECT_EQ(report.unchanged, 3u);
  EXPECT_EQ(merged.counts().done, 6u);
  for (const lab::Run& run : shards.runs) {
    auto record = merged.find(run.id);
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->results.metrics, results_for(run).metrics) << run.id;
    EXPECT_EQ(record->results.curves, results_for(run).curves);
    EXPECT_EQ(record->results.artefacts, results_for(run).artefacts);
    EXPECT_EQ(record->results.resolved_config, run.config);
    EXPECT_EQ(record->run.config, run.config);
  }
  // Merging again changes nothing; a later rerun on the merged store has nothing to do.
  MergeReport again = merged.merge_from({shards.path(1), shards.path(2)});
  EXPECT_EQ(again.added + again.updated, 0u);
  EXPECT_EQ(merged.add_runs(shards.runs), 0u);
  EXPECT_FALSE(merged.claim_next_pending().has_value());
}

TEST(StoreMerge, SourcesAreNeverWritten) {
  ShardedStores shards;
  std::string before = read_bytes(shards.path(1));
  {
    ResultsStore merged(shards.dir / "merged.db");
    merged.merge_from({shards.path(1)});
  }
  EXPECT_EQ(read_bytes(shards.path(1)), before);
}

TEST(StoreMerge, RunningRunsArriveAsPending) {
  testing::TempDir dir;
  auto runs = sample_runs(1);
  {
    ResultsStore source(dir / "source.db");
    source.add_runs(runs);
    source.claim_next_pending();  // left running, as by a worker that was killed
  }
  ResultsStore merged(dir / "merged.db");
  merged.merge_from({dir / "source.db"});
  EXPECT_EQ(merged.counts().pending, 3u);
  EXPECT_EQ(merged.claim_next_pending()->run.id, runs[0].id);
}

TEST(StoreMerge, ConflictsRollBackTheWholeMerge) {
  ShardedStores shards;
  // A store where run 0 was done with other results.
  {
    ResultsStore other(shards.dir / "other.db");
    other.add_runs(shards.runs);
    auto record = other.claim_next_pending();
    RunResults results = results_for(record->run);
    results.metrics["test_accuracy"] = 0.01;
    other.mark_done(record->run.id, results);
  }
  ResultsStore merged(shards.dir / "merged.db");
  EXPECT_THAT(error_of([&] { merged.merge_from({shards.path(1), shards.path(2), shards.dir / "other.db"}); }),
              AllOf(HasSubstr("other.db: run \"" + shards.runs[0].id + "\" is done there and in "),
                    HasSubstr("merged.db with different results")));
  EXPECT_EQ(merged.counts().total(), 0u);  // the first two sources were rolled back too

  // A store of a different design.
  {
    ResultsStore changed(shards.dir / "changed.db");
    changed.add_runs(sample_runs(2, 0.5));
  }
  EXPECT_THAT(error_of([&] { merged.merge_from({shards.path(1), shards.dir / "changed.db"}); }),
              AllOf(HasSubstr("changed.db: run"), HasSubstr("different designs")));
  EXPECT_THROW(merged.merge_from({shards.dir / "changed.db", shards.path(1)}), ConfigError);
  EXPECT_EQ(merged.counts().total(), 0u);
}

TEST(StoreMerge, BadSourcesAreErrorsNamingThem) {
  ShardedStores shards;
  write_text(shards.dir / "junk.db", "junk junk junk junk junk junk junk junk");
  ResultsStore merged(shards.dir / "merged.db");
  EXPECT_THAT(error_of([&] { merged.merge_from({shards.path(1), shards.dir / "junk.db"}); }),
              AllOf(HasSubstr("junk.db"), HasSubstr("not an SQLite database")));
  EXPECT_THAT(error_of([&] { merged.merge_from({shards.dir / "missing.db"}); }),
              AllOf(HasSubstr("missing.db"), HasSubstr("no such results store")));
  EXPECT_THAT(error_of([&] { merged.merge_from({shards.dir / "merged.db"}); }), HasSubstr("into itself"));
  EXPECT_EQ(merged.counts().total(), 0u);
}

}  // namespace
}  // namespace bitlab::lab
