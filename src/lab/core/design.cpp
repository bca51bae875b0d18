#include "lab/core/design.h"

#include <set>

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"
#include "lab/core/config_loader.h"

namespace bitlab::lab {
namespace {

constexpr int64_t kMaxSeed = int64_t{1} << 53;  // seeds survive a trip through a JSON double

// Factor and level names become part of run ids ("bits=w4,algo=lsq/seed=1"), so
// the separators '=', ',' and '/' (and anything a shell or file system might mangle) are kept out.
bool is_identifier(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.' || c == '+';
    if (!ok) return false;
  }
  return true;
}

constexpr const char* kIdentifierExpectation =
    "a name of 1 to 64 letters, digits, '_', '-', '.' or '+'";

std::string identifier(const JsonReader& r, std::string_view key) {
  std::string name = r.required_string(key);
  if (!is_identifier(name)) r.fail(key, kIdentifierExpectation);
  return name;
}

// The array under `key` as one JsonReader per object item (pointer /key/i).
std::vector<JsonReader> object_items(const JsonReader& r, std::string_view key, std::string_view expectation) {
  const nlohmann::json* array = r.raw(key);
  std::vector<JsonReader> items;
  if (!array) return items;
  if (!array->is_array()) r.fail(key, expectation);
  for (size_t i = 0; i < array->size(); ++i) {
    std::string pointer = fmt::format("{}/{}", r.pointer_of(key), i);
    if (!(*array)[i].is_object()) {
      throw ConfigError(fmt::format("{}: {}: expected an object, got {}", r.file(), pointer,
                                    describe_json((*array)[i])));
    }
    items.emplace_back((*array)[i], r.file(), pointer);
  }
  return items;
}

nlohmann::json parse_base(const JsonReader& r, const std::filesystem::path& design_file) {
  const nlohmann::json* base = r.raw("base");
  if (!base) return nlohmann::json::object();
  if (base->is_object()) return *base;
  if (!base->is_string()) r.fail("base", "the path of a config file (a string) or an inline config object");
  std::filesystem::path path = base->get<std::string>();
  if (path.is_relative()) path = design_file.parent_path() / path;
  try {
    return load_config(path);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}: {}", r.file(), r.pointer_of("base"), e.what()));
  }
}

Level parse_level(const JsonReader& r) {
  Level level;
  level.name = identifier(r, "name");
  if (const nlohmann::json* patch = r.raw("patch")) {
    if (!patch->is_object()) r.fail("patch", "a JSON Merge Patch (an object) on the base config");
    level.patch = *patch;
  }
  r.finish();
  return level;
}

Factor parse_factor(const JsonReader& r) {
  Factor factor;
  factor.name = identifier(r, "name");
  std::set<std::string> seen;
  for (const JsonReader& item : object_items(r, "levels", "an array of level objects")) {
    Level level = parse_level(item);
    if (!seen.insert(level.name).second) {
      throw ConfigError(fmt::format("{}: {}/name: level \"{}\" appears twice in factor \"{}\"", item.file(),
                                    item.pointer(), level.name, factor.name));
    }
    factor.levels.push_back(std::move(level));
  }
  if (factor.levels.empty()) r.fail("levels", "an array of at least one level object");
  r.finish();
  return factor;
}

std::vector<std::vector<size_t>> parse_listed_runs(const JsonReader& r, const std::vector<Factor>& factors) {
  std::vector<std::vector<size_t>> variants;
  std::set<std::vector<size_t>> seen;
  for (const JsonReader& item : object_items(r, "runs", "an array of objects naming one level per factor")) {
    std::vector<size_t> variant;
    for (const Factor& factor : factors) {
      std::vector<std::string> names;
      for (const Level& level : factor.levels) names.push_back(level.name);
      if (!item.has(factor.name)) {
        item.fail(factor.name, fmt::format("a level of factor \"{}\" (every listed run names one level "
                                           "per factor)",
                                           factor.name));
      }
      std::string chosen = item.choice(factor.name, "", names);
      for (size_t i = 0; i < names.size(); ++i)
        if (names[i] == chosen) variant.push_back(i);
    }
    item.finish();
    if (!seen.insert(variant).second) {
      throw ConfigError(fmt::format("{}: {}: this combination of levels is listed twice", item.file(),
                                    item.pointer()));
    }
    variants.push_back(std::move(variant));
  }
  if (variants.empty()) r.fail("runs", "a non-empty array (leave \"runs\" out for the full factorial)");
  return variants;
}

std::string parse_seed_pointer(const JsonReader& r) {
  std::string pointer = r.string("seed_pointer", "/train/seed");
  try {
    if (pointer.empty()) throw std::invalid_argument("empty");
    nlohmann::json::json_pointer parsed(pointer);
  } catch (const std::exception&) {
    r.fail("seed_pointer", "a JSON Pointer (RFC 6901) such as \"/train/seed\"");
  }
  return pointer;
}

// The design owns the seed: a level that also sets it would be silently overridden.
void reject_seed_in_patches(const Design& design) {
  nlohmann::json::json_pointer seed(design.seed_pointer);
  for (size_t f = 0; f < design.factors.size(); ++f) {
    for (size_t l = 0; l < design.factors[f].levels.size(); ++l) {
      bool sets_seed = false;
      try {
        sets_seed = design.factors[f].levels[l].patch.contains(seed);
      } catch (const nlohmann::json::exception&) {
        sets_seed = false;  // the path runs through a non-object: the patch cannot hold the seed
      }
      if (sets_seed) {
        throw ConfigError(fmt::format("{}: /factors/{}/levels/{}/patch{}: sets the seed, which the design "
                                      "sets per run from \"seeds\"; remove it from the patch",
                                      design.file.string(), f, l, design.seed_pointer));
      }
    }
  }
}

}  // namespace

std::vector<std::vector<size_t>> full_factorial(const std::vector<Factor>& factors) {
  std::vector<std::vector<size_t>> variants{{}};
  for (const Factor& factor : factors) {
    std::vector<std::vector<size_t>> extended;
    for (const auto& prefix : variants) {
      for (size_t level = 0; level < factor.levels.size(); ++level) {
        extended.push_back(prefix);
        extended.back().push_back(level);
      }
    }
    variants = std::move(extended);
  }
  return variants;
}

Design parse_design(const nlohmann::json& json, const std::filesystem::path& file) {
  JsonReader r(json, file.string());
  Design design;
  design.file = file;
  design.name = r.string("name", file.stem().string());
  if (!is_identifier(design.name)) r.fail("name", kIdentifierExpectation);
  design.base = parse_base(r, file);

  std::set<std::string> factor_names;
  for (const JsonReader& item : object_items(r, "factors", "an array of factor objects")) {
    Factor factor = parse_factor(item);
    if (!factor_names.insert(factor.name).second) {
      throw ConfigError(fmt::format("{}: {}/name: factor \"{}\" appears twice", item.file(), item.pointer(),
                                    factor.name));
    }
    design.factors.push_back(std::move(factor));
  }
  design.variants = r.has("runs") ? parse_listed_runs(r, design.factors) : full_factorial(design.factors);

  std::vector<int64_t> seeds = r.integers("seeds", {1}, 0, kMaxSeed, 1);
  std::set<int64_t> unique_seeds(seeds.begin(), seeds.end());
  if (unique_seeds.size() != seeds.size()) r.fail("seeds", "distinct seeds");
  design.seeds.assign(seeds.begin(), seeds.end());
  design.seed_pointer = parse_seed_pointer(r);

  if (auto cv = r.optional_object("cross_validation")) {
    CrossValidation c;
    c.folds = static_cast<int>(cv->required_integer("folds", 2, 1000));
    c.seed = static_cast<uint64_t>(cv->integer("seed", 0, 0, kMaxSeed));
    cv->finish();
    design.cross_validation = c;
  }
  r.finish();
  reject_seed_in_patches(design);
  return design;
}

Design load_design(const std::filesystem::path& path) {
  return parse_design(JsonReader::parse_file(path), path);
}

}  // namespace bitlab::lab
