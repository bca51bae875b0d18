#pragma once
// `--shard i/n`: n workers (or machines) split one design; shard i takes every
// n-th run, starting with run i-1. 1-based like most CI tools' "i of n".
#include <cstddef>
#include <string>
#include <string_view>

namespace bitlab::lab {

struct Shard {
  size_t number = 1;  // 1..count
  size_t count = 1;
  bool contains(size_t run_index) const { return run_index % count == number - 1; }
  std::string to_string() const;
};

// "2/4" → {2, 4}. Anything else (0/4, 5/4, "2", "a/b") is a ConfigError naming
// `option` (e.g. "--shard") and the expected form.
Shard parse_shard(std::string_view text, std::string_view option = "--shard");

}  // namespace bitlab::lab
