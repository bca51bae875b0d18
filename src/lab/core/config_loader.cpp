#include "lab/core/config_loader.h"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_reader.h"

namespace bitlab::lab {
namespace {

constexpr const char* kExtendsKey = "extends";

std::string describe_chain(const std::vector<std::filesystem::path>& chain,
                           const std::filesystem::path& repeated) {
  std::string text;
  for (const auto& file : chain) text += file.string() + " -> ";
  return text + repeated.string();
}

// `chain` holds the canonical paths of the files currently being resolved, so a
// file that extends (directly or not) itself is reported instead of recursing forever.
nlohmann::json load_chain(const std::filesystem::path& path, std::vector<std::filesystem::path>& chain) {
  nlohmann::json config = JsonReader::parse_file(path);
  if (!config.is_object()) {
    throw ConfigError(fmt::format("{}: /: expected an object, got {}", path.string(), describe_json(config)));
  }
  auto extends = config.find(kExtendsKey);
  if (extends == config.end()) return config;
  if (!extends->is_string() || extends->get<std::string>().empty()) {
    throw ConfigError(fmt::format("{}: /{}: expected the path of a base config (a string), got {}",
                                  path.string(), kExtendsKey, describe_json(*extends)));
  }
  std::filesystem::path base = extends->get<std::string>();
  if (base.is_relative()) base = path.parent_path() / base;
  std::filesystem::path canonical_base = std::filesystem::weakly_canonical(base);
  for (const auto& seen : chain) {
    if (seen == canonical_base) {
      throw ConfigError(fmt::format("{}: /{}: configs extend each other in a cycle: {}", path.string(),
                                    kExtendsKey, describe_chain(chain, canonical_base)));
    }
  }
  chain.push_back(canonical_base);
  nlohmann::json resolved;
  try {
    resolved = load_chain(base, chain);
  } catch (const ConfigError& e) {
    // Keep the inner message (it names the base file and its own path) and say who asked for it.
    throw ConfigError(fmt::format("{}: /{}: {}", path.string(), kExtendsKey, e.what()));
  }
  chain.pop_back();
  config.erase(kExtendsKey);
  resolved.merge_patch(config);
  return resolved;
}

}  // namespace

nlohmann::json load_config(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> chain{std::filesystem::weakly_canonical(path)};
  return load_chain(path, chain);
}

nlohmann::json apply_merge_patch(nlohmann::json target, const nlohmann::json& patch) {
  target.merge_patch(patch);
  return target;
}

}  // namespace bitlab::lab
