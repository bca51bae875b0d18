#pragma once
// The results store of an experiment: one SQLite file (WAL mode, so readers
// never block the workers writing) holding every run of a design with its
// status, and for finished runs their metrics, per-epoch curves, resolved
// config and artefact paths. Schema and life cycle: docs/lab.md.
//
// A runner's loop:
//   ResultsStore store("runs/sweep/results.db");
//   store.add_runs(expand(load_design("sweep.json")));   // idempotent: reruns add nothing
//   while (auto run = store.claim_next_pending(shard)) {
//     try { store.mark_done(run->run.id, train(run->run.config)); }
//     catch (const std::exception& e) { store.mark_failed(run->run.id, e.what()); }
//   }
// A killed worker leaves its run "running"; the next claim in that shard sees
// that the claiming process is gone and hands the run out again.
//
// Each ResultsStore holds its own SQLite connection: use one per thread (or
// process); they coordinate through the file.
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/core/process_identity.h"
#include "lab/core/run.h"
#include "lab/core/shard.h"
#include "lab/core/sqlite.h"

namespace bitlab::lab {

enum class RunStatus { pending, running, done, failed };
std::string_view to_string(RunStatus status);

// What a finished run reports; written in one transaction with its status.
struct RunResults {
  std::map<std::string, double> metrics;              // "test_accuracy" → 0.912 (NaN allowed: a diverged loss)
  std::map<std::string, std::vector<double>> curves;  // "train_loss" → {epoch 1, epoch 2, ...}
  std::map<std::string, std::string> artefacts;       // "checkpoint" → "runs/sweep/0007/checkpoint.pt"
  // The config as the runner finally used it (every default filled in);
  // null keeps the design's config.
  nlohmann::json resolved_config;
  bool operator==(const RunResults& other) const;
};

struct RunRecord {
  Run run;  // run.config is the design's config for it
  RunStatus status = RunStatus::pending;
  int attempts = 0;                       // claims so far
  std::string error;                      // failed runs: what went wrong
  std::optional<ProcessIdentity> owner;   // running runs: the claiming process
  RunResults results;                     // done runs
};

struct StatusCounts {
  size_t pending = 0, running = 0, done = 0, failed = 0;
  size_t total() const { return pending + running + done + failed; }
};

// One value of a metric from a finished run, with what pairs it to others.
struct MetricValue {
  std::string run_id;
  std::string variant;
  uint64_t seed = 0;
  std::optional<int> fold;
  double value = 0.0;
};

struct MergeReport {
  size_t added = 0;      // runs the destination did not have
  size_t updated = 0;    // runs a source had further along (done over pending, ...)
  size_t unchanged = 0;  // runs already there as far along (done results must then agree)
};

struct StoreOptions {
  bool read_only = false;
  // How long a write waits for another worker's transaction before failing.
  int busy_timeout_ms = 60'000;
};

class ResultsStore {
 public:
  // Opens the store at `path`, creating it when missing (unless read_only).
  // A file that is not an SQLite database, an SQLite database of another
  // program, a corrupt store or one of a newer format is an IoError naming the
  // file; such a file is only read, never written.
  explicit ResultsStore(const std::filesystem::path& path, const StoreOptions& options = {});

  const std::filesystem::path& path() const { return db_.path(); }

  // Registers runs as pending; runs already present (by id) keep their status.
  // A present run whose design config (or index, variant, seed, fold) differs
  // is a ConfigError: the design changed under an existing store. Returns how many were new.
  size_t add_runs(const std::vector<Run>& runs);

  // Atomically takes the pending run of `shard` with the lowest index, marks it
  // running under this process and returns it; nullopt when none is left. Runs
  // of the shard left running by a process that no longer exists are pending again first.
  std::optional<RunRecord> claim_next_pending(const Shard& shard = {});

  // Records results and status in one transaction. The run must be running
  // under this process (std::logic_error otherwise).
  void mark_done(const std::string& run_id, const RunResults& results);
  void mark_failed(const std::string& run_id, std::string_view error);
  // Failed runs are not retried on their own (they usually fail again); this
  // makes them pending. Returns how many.
  size_t reset_failed();

  StatusCounts counts(const std::optional<Shard>& shard = std::nullopt);
  std::optional<RunRecord> find(const std::string& run_id);
  std::vector<RunRecord> runs();  // by index, results included
  std::vector<MetricValue> metric(std::string_view name);  // done runs by index

  // Copies the runs of other stores (e.g. one per shard) into this one, in one
  // transaction: all sources or none. A run absent here is added; one present
  // is replaced when the source has it further along (done > failed > pending;
  // a source's "running" run comes in as pending, its worker being elsewhere).
  // Conflicts are errors naming both files and the run: different design
  // configs (ConfigError), or done in both with different results (IoError).
  // Merge into a store no worker is using.
  MergeReport merge_from(const std::vector<std::filesystem::path>& sources);

 private:
  std::optional<RunRecord> read_record(const std::string& run_id, bool with_results);
  RunResults read_results(const std::string& run_id);
  void write_record(const RunRecord& record);
  void write_results(const std::string& run_id, const RunResults& results);
  void release_dead_claims(const Shard& shard);

  sqlite::Database db_;
  ProcessIdentity self_;
};

}  // namespace bitlab::lab
