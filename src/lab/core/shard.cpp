#include "lab/core/shard.h"

#include <charconv>

#include <fmt/format.h>

#include "common/error.h"

namespace bitlab::lab {
namespace {

bool parse_count(std::string_view text, size_t& out) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string Shard::to_string() const { return fmt::format("{}/{}", number, count); }

Shard parse_shard(std::string_view text, std::string_view option) {
  size_t slash = text.find('/');
  Shard shard;
  bool ok = slash != std::string_view::npos && parse_count(text.substr(0, slash), shard.number) &&
            parse_count(text.substr(slash + 1), shard.count) && shard.count >= 1 && shard.number >= 1 &&
            shard.number <= shard.count;
  if (!ok) {
    throw ConfigError(fmt::format("{}: expected i/n with 1 <= i <= n (e.g. 2/4: the second of four shards), "
                                  "got \"{}\"",
                                  option, text));
  }
  return shard;
}

}  // namespace bitlab::lab
