#include "search/core/random_search.h"

namespace bitlab::search {

Genes random_genes(const SearchSpace& space, quant::Generator& generator) {
  Genes genes(space.knobs.size());
  for (std::size_t d = 0; d < genes.size(); ++d)
    genes[d] = static_cast<int>(quant::uniform_below(generator, space.knobs[d].bits.size()));
  return genes;
}

std::optional<Genes> fresh_random_genes(const SearchSpace& space, quant::Generator& generator,
                                        std::set<std::uint64_t>& seen) {
  const std::uint64_t size = space.size();
  if (seen.size() >= size) return std::nullopt;
  for (int attempt = 0; attempt < 64; ++attempt) {
    Genes genes = random_genes(space, generator);
    if (seen.insert(space.index_of(genes)).second) return genes;
  }
  // Nearly exhausted (a small space): the first unseen one from a random start.
  const std::uint64_t start = quant::uniform_below(generator, size);
  for (std::uint64_t i = 0; i < size; ++i) {
    const std::uint64_t index = (start + i) % size;
    if (seen.insert(index).second) return space.from_index(index);
  }
  return std::nullopt;
}

void RandomSearch::run(SearchContext& ctx) {
  quant::Generator generator(ctx.options().seed);
  std::set<std::uint64_t> seen;
  while (!ctx.exhausted()) {
    auto genes = fresh_random_genes(ctx.space(), generator, seen);
    if (!genes) break;
    ctx.evaluate(*genes, options_.budget);
  }
}

}  // namespace bitlab::search
