#include "search/core/hyperband.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <stdexcept>

#include "search/core/random_search.h"

namespace bitlab::search {

std::vector<Rung> successive_halving(SearchContext& ctx, std::vector<Genes> candidates, int min_budget,
                                     int max_budget, int eta, bool continue_trials) {
  if (eta < 2 || min_budget < 1 || max_budget < min_budget)
    throw std::invalid_argument("successive_halving: need eta ≥ 2 and 1 ≤ min_budget ≤ max_budget");
  std::vector<Rung> rungs;
  int budget = min_budget;
  int previous = 0;  // the budget the candidates were evaluated at in the rung before (0: none)
  while (!candidates.empty()) {
    Rung rung;
    rung.budget = budget;
    for (const auto& genes : candidates) {
      if (ctx.exhausted()) break;
      rung.scores.push_back(ctx.score(ctx.evaluate(genes, budget, continue_trials ? previous : 0)));
      rung.candidates.push_back(genes);
    }
    rungs.push_back(rung);
    if (rung.candidates.size() <= 1 || budget >= max_budget || ctx.exhausted()) break;
    std::vector<std::size_t> order(rung.candidates.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return rung.scores[a] > rung.scores[b]; });
    const std::size_t keep = std::max<std::size_t>(1, rung.candidates.size() / static_cast<std::size_t>(eta));
    candidates.clear();
    for (std::size_t i = 0; i < keep; ++i) candidates.push_back(rung.candidates[order[i]]);
    previous = budget;
    budget = static_cast<int>(std::min<long long>(static_cast<long long>(budget) * eta, max_budget));
  }
  return rungs;
}

void Hyperband::run(SearchContext& ctx) {
  const auto& o = options_;
  if (o.eta < 2 || o.min_budget < 1 || o.max_budget < o.min_budget)
    throw std::invalid_argument("hyperband: need eta ≥ 2 and 1 ≤ min_budget ≤ max_budget");
  int s_max = 0;
  while (static_cast<long long>(o.min_budget) * static_cast<long long>(std::pow(o.eta, s_max + 1)) <= o.max_budget) ++s_max;
  quant::Generator generator(ctx.options().seed);
  std::set<std::uint64_t> seen;
  for (int s = s_max; s >= 0 && !ctx.exhausted(); --s) {
    const int n = static_cast<int>(std::ceil(static_cast<double>(s_max + 1) / (s + 1) * std::pow(o.eta, s)));
    const int start = std::max(o.min_budget, static_cast<int>(o.max_budget / std::pow(o.eta, s)));
    std::vector<Genes> candidates;
    for (int i = 0; i < n; ++i) {
      // Each bracket draws afresh; `seen` only avoids repeats within the search.
      auto genes = fresh_random_genes(ctx.space(), generator, seen);
      if (!genes) break;
      candidates.push_back(*genes);
    }
    if (candidates.empty()) break;
    successive_halving(ctx, candidates, start, o.max_budget, o.eta, o.continue_trials);
    if (!o.hyperband) break;
  }
}

}  // namespace bitlab::search
