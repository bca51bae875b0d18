#include "lab/core/results_store.h"

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <map>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "lab_core/lab_test_util.h"
#include "lab_core/store_test_util.h"
#include "support/synthetic_dataset.h"

namespace bitlab::lab {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::error_of;
using ResultsStoreTest = testing::StoreInTempDir;
using testing::finish_all;
using testing::results_for;
using testing::sample_runs;

// Runs `child` in a forked process (with its own SQLite connections, as a
// separate worker would have) and returns its exit code. The child never
// returns into the test framework.
int in_child_process(const std::function<int()>& child) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int code = 1;
    try {
      code = child();
    } catch (...) {
      code = 2;
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);  // reaped: from here on the pid is gone, not a zombie
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string journal_mode(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &statement, nullptr);
  std::string mode = sqlite3_step(statement) == SQLITE_ROW
                         ? reinterpret_cast<const char*>(sqlite3_column_text(statement, 0))
                         : "";
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return mode;
}

TEST_F(ResultsStoreTest, RegistersRunsOnceAsPendingInWalMode) {
  auto runs = sample_runs();
  EXPECT_EQ(store.add_runs(runs), 6u);
  EXPECT_EQ(store.add_runs(runs), 0u);
  StatusCounts counts = store.counts();
  EXPECT_EQ(counts.pending, 6u);
  EXPECT_EQ(counts.total(), 6u);
  auto record = store.find(runs[4].id);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->run.config, runs[4].config);
  EXPECT_EQ(record->run.levels, runs[4].levels);
  EXPECT_EQ(record->run.variant, runs[4].variant);
  EXPECT_EQ(record->run.seed, runs[4].seed);
  EXPECT_EQ(record->run.index, 4u);
  EXPECT_EQ(record->status, RunStatus::pending);
  EXPECT_FALSE(store.find("no/such/run").has_value());
  EXPECT_EQ(journal_mode(dir / "results.db"), "wal");
}

TEST_F(ResultsStoreTest, FoldAssignmentsRoundTrip) {
  Design design = parse_design(nlohmann::json::parse(R"({"cross_validation": {"folds": 3, "seed": 9}})"), "d.json");
  auto runs = expand(design);
  store.add_runs(runs);
  auto record = store.find(runs[2].id);
  ASSERT_TRUE(record && record->run.fold);
  EXPECT_EQ(*record->run.fold, (FoldAssignment{2, 3, 9}));
}

TEST_F(ResultsStoreTest, ClaimsInIndexOrderAndStoresEverythingOfADoneRun) {
  auto runs = sample_runs();
  store.add_runs(runs);
  auto claimed = store.claim_next_pending();
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->run.id, runs[0].id);
  EXPECT_EQ(claimed->status, RunStatus::running);
  EXPECT_EQ(claimed->attempts, 1);
  EXPECT_EQ(store.counts().running, 1u);

  RunResults results = results_for(runs[0]);
  results.metrics["diverged_loss"] = std::nan("");
  results.resolved_config = runs[0].config;
  results.resolved_config["train"]["device"] = "cpu";
  store.mark_done(claimed->run.id, results);

  auto record = store.find(runs[0].id);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->status, RunStatus::done);
  EXPECT_FALSE(record->owner.has_value());
  EXPECT_EQ(record->results, results);  // NaN included
  EXPECT_TRUE(std::isnan(record->results.metrics.at("diverged_loss")));
  EXPECT_EQ(record->results.curves.at("train_loss"), (std::vector<double>{2.0, 1.0, 0.5}));
  EXPECT_EQ(record->results.artefacts.at("checkpoint"), "runs/" + runs[0].id + "/checkpoint.pt");
  EXPECT_EQ(record->results.resolved_config["train"]["device"], "cpu");
  EXPECT_EQ(record->run.config, runs[0].config);  // the design's config stays as it was

  auto next = store.claim_next_pending();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->run.id, runs[1].id);
}

TEST_F(ResultsStoreTest, WithoutAResolvedConfigTheDesignsIsRecorded) {
  auto runs = sample_runs(1);
  store.add_runs(runs);
  finish_all(store);
  EXPECT_EQ(store.find(runs[2].id)->results.resolved_config, runs[2].config);
}

TEST_F(ResultsStoreTest, ShardsClaimOnlyTheirRuns) {
  auto runs = sample_runs(3);  // 9 runs
  store.add_runs(runs);
  std::vector<std::string> second = finish_all(store, parse_shard("2/3"));
  EXPECT_THAT(second, ElementsAre(runs[1].id, runs[4].id, runs[7].id));
  EXPECT_EQ(store.counts(parse_shard("2/3")).done, 3u);
  EXPECT_EQ(store.counts(parse_shard("1/3")).pending, 3u);
  EXPECT_EQ(store.counts().pending, 6u);
}

TEST(ResultsStoreWorkers, RerunSkipsFinishedRuns) {
  testing::TempDir dir;
  auto runs = sample_runs();
  {
    ResultsStore store(dir / "results.db");
    store.add_runs(runs);
    for (int i = 0; i < 4; ++i) {
      auto record = store.claim_next_pending();
      store.mark_done(record->run.id, results_for(record->run));
    }
  }
  ResultsStore reopened(dir / "results.db");
  EXPECT_EQ(reopened.add_runs(runs), 0u);
  EXPECT_THAT(finish_all(reopened), ElementsAre(runs[4].id, runs[5].id));
  EXPECT_EQ(reopened.counts().done, 6u);
  EXPECT_EQ(reopened.find(runs[0].id)->attempts, 1);
}

TEST(ResultsStoreWorkers, RunLeftRunningByAKilledWorkerIsClaimedAgain) {
  testing::TempDir dir;
  auto runs = sample_runs();
  {
    ResultsStore store(dir / "results.db");
    store.add_runs(runs);
  }
  // A worker claims run 0 and dies before finishing it (no destructor, no rollback: _exit).
  int code = in_child_process([&] {
    ResultsStore store(dir / "results.db");
    auto record = store.claim_next_pending();
    return record && record->run.id == runs[0].id ? 0 : 1;
  });
  ASSERT_EQ(code, 0);
  ResultsStore store(dir / "results.db");
  auto stale = store.find(runs[0].id);
  ASSERT_TRUE(stale.has_value());
  EXPECT_EQ(stale->status, RunStatus::running);  // what the dead worker left

  auto reclaimed = store.claim_next_pending();
  ASSERT_TRUE(reclaimed.has_value());
  EXPECT_EQ(reclaimed->run.id, runs[0].id);
  EXPECT_EQ(reclaimed->attempts, 2);
  EXPECT_EQ(reclaimed->owner, ProcessIdentity::current());
  store.mark_done(reclaimed->run.id, results_for(reclaimed->run));
  EXPECT_EQ(finish_all(store).size(), 5u);
}

TEST(ResultsStoreWorkers, RunOfALiveWorkerIsNotTaken) {
  testing::TempDir dir;
  auto runs = sample_runs();
  {
    ResultsStore store(dir / "results.db");
    store.add_runs(runs);
  }
  int claimed[2], release[2];
  ASSERT_EQ(::pipe(claimed), 0);
  ASSERT_EQ(::pipe(release), 0);
  pid_t worker = ::fork();
  if (worker == 0) {
    int code = 1;
    try {
      ResultsStore store(dir / "results.db");
      auto record = store.claim_next_pending();
      char byte = record ? 'y' : 'n';
      (void)!::write(claimed[1], &byte, 1);
      (void)!::read(release[0], &byte, 1);  // stays alive, holding its claim, until told
      store.mark_done(record->run.id, results_for(record->run));
      code = 0;
    } catch (...) {
      code = 2;
    }
    ::_exit(code);
  }
  char byte = 0;
  ASSERT_EQ(::read(claimed[0], &byte, 1), 1);
  ASSERT_EQ(byte, 'y');
  {
    ResultsStore store(dir / "results.db");
    auto mine = store.claim_next_pending();
    ASSERT_TRUE(mine.has_value());
    EXPECT_EQ(mine->run.id, runs[1].id);  // run 0 belongs to the live worker
    store.mark_done(mine->run.id, results_for(mine->run));
  }
  ASSERT_EQ(::write(release[1], "x", 1), 1);
  int status = 0;
  ::waitpid(worker, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (int fd : {claimed[0], claimed[1], release[0], release[1]}) ::close(fd);
  ResultsStore store(dir / "results.db");
  EXPECT_EQ(store.find(runs[0].id)->status, RunStatus::done);
  EXPECT_EQ(store.find(runs[0].id)->attempts, 1);
}

TEST(ResultsStoreWorkers, ConcurrentWorkersFinishEveryRunExactlyOnce) {
  testing::TempDir dir;
  auto runs = sample_runs(10);  // 30 runs
  {
    ResultsStore store(dir / "results.db");
    store.add_runs(runs);
  }
  std::vector<pid_t> workers;
  for (int w = 0; w < 3; ++w) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int code = 0;
      try {
        ResultsStore store(dir / "results.db");
        while (auto record = store.claim_next_pending()) {
          RunResults results = results_for(record->run);
          results.metrics["worker"] = static_cast<double>(::getpid());
          store.mark_done(record->run.id, results);
        }
      } catch (...) {
        code = 2;
      }
      ::_exit(code);
    }
    workers.push_back(pid);
  }
  for (pid_t pid : workers) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  ResultsStore store(dir / "results.db");
  EXPECT_EQ(store.counts().done, runs.size());
  for (const RunRecord& record : store.runs()) EXPECT_EQ(record.attempts, 1) << record.run.id;
  EXPECT_EQ(store.metric("worker").size(), runs.size());
}

TEST_F(ResultsStoreTest, FailedMarkDoneWritesNothing) {
  auto runs = sample_runs(1);
  store.add_runs(runs);
  auto record = store.claim_next_pending();
  RunResults results = results_for(record->run);
  results.curves[""] = {1.0};  // rejected after the metrics are already inserted
  EXPECT_THROW(store.mark_done(record->run.id, results), std::invalid_argument);
  auto after = store.find(record->run.id);
  EXPECT_EQ(after->status, RunStatus::running);
  EXPECT_TRUE(store.metric("test_accuracy").empty());
  store.mark_done(record->run.id, results_for(record->run));  // the transaction did not linger
  EXPECT_EQ(store.metric("test_accuracy").size(), 1u);
}

TEST_F(ResultsStoreTest, OnlyTheClaimingProcessFinishesARun) {
  auto runs = sample_runs(1);
  store.add_runs(runs);
  EXPECT_THAT(error_of([&] { store.mark_done(runs[0].id, results_for(runs[0])); }),
              AllOf(HasSubstr(runs[0].id), HasSubstr("not running under this process (pending)")));
  EXPECT_THROW(store.mark_failed(runs[0].id, "x"), std::logic_error);
  EXPECT_THROW(store.mark_done("absent", {}), std::logic_error);
}

TEST_F(ResultsStoreTest, FailedRunsStayFailedUntilReset) {
  auto runs = sample_runs(1);
  store.add_runs(runs);
  auto record = store.claim_next_pending();
  store.mark_failed(record->run.id, "out of memory");
  EXPECT_EQ(store.find(record->run.id)->error, "out of memory");
  EXPECT_EQ(finish_all(store).size(), 2u);  // the failed run is not retried
  EXPECT_EQ(store.counts().failed, 1u);
  EXPECT_EQ(store.reset_failed(), 1u);
  EXPECT_THAT(finish_all(store), ElementsAre(runs[0].id));
  EXPECT_EQ(store.find(runs[0].id)->attempts, 2);
  EXPECT_EQ(store.find(runs[0].id)->error, "");
}

TEST_F(ResultsStoreTest, ChangedDesignIsRefused) {
  store.add_runs(sample_runs(1, 0.1));
  EXPECT_THAT(error_of([&] { store.add_runs(sample_runs(1, 0.2)); }),
              AllOf(HasSubstr("results.db: run \"bits=w2/seed=1\" is already in this store but its config differs "
                              "at /train/lr"),
                    HasSubstr("design changed")));
  EXPECT_THROW(store.add_runs(sample_runs(1, 0.2)), ConfigError);
  EXPECT_EQ(store.counts().total(), 3u);  // nothing of the refused design went in
}

TEST_F(ResultsStoreTest, MetricValuesOfDoneRunsForStatistics) {
  auto runs = sample_runs(2);
  store.add_runs(runs);
  finish_all(store);
  auto values = store.metric("test_accuracy");
  ASSERT_EQ(values.size(), 6u);
  EXPECT_EQ(values[3].run_id, runs[3].id);
  EXPECT_EQ(values[3].variant, "bits=w2");
  EXPECT_EQ(values[3].seed, 2u);
  EXPECT_FALSE(values[3].fold.has_value());
  EXPECT_DOUBLE_EQ(values[3].value, 0.53);
  EXPECT_TRUE(store.metric("no_such_metric").empty());
}

}  // namespace
}  // namespace bitlab::lab
