#include "search/core/gp_bo.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "search/core/gaussian_process.h"
#include "search/core/random_search.h"

namespace bitlab::search {

Eigen::VectorXd encode(const SearchSpace& space, const Genes& genes) {
  Eigen::VectorXd x(static_cast<Eigen::Index>(space.knobs.size()));
  for (std::size_t d = 0; d < space.knobs.size(); ++d) {
    const auto& bits = space.knobs[d].bits;
    const double low = std::log2(bits.front()), high = std::log2(bits.back());
    x(static_cast<Eigen::Index>(d)) =
        high > low ? (std::log2(bits[static_cast<std::size_t>(genes[d])]) - low) / (high - low) : 0.0;
  }
  return x;
}

void GpBo::run(SearchContext& ctx) {
  const SearchSpace& space = ctx.space();
  quant::Generator generator(ctx.options().seed);
  std::set<std::uint64_t> seen;
  std::vector<Genes> observed;
  std::vector<double> scores;
  auto observe = [&](const Genes& genes) {
    const Trial trial = ctx.evaluate(genes, options_.budget);
    observed.push_back(genes);
    scores.push_back(ctx.score(trial));
  };

  const int initial = options_.initial > 0 ? options_.initial : std::max<int>(4, static_cast<int>(space.dimensions()) + 1);
  while (!ctx.exhausted() && static_cast<int>(observed.size()) < initial) {
    auto genes = fresh_random_genes(space, generator, seen);
    if (!genes) return;
    observe(*genes);
  }

  const bool enumerate = space.size() <= static_cast<std::uint64_t>(options_.candidates);
  GaussianProcess gp;
  while (!ctx.exhausted() && seen.size() < space.size()) {
    Eigen::MatrixXd x(static_cast<Eigen::Index>(observed.size()), static_cast<Eigen::Index>(space.dimensions()));
    for (std::size_t i = 0; i < observed.size(); ++i) x.row(static_cast<Eigen::Index>(i)) = encode(space, observed[i]).transpose();
    gp.fit(x, Eigen::Map<const Eigen::VectorXd>(scores.data(), static_cast<Eigen::Index>(scores.size())));
    const double best = *std::max_element(scores.begin(), scores.end());

    // Candidates: the whole space when small; otherwise random draws plus every
    // one-knob neighbour of the five best so far (EI's optimum is often close to them).
    std::vector<Genes> pool;
    if (enumerate) {
      for (std::uint64_t i = 0; i < space.size(); ++i)
        if (!seen.count(i)) pool.push_back(space.from_index(i));
    } else {
      for (int i = 0; i < options_.candidates; ++i) pool.push_back(random_genes(space, generator));
      std::vector<std::size_t> order(observed.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
      for (std::size_t r = 0; r < std::min<std::size_t>(5, order.size()); ++r)
        for (std::size_t d = 0; d < space.dimensions(); ++d)
          for (int step : {-1, 1}) {
            Genes g = observed[order[r]];
            g[d] += step;
            if (space.valid(g)) pool.push_back(g);
          }
    }
    std::erase_if(pool, [&](const Genes& g) { return seen.count(space.index_of(g)) > 0; });
    const Genes* pick = nullptr;
    if (!pool.empty()) {
      Eigen::MatrixXd candidates(static_cast<Eigen::Index>(pool.size()), static_cast<Eigen::Index>(space.dimensions()));
      for (std::size_t i = 0; i < pool.size(); ++i) candidates.row(static_cast<Eigen::Index>(i)) = encode(space, pool[i]).transpose();
      Eigen::VectorXd mean, stddev;
      gp.predict(candidates, &mean, &stddev);
      double best_ei = -1.0;
      for (std::size_t i = 0; i < pool.size(); ++i) {
        const double ei = expected_improvement(mean(static_cast<Eigen::Index>(i)), stddev(static_cast<Eigen::Index>(i)), best, options_.xi);
        if (ei > best_ei) {  // strict: ties keep the earlier candidate, deterministically
          best_ei = ei;
          pick = &pool[i];
        }
      }
    }
    if (pick == nullptr) {
      auto genes = fresh_random_genes(space, generator, seen);
      if (!genes) return;
      observe(*genes);
      continue;
    }
    const Genes next = *pick;
    seen.insert(space.index_of(next));
    observe(next);
  }
}

}  // namespace bitlab::search
