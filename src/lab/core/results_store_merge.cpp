// ResultsStore::merge_from: shard stores → one store.
#include <fmt/format.h>

#include "common/error.h"
#include "lab/core/results_store.h"

namespace bitlab::lab {
namespace {

// How far along a run is; a merge keeps the furthest.
int progress(RunStatus status) {
  switch (status) {
    case RunStatus::done: return 3;
    case RunStatus::failed: return 2;
    case RunStatus::running:
    case RunStatus::pending: return 1;
  }
  return 0;
}

bool same_path(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec);
}

}  // namespace

MergeReport ResultsStore::merge_from(const std::vector<std::filesystem::path>& sources) {
  // Read every source first (read-only connections: a source is never written),
  // so a bad source fails the merge before anything changes here.
  std::vector<std::pair<std::filesystem::path, std::vector<RunRecord>>> incoming;
  for (const auto& source : sources) {
    if (same_path(source, path())) {
      throw ConfigError(fmt::format("{}: cannot merge a results store into itself", source.string()));
    }
    ResultsStore store(source, StoreOptions{.read_only = true});
    incoming.emplace_back(source, store.runs());
  }

  MergeReport report;
  sqlite::Transaction transaction(db_);
  for (auto& [source, records] : incoming) {
    for (RunRecord& record : records) {
      if (record.status == RunStatus::running) {
        // Its worker belongs to the source store; here nobody owns it.
        record.status = RunStatus::pending;
        record.owner.reset();
      }
      std::optional<RunRecord> here = read_record(record.run.id, true);
      if (!here) {
        write_record(record);
        ++report.added;
        continue;
      }
      if (here->run.config != record.run.config || here->run.index != record.run.index ||
          here->run.seed != record.run.seed || here->run.fold != record.run.fold) {
        throw ConfigError(fmt::format("{}: run \"{}\" differs from the run of that id in {} (config, index, seed "
                                      "or fold): the stores come from different designs",
                                      source.string(), record.run.id, path().string()));
      }
      if (here->status == RunStatus::done && record.status == RunStatus::done) {
        if (!(here->results == record.results)) {
          throw IoError(fmt::format("{}: run \"{}\" is done there and in {} with different results; merge "
                                    "stores of disjoint shards, or drop one of them",
                                    source.string(), record.run.id, path().string()));
        }
        ++report.unchanged;
      } else if (progress(record.status) > progress(here->status)) {
        write_record(record);
        ++report.updated;
      } else {
        ++report.unchanged;
      }
    }
  }
  transaction.commit();
  return report;
}

}  // namespace bitlab::lab
