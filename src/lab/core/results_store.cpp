#include "lab/core/results_store.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "common/error.h"
#include "lab/core/store_schema.h"

namespace bitlab::lab {
namespace {

constexpr const char* kRunColumns =
    "id, run_index, variant, levels, seed, fold_index, fold_count, split_seed, design_config, status, attempts, "
    "owner_pid, owner_start, error, resolved_config";

RunStatus parse_status(const std::string& text) {
  if (text == "pending") return RunStatus::pending;
  if (text == "running") return RunStatus::running;
  if (text == "done") return RunStatus::done;
  if (text == "failed") return RunStatus::failed;
  throw IoError("results store: unknown run status \"" + text + "\"");  // the schema's CHECK rules this out
}

nlohmann::json levels_to_json(const std::vector<LevelChoice>& levels) {
  nlohmann::json array = nlohmann::json::array();
  for (const LevelChoice& choice : levels) array.push_back({choice.factor, choice.level});
  return array;
}

std::vector<LevelChoice> levels_from_json(const nlohmann::json& array) {
  std::vector<LevelChoice> levels;
  for (const auto& pair : array) levels.push_back({pair.at(0).get<std::string>(), pair.at(1).get<std::string>()});
  return levels;
}

// Reads the columns of kRunColumns, in order, from the current row.
RunRecord record_from_row(const sqlite::Statement& row) {
  RunRecord record;
  Run& run = record.run;
  run.id = row.text(0);
  run.index = static_cast<size_t>(row.integer(1));
  run.variant = row.text(2);
  run.levels = levels_from_json(nlohmann::json::parse(row.text(3)));
  run.seed = static_cast<uint64_t>(row.integer(4));
  if (!row.is_null(5)) {
    run.fold = FoldAssignment{static_cast<int>(row.integer(5)), static_cast<int>(row.integer(6)),
                              static_cast<uint64_t>(row.integer(7))};
  }
  run.config = nlohmann::json::parse(row.text(8));
  record.status = parse_status(row.text(9));
  record.attempts = static_cast<int>(row.integer(10));
  if (!row.is_null(11)) record.owner = ProcessIdentity{row.integer(11), row.integer(12)};
  record.error = row.text(13);
  if (!row.is_null(14)) record.results.resolved_config = nlohmann::json::parse(row.text(14));
  return record;
}

// The fields that make a run the same run: a store filled from one design
// must not silently mix in runs of a changed one.
std::string identity_difference(const Run& stored, const Run& incoming) {
  if (stored.config != incoming.config) {
    nlohmann::json patch = nlohmann::json::diff(stored.config, incoming.config);
    return fmt::format("its config differs at {}", patch.empty() ? "/" : patch[0].value("path", "/"));
  }
  if (stored.index != incoming.index) return fmt::format("its index is {} there, {} here", stored.index, incoming.index);
  if (stored.variant != incoming.variant || stored.levels != incoming.levels) return "its levels differ";
  if (stored.seed != incoming.seed) return "its seed differs";
  if (stored.fold != incoming.fold) return "its fold differs";
  return "";
}

void require_named(const std::string& name, std::string_view what, const std::string& run_id) {
  if (name.empty()) throw std::invalid_argument(fmt::format("run {}: a {} with an empty name", run_id, what));
}

bool same_value(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

}  // namespace

std::string_view to_string(RunStatus status) {
  switch (status) {
    case RunStatus::pending: return "pending";
    case RunStatus::running: return "running";
    case RunStatus::done: return "done";
    case RunStatus::failed: return "failed";
  }
  return "?";
}

bool RunResults::operator==(const RunResults& other) const {
  auto same_series = [](const std::vector<double>& a, const std::vector<double>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), same_value);
  };
  return std::equal(metrics.begin(), metrics.end(), other.metrics.begin(), other.metrics.end(),
                    [](const auto& a, const auto& b) { return a.first == b.first && same_value(a.second, b.second); }) &&
         std::equal(curves.begin(), curves.end(), other.curves.begin(), other.curves.end(),
                    [&](const auto& a, const auto& b) { return a.first == b.first && same_series(a.second, b.second); }) &&
         artefacts == other.artefacts && resolved_config == other.resolved_config;
}

ResultsStore::ResultsStore(const std::filesystem::path& path, const StoreOptions& options)
    : db_(open_store_database(path, options)), self_(ProcessIdentity::current()) {}

size_t ResultsStore::add_runs(const std::vector<Run>& runs) {
  sqlite::Transaction transaction(db_);
  size_t added = 0;
  for (const Run& run : runs) {
    if (auto stored = read_record(run.id, false)) {
      std::string difference = identity_difference(stored->run, run);
      if (!difference.empty()) {
        throw ConfigError(fmt::format("{}: run \"{}\" is already in this store but {}: the design changed since "
                                      "the store was filled; use a new results store for the changed design",
                                      path().string(), run.id, difference));
      }
      continue;
    }
    RunRecord record;
    record.run = run;
    write_record(record);
    ++added;
  }
  transaction.commit();
  return added;
}

void ResultsStore::release_dead_claims(const Shard& shard) {
  sqlite::Statement running(db_,
                            "SELECT id, owner_pid, owner_start FROM runs WHERE status = 'running' AND "
                            "run_index % ?1 = ?2");
  running.bind(1, static_cast<int64_t>(shard.count)).bind(2, static_cast<int64_t>(shard.number - 1));
  std::vector<std::string> dead;
  while (running.step()) {
    ProcessIdentity owner{running.integer(1), running.integer(2)};
    if (running.is_null(1) || !owner.alive()) dead.push_back(running.text(0));
  }
  sqlite::Statement release(db_,
                            "UPDATE runs SET status = 'pending', owner_pid = NULL, owner_start = NULL WHERE id = ?1");
  for (const std::string& id : dead) release.bind(1, id).run();
}

std::optional<RunRecord> ResultsStore::claim_next_pending(const Shard& shard) {
  sqlite::Transaction transaction(db_);
  release_dead_claims(shard);
  sqlite::Statement next(db_,
                         "SELECT id FROM runs WHERE status = 'pending' AND run_index % ?1 = ?2 "
                         "ORDER BY run_index LIMIT 1");
  next.bind(1, static_cast<int64_t>(shard.count)).bind(2, static_cast<int64_t>(shard.number - 1));
  if (!next.step()) {
    transaction.commit();  // keeps the released dead claims
    return std::nullopt;
  }
  std::string id = next.text(0);
  sqlite::Statement claim(db_,
                          "UPDATE runs SET status = 'running', owner_pid = ?2, owner_start = ?3, attempts = "
                          "attempts + 1, claimed_at = datetime('now'), error = NULL WHERE id = ?1");
  claim.bind(1, id).bind(2, self_.pid).bind(3, self_.start_ticks).run();
  std::optional<RunRecord> record = read_record(id, false);
  transaction.commit();
  return record;
}

void ResultsStore::mark_done(const std::string& run_id, const RunResults& results) {
  sqlite::Transaction transaction(db_);
  std::optional<RunRecord> record = read_record(run_id, false);
  if (!record || record->status != RunStatus::running || record->owner != self_) {
    throw std::logic_error(fmt::format("{}: run \"{}\" is not running under this process ({}); claim it first",
                                       path().string(), run_id,
                                       record ? std::string(to_string(record->status)) : "no such run"));
  }
  write_results(run_id, results);
  sqlite::Statement done(db_,
                         "UPDATE runs SET status = 'done', finished_at = datetime('now'), owner_pid = NULL, "
                         "owner_start = NULL, error = NULL, resolved_config = ?2 WHERE id = ?1");
  const nlohmann::json& config = results.resolved_config.is_null() ? record->run.config : results.resolved_config;
  done.bind(1, run_id).bind(2, config.dump()).run();
  transaction.commit();
}

void ResultsStore::mark_failed(const std::string& run_id, std::string_view error) {
  sqlite::Transaction transaction(db_);
  std::optional<RunRecord> record = read_record(run_id, false);
  if (!record || record->status != RunStatus::running || record->owner != self_) {
    throw std::logic_error(fmt::format("{}: run \"{}\" is not running under this process; claim it first",
                                       path().string(), run_id));
  }
  sqlite::Statement failed(db_,
                           "UPDATE runs SET status = 'failed', finished_at = datetime('now'), owner_pid = NULL, "
                           "owner_start = NULL, error = ?2 WHERE id = ?1");
  failed.bind(1, run_id).bind(2, error).run();
  transaction.commit();
}

size_t ResultsStore::reset_failed() {
  sqlite::Transaction transaction(db_);
  db_.execute("UPDATE runs SET status = 'pending', error = NULL WHERE status = 'failed'");
  auto changed = static_cast<size_t>(db_.query_integer("SELECT changes()"));
  transaction.commit();
  return changed;
}

StatusCounts ResultsStore::counts(const std::optional<Shard>& shard) {
  Shard all;
  const Shard& s = shard ? *shard : all;
  sqlite::Statement query(db_, "SELECT status, count(*) FROM runs WHERE run_index % ?1 = ?2 GROUP BY status");
  query.bind(1, static_cast<int64_t>(s.count)).bind(2, static_cast<int64_t>(s.number - 1));
  StatusCounts counts;
  while (query.step()) {
    auto n = static_cast<size_t>(query.integer(1));
    switch (parse_status(query.text(0))) {
      case RunStatus::pending: counts.pending = n; break;
      case RunStatus::running: counts.running = n; break;
      case RunStatus::done: counts.done = n; break;
      case RunStatus::failed: counts.failed = n; break;
    }
  }
  return counts;
}

std::optional<RunRecord> ResultsStore::find(const std::string& run_id) {
  sqlite::Transaction snapshot(db_, sqlite::TransactionKind::read);
  return read_record(run_id, true);
}

std::vector<RunRecord> ResultsStore::runs() {
  sqlite::Transaction snapshot(db_, sqlite::TransactionKind::read);
  sqlite::Statement query(db_, fmt::format("SELECT {} FROM runs ORDER BY run_index, id", kRunColumns));
  std::vector<RunRecord> records;
  while (query.step()) records.push_back(record_from_row(query));
  for (RunRecord& record : records) {
    if (record.status != RunStatus::done) continue;
    nlohmann::json config = std::move(record.results.resolved_config);
    record.results = read_results(record.run.id);
    record.results.resolved_config = std::move(config);
  }
  return records;
}

std::vector<MetricValue> ResultsStore::metric(std::string_view name) {
  sqlite::Statement query(db_,
                          "SELECT runs.id, variant, seed, fold_index, value FROM metrics JOIN runs ON "
                          "runs.id = metrics.run_id WHERE runs.status = 'done' AND metrics.name = ?1 "
                          "ORDER BY run_index, runs.id");
  query.bind(1, name);
  std::vector<MetricValue> values;
  while (query.step()) {
    MetricValue v;
    v.run_id = query.text(0);
    v.variant = query.text(1);
    v.seed = static_cast<uint64_t>(query.integer(2));
    if (!query.is_null(3)) v.fold = static_cast<int>(query.integer(3));
    v.value = query.real(4);
    values.push_back(std::move(v));
  }
  return values;
}

std::optional<RunRecord> ResultsStore::read_record(const std::string& run_id, bool with_results) {
  sqlite::Statement query(db_, fmt::format("SELECT {} FROM runs WHERE id = ?1", kRunColumns));
  query.bind(1, run_id);
  if (!query.step()) return std::nullopt;
  RunRecord record = record_from_row(query);
  if (with_results && record.status == RunStatus::done) {
    nlohmann::json config = std::move(record.results.resolved_config);
    record.results = read_results(run_id);
    record.results.resolved_config = std::move(config);
  }
  return record;
}

RunResults ResultsStore::read_results(const std::string& run_id) {
  RunResults results;
  sqlite::Statement metrics(db_, "SELECT name, value FROM metrics WHERE run_id = ?1");
  metrics.bind(1, run_id);
  while (metrics.step()) results.metrics[metrics.text(0)] = metrics.real(1);
  sqlite::Statement curves(db_, "SELECT name, epoch, value FROM curves WHERE run_id = ?1 ORDER BY name, epoch");
  curves.bind(1, run_id);
  while (curves.step()) {
    auto& series = results.curves[curves.text(0)];
    series.resize(static_cast<size_t>(curves.integer(1)), std::nan(""));
    series.back() = curves.real(2);
  }
  sqlite::Statement artefacts(db_, "SELECT name, path FROM artefacts WHERE run_id = ?1");
  artefacts.bind(1, run_id);
  while (artefacts.step()) results.artefacts[artefacts.text(0)] = artefacts.text(1);
  return results;
}

void ResultsStore::write_results(const std::string& run_id, const RunResults& results) {
  for (const char* table : {"metrics", "curves", "artefacts"}) {
    sqlite::Statement clear(db_, fmt::format("DELETE FROM {} WHERE run_id = ?1", table));
    clear.bind(1, run_id).run();
  }
  sqlite::Statement metric(db_, "INSERT INTO metrics (run_id, name, value) VALUES (?1, ?2, ?3)");
  for (const auto& [name, value] : results.metrics) {
    require_named(name, "metric", run_id);
    metric.bind(1, run_id).bind(2, name).bind(3, value).run();
  }
  sqlite::Statement point(db_, "INSERT INTO curves (run_id, name, epoch, value) VALUES (?1, ?2, ?3, ?4)");
  for (const auto& [name, series] : results.curves) {
    require_named(name, "curve", run_id);
    for (size_t epoch = 0; epoch < series.size(); ++epoch) {
      point.bind(1, run_id).bind(2, name).bind(3, static_cast<int64_t>(epoch + 1)).bind(4, series[epoch]).run();
    }
  }
  sqlite::Statement artefact(db_, "INSERT INTO artefacts (run_id, name, path) VALUES (?1, ?2, ?3)");
  for (const auto& [name, file] : results.artefacts) {
    require_named(name, "artefact", run_id);
    artefact.bind(1, run_id).bind(2, name).bind(3, file).run();
  }
}

void ResultsStore::write_record(const RunRecord& record) {
  const Run& run = record.run;
  sqlite::Statement remove(db_, "DELETE FROM runs WHERE id = ?1");
  remove.bind(1, run.id).run();
  sqlite::Statement insert(db_, fmt::format("INSERT INTO runs ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                                            "?10, ?11, ?12, ?13, ?14, ?15)",
                                            kRunColumns));
  insert.bind(1, run.id)
      .bind(2, static_cast<int64_t>(run.index))
      .bind(3, run.variant)
      .bind(4, levels_to_json(run.levels).dump())
      .bind(5, static_cast<int64_t>(run.seed));
  if (run.fold) {
    insert.bind(6, static_cast<int64_t>(run.fold->fold_index))
        .bind(7, static_cast<int64_t>(run.fold->fold_count))
        .bind(8, static_cast<int64_t>(run.fold->split_seed));
  }
  insert.bind(9, run.config.dump()).bind(10, to_string(record.status)).bind(11, static_cast<int64_t>(record.attempts));
  if (record.owner) insert.bind(12, record.owner->pid).bind(13, record.owner->start_ticks);
  if (!record.error.empty()) insert.bind(14, record.error);
  if (!record.results.resolved_config.is_null()) insert.bind(15, record.results.resolved_config.dump());
  insert.run();
  if (record.status == RunStatus::done) write_results(run.id, record.results);
  else write_results(run.id, RunResults{});
}

}  // namespace bitlab::lab
