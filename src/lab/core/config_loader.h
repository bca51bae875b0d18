#pragma once
// Config files that build on a base file.
//
// A config may name a base with "extends": the base is loaded first (it may
// itself extend another file), then the rest of this file is applied to it as
// a JSON Merge Patch (RFC 7386): objects merge key by key, `null` removes a
// key, anything else (numbers, strings, arrays) replaces the base's value.
//
//   {"extends": "../fmnist-cnn.json", "train": {"epochs": 3}, "quantization": null}
//
// Merge Patch rather than JSON Patch (RFC 6902) because a patch then reads like
// the config it changes, which is what design files (docs/lab.md) list per level.
#include <filesystem>

#include <nlohmann/json.hpp>

namespace bitlab::lab {

// Reads `path` and resolves its "extends" chain. A relative "extends" is taken
// from the folder of the file that names it. A missing or unreadable base, a
// non-string "extends" or a cycle is a ConfigError naming the file, the JSON
// pointer "/extends" and what was expected. The result holds no "extends" key.
nlohmann::json load_config(const std::filesystem::path& path);

// RFC 7386 applied to a copy of `target`.
nlohmann::json apply_merge_patch(nlohmann::json target, const nlohmann::json& patch);

}  // namespace bitlab::lab
