#pragma once
// The search config `bitlab search CONFIG.json` reads (docs/search.md §6),
// parsed without LibTorch: the space, the objective, the strategy and its
// options, where results go. The evaluator's and the cost models' sections
// are kept as raw JSON for the LibTorch side to read.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/core/nsga2.h"
#include "search/core/objective.h"
#include "search/core/references.h"
#include "search/core/space.h"
#include "search/core/strategy.h"

namespace bitlab::search {

struct SearchConfig {
  std::string source;  // the file, for messages
  SearchSpace space;
  Objective objective;
  // The plane of the Pareto front (and NSGA-II's objectives unless it names its own).
  std::vector<MetricGoal> front = {{"accuracy", true}, {"bops", false}};
  std::string strategy = "random";
  nlohmann::json strategy_options = nlohmann::json::object();  // validated by make_strategy
  int max_trials = 50;
  std::uint64_t seed = 0;
  std::filesystem::path output = "search";
  bool skip_cost_infeasible = true;
  // Flat policies ("w8a8", "w4a4", ...) evaluated like candidates and drawn with the front.
  std::vector<FlatReference> references;
  nlohmann::json evaluator = nlohmann::json::object();  // the QAT evaluator's section (src/search)
  nlohmann::json costs = nlohmann::json::object();      // cost-model options (src/search)
};

const std::vector<std::string>& strategy_names();

SearchConfig parse_search_config(const nlohmann::json& json, const std::string& source);
SearchConfig load_search_config(const std::filesystem::path& path);

// The strategy the config names, with its options; throws ConfigError naming
// /strategy/... for a bad option (checked here, before any training).
std::unique_ptr<Strategy> make_strategy(const SearchConfig& config);

}  // namespace bitlab::search
