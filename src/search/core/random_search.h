#pragma once
// Random search: candidates drawn uniformly (each knob independently) with the
// portable generator of quant/random.h, never the same one twice.
#include <cstdint>
#include <set>

#include "quant/random.h"
#include "search/core/strategy.h"

namespace bitlab::search {

Genes random_genes(const SearchSpace& space, quant::Generator& generator);
// A candidate not in `seen` (and inserts its index), or nullopt once the
// space is exhausted; falls back to enumeration when draws keep repeating.
std::optional<Genes> fresh_random_genes(const SearchSpace& space, quant::Generator& generator,
                                        std::set<std::uint64_t>& seen);

struct RandomSearchOptions {
  int budget = 1;  // epochs per trial
};

class RandomSearch : public Strategy {
 public:
  explicit RandomSearch(RandomSearchOptions options = {}) : options_(options) {}
  [[nodiscard]] std::string name() const override { return "random"; }
  void run(SearchContext& ctx) override;

 private:
  RandomSearchOptions options_;
};

}  // namespace bitlab::search
