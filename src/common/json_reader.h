#pragma once
// Reads a JSON object field by field and turns every mistake into a ConfigError
// that names the file, the JSON Pointer path (RFC 6901) and what was expected:
//
//   configs/x.json: /train/epochs: expected an integer in [1, 100000], got -3
//
// Every key a reader hands out is marked as used; finish() rejects the keys
// nobody asked for, so a typo ("epoch" for "epochs") is an error with a
// suggestion instead of a silently ignored setting.
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace bitlab {

class JsonReader {
 public:
  // `file` is used only in messages; `pointer` is the JSON Pointer of `value`.
  JsonReader(const nlohmann::json& value, std::string file, std::string pointer = "");

  // Parses a file; a missing file or a syntax error is a ConfigError with position.
  static nlohmann::json parse_file(const std::filesystem::path& path);

  bool has(std::string_view key) const;
  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }
  std::string pointer_of(std::string_view key) const;

  JsonReader object(std::string_view key) const;  // required
  std::optional<JsonReader> optional_object(std::string_view key) const;
  // Raw access for values whose schema lives elsewhere (marks the key as used).
  const nlohmann::json* raw(std::string_view key) const;

  int64_t integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) const;
  int64_t required_integer(std::string_view key, int64_t min, int64_t max) const;
  double number(std::string_view key, double fallback, double min, double max) const;
  bool boolean(std::string_view key, bool fallback) const;
  std::string string(std::string_view key, std::string fallback) const;
  std::string required_string(std::string_view key) const;
  std::string choice(std::string_view key, std::string fallback,
                     const std::vector<std::string>& allowed) const;
  std::vector<int64_t> integers(std::string_view key, std::vector<int64_t> fallback, int64_t min,
                                int64_t max, size_t min_count = 1,
                                size_t max_count = std::numeric_limits<size_t>::max()) const;

  // Throws for every key of this object that no accessor asked for.
  void finish() const;

  [[noreturn]] void fail(std::string_view key, std::string_view expectation) const;

 private:
  const nlohmann::json* lookup(std::string_view key) const;
  int64_t to_integer(std::string_view key, const nlohmann::json& v, int64_t min, int64_t max) const;

  const nlohmann::json* value_;
  std::string file_;
  std::string pointer_;
  std::shared_ptr<std::set<std::string>> used_;
};

// A short rendering of a JSON value for messages: `"abc" (a string)`.
std::string describe_json(const nlohmann::json& value);

}  // namespace bitlab
