#pragma once
// An experiment design: a base config, factors whose levels are config patches,
// training seeds and (optionally) k-fold cross-validation. The schema is in
// docs/lab.md; expand.h turns a design into runs.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bitlab::lab {

// One value of a factor: a name and a JSON Merge Patch (RFC 7386) on the base config.
struct Level {
  std::string name;
  nlohmann::json patch = nlohmann::json::object();
};

struct Factor {
  std::string name;
  std::vector<Level> levels;
};

// k-fold cross-validation over the training split (the test set stays held out).
// The fold assignment depends only on `seed`, not on the training seed, so every
// variant and every seed sees the same folds and comparisons can pair by fold.
struct CrossValidation {
  int folds = 5;
  uint64_t seed = 0;
};

struct Design {
  std::string name;
  std::filesystem::path file;  // for messages; empty for designs built in code
  nlohmann::json base = nlohmann::json::object();  // resolved base config ("extends" applied)
  std::vector<Factor> factors;
  // The variants to run, each one level index per factor (in factor order):
  // the full factorial, or the subset listed under "runs".
  std::vector<std::vector<size_t>> variants;
  std::vector<uint64_t> seeds{1};
  std::string seed_pointer = "/train/seed";  // where each run's seed is written in its config
  std::optional<CrossValidation> cross_validation;
};

// Reads a design file. Errors are ConfigErrors naming the file, the JSON pointer
// and what was expected. A relative "base" path is taken from the design's folder.
Design load_design(const std::filesystem::path& path);

// Parses a design already in memory; `file` is used in messages and a relative
// "base" path is resolved against `file`'s folder.
Design parse_design(const nlohmann::json& json, const std::filesystem::path& file);

// Every combination of levels, the last factor varying fastest.
std::vector<std::vector<size_t>> full_factorial(const std::vector<Factor>& factors);

}  // namespace bitlab::lab
