#pragma once
// Every evaluated trial, one JSON object per line (docs/search.md §5). A line is
// written with one append and flushed to disk before the search moves on, so a
// killed search loses at most the trial it was evaluating; a torn last line is
// cut off when the log is reopened. Trials are found again by (canonical key,
// budget), which is how a rerun skips what was already evaluated.
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/core/objective.h"
#include "search/core/space.h"

namespace bitlab::search {

struct Trial {
  int index = 0;          // order of evaluation in the log
  std::string key;        // canonical_key
  int budget = 0;         // epochs
  Genes genes;
  Evaluation evaluation;
  bool skipped = false;   // not trained: its costs broke a budget (accuracy 0)
  std::string strategy;
  std::string finished_at;  // UTC, ISO 8601
};

nlohmann::json to_json(const SearchSpace& space, const Trial& trial);
Trial trial_from_json(const SearchSpace& space, const nlohmann::json& json, const std::string& source);

class TrialLog {
 public:
  // An in-memory log (tests, dry runs).
  TrialLog() = default;
  // Opens (creating) `path`; loads its trials, cutting off a torn last line.
  // A line that belongs to another search space is a ConfigError naming the line.
  TrialLog(std::filesystem::path path, const SearchSpace& space);

  [[nodiscard]] const Trial* find(const std::string& key, int budget) const;
  // Appends and (for a file log) makes the line durable before returning.
  const Trial& append(Trial trial);
  [[nodiscard]] const std::vector<Trial>& trials() const { return trials_; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  const SearchSpace* space_ = nullptr;
  std::vector<Trial> trials_;
  std::map<std::pair<std::string, int>, std::size_t> index_;
};

}  // namespace bitlab::search
