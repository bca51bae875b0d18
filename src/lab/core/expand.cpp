#include "lab/core/expand.h"

#include <fmt/format.h>

#include "common/error.h"
#include "lab/core/config_loader.h"

namespace bitlab::lab {
namespace {

std::string run_id(const std::string& variant, uint64_t seed, const std::optional<FoldAssignment>& fold) {
  std::string id = fmt::format("{}/seed={}", variant, seed);
  if (fold) id += fmt::format("/fold={}", fold->fold_index);
  return id;
}

nlohmann::json resolve_config(const Design& design, const std::vector<size_t>& variant, uint64_t seed,
                              const std::string& id) {
  nlohmann::json config = design.base;
  for (size_t f = 0; f < design.factors.size(); ++f) config.merge_patch(design.factors[f].levels[variant[f]].patch);
  try {
    config[nlohmann::json::json_pointer(design.seed_pointer)] = seed;
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(fmt::format("{}: /seed_pointer: run \"{}\": cannot write the seed at \"{}\" in the "
                                  "resolved config ({})",
                                  design.file.string(), id, design.seed_pointer, e.what()));
  }
  return config;
}

}  // namespace

std::string variant_name(const std::vector<LevelChoice>& levels) {
  if (levels.empty()) return "base";
  std::string name;
  for (const LevelChoice& choice : levels) {
    if (!name.empty()) name += ",";
    name += choice.factor + "=" + choice.level;
  }
  return name;
}

std::vector<Run> expand(const Design& design, const ExpandOptions& options) {
  std::vector<std::optional<FoldAssignment>> folds{std::nullopt};
  if (design.cross_validation) {
    folds.clear();
    for (int f = 0; f < design.cross_validation->folds; ++f) {
      folds.push_back(FoldAssignment{f, design.cross_validation->folds, design.cross_validation->seed});
    }
  }
  std::vector<Run> runs;
  for (uint64_t seed : design.seeds) {
    for (const auto& fold : folds) {
      for (const auto& variant : design.variants) {
        Run run;
        run.index = runs.size();
        for (size_t f = 0; f < design.factors.size(); ++f) {
          run.levels.push_back({design.factors[f].name, design.factors[f].levels[variant[f]].name});
        }
        run.variant = variant_name(run.levels);
        run.seed = seed;
        run.fold = fold;
        run.id = run_id(run.variant, seed, fold);
        run.config = resolve_config(design, variant, seed, run.id);
        if (options.validate) {
          try {
            options.validate(run.config);
          } catch (const ConfigError& e) {
            throw ConfigError(fmt::format("{}: run \"{}\": {}", design.file.string(), run.id, e.what()));
          }
        }
        runs.push_back(std::move(run));
      }
    }
  }
  return runs;
}

}  // namespace bitlab::lab
