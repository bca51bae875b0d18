#include "common/json_reader.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/error.h"
#include "common/text.h"

namespace bitlab {
namespace {

std::string escape_pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

const char* type_name(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a number";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::object: return "an object";
    default: return "a value";
  }
}

}  // namespace

std::string describe_json(const nlohmann::json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return fmt::format("{} ({})", text, type_name(value));
}

JsonReader::JsonReader(const nlohmann::json& value, std::string file, std::string pointer)
    : value_(&value),
      file_(std::move(file)),
      pointer_(std::move(pointer)),
      used_(std::make_shared<std::set<std::string>>()) {
  if (!value.is_object()) {
    throw ConfigError(fmt::format("{}: {}: expected an object, got {}", file_,
                                  pointer_.empty() ? "/" : pointer_, describe_json(value)));
  }
}

nlohmann::json JsonReader::parse_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    throw ConfigError(fmt::format("{}: cannot open config file (does it exist? paths are relative "
                                  "to the current directory)",
                                  path.string()));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return nlohmann::json::parse(buffer.str());
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann reports a byte offset; users want line and column.
    std::string text = buffer.str();
    size_t offset = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    size_t line = 1, column = 1;
    for (size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n') { ++line; column = 1; } else { ++column; }
    }
    throw ConfigError(fmt::format("{}:{}:{}: invalid JSON: {}", path.string(), line, column, e.what()));
  }
}

std::string JsonReader::pointer_of(std::string_view key) const {
  return pointer_ + "/" + escape_pointer_token(key);
}

void JsonReader::fail(std::string_view key, std::string_view expectation) const {
  const nlohmann::json* v = value_->contains(std::string(key)) ? &value_->at(std::string(key)) : nullptr;
  if (v) {
    throw ConfigError(fmt::format("{}: {}: expected {}, got {}", file_, pointer_of(key), expectation,
                                  describe_json(*v)));
  }
  throw ConfigError(fmt::format("{}: {}: missing; expected {}", file_, pointer_of(key), expectation));
}

const nlohmann::json* JsonReader::lookup(std::string_view key) const {
  std::string k(key);
  used_->insert(k);
  auto it = value_->find(k);
  return it == value_->end() ? nullptr : &*it;
}

bool JsonReader::has(std::string_view key) const { return value_->contains(std::string(key)); }

const nlohmann::json* JsonReader::raw(std::string_view key) const { return lookup(key); }

JsonReader JsonReader::object(std::string_view key) const {
  const nlohmann::json* v = lookup(key);
  if (!v || !v->is_object()) fail(key, "an object");
  return JsonReader(*v, file_, pointer_of(key));
}

std::optional<JsonReader> JsonReader::optional_object(std::string_view key) const {
  const nlohmann::json* v = lookup(key);
  if (!v) return std::nullopt;
  if (!v->is_object()) fail(key, "an object");
  return JsonReader(*v, file_, pointer_of(key));
}

int64_t JsonReader::to_integer(std::string_view key, const nlohmann::json& v, int64_t min,
                               int64_t max) const {
  std::string expectation = fmt::format("an integer in [{}, {}]", min, max);
  // 3.0 is accepted as 3; 3.5 is not an integer.
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d != static_cast<double>(static_cast<int64_t>(d))) fail(key, expectation);
  } else if (!v.is_number()) {
    fail(key, expectation);
  }
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(max)) fail(key, expectation);
  int64_t i = v.is_number_float() ? static_cast<int64_t>(v.get<double>()) : v.get<int64_t>();
  if (i < min || i > max) fail(key, expectation);
  return i;
}

int64_t JsonReader::integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) const {
  const nlohmann::json* v = lookup(key);
  return v ? to_integer(key, *v, min, max) : fallback;
}

int64_t JsonReader::required_integer(std::string_view key, int64_t min, int64_t max) const {
  const nlohmann::json* v = lookup(key);
  if (!v) fail(key, fmt::format("an integer in [{}, {}]", min, max));
  return to_integer(key, *v, min, max);
}

double JsonReader::number(std::string_view key, double fallback, double min, double max) const {
  const nlohmann::json* v = lookup(key);
  if (!v) return fallback;
  std::string expectation = fmt::format("a number in [{}, {}]", min, max);
  if (!v->is_number()) fail(key, expectation);
  double d = v->get<double>();
  if (!(d >= min && d <= max)) fail(key, expectation);
  return d;
}

bool JsonReader::boolean(std::string_view key, bool fallback) const {
  const nlohmann::json* v = lookup(key);
  if (!v) return fallback;
  if (!v->is_boolean()) fail(key, "true or false");
  return v->get<bool>();
}

std::string JsonReader::string(std::string_view key, std::string fallback) const {
  const nlohmann::json* v = lookup(key);
  if (!v) return fallback;
  if (!v->is_string()) fail(key, "a string");
  return v->get<std::string>();
}

std::string JsonReader::required_string(std::string_view key) const {
  const nlohmann::json* v = lookup(key);
  if (!v || !v->is_string()) fail(key, "a string");
  return v->get<std::string>();
}

std::string JsonReader::choice(std::string_view key, std::string fallback,
                               const std::vector<std::string>& allowed) const {
  const nlohmann::json* v = lookup(key);
  if (!v) return fallback;
  std::string expectation = "one of \"" + join(allowed, "\", \"") + "\"";
  if (!v->is_string()) fail(key, expectation);
  std::string s = v->get<std::string>();
  for (const auto& a : allowed)
    if (a == s) return s;
  std::string hint = closest_match(s, allowed);
  if (!hint.empty()) expectation += fmt::format(" (did you mean \"{}\"?)", hint);
  fail(key, expectation);
}

std::vector<int64_t> JsonReader::integers(std::string_view key, std::vector<int64_t> fallback,
                                          int64_t min, int64_t max, size_t min_count,
                                          size_t max_count) const {
  const nlohmann::json* v = lookup(key);
  if (!v) return fallback;
  std::string expectation =
      max_count == std::numeric_limits<size_t>::max()
          ? fmt::format("an array of at least {} integers in [{}, {}]", min_count, min, max)
          : fmt::format("an array of {} to {} integers in [{}, {}]", min_count, max_count, min, max);
  if (!v->is_array() || v->size() < min_count || v->size() > max_count) fail(key, expectation);
  std::vector<int64_t> out;
  for (size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    bool integral = item.is_number_integer() || item.is_number_unsigned() ||
                    (item.is_number_float() && item.get<double>() == static_cast<double>(static_cast<int64_t>(item.get<double>())));
    int64_t x = integral ? (item.is_number_float() ? static_cast<int64_t>(item.get<double>()) : item.get<int64_t>()) : 0;
    if (!integral || x < min || x > max) {
      throw ConfigError(fmt::format("{}: {}/{}: expected an integer in [{}, {}], got {}", file_,
                                    pointer_of(key), i, min, max, describe_json(item)));
    }
    out.push_back(x);
  }
  return out;
}

void JsonReader::finish() const {
  std::vector<std::string> known(used_->begin(), used_->end());
  for (const auto& [key, value] : value_->items()) {
    if (used_->count(key)) continue;
    std::string hint = closest_match(key, known);
    std::string suggestion = hint.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", hint);
    throw ConfigError(fmt::format("{}: {}: unknown key \"{}\"{}; allowed keys here: {}", file_,
                                  pointer_of(key), key, suggestion, join(known)));
  }
}

}  // namespace bitlab
