#include "search/core/nsga2.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "quant/random.h"
#include "search/core/random_search.h"

namespace bitlab::search {

Point objective_point(const Evaluation& e, const std::vector<MetricGoal>& goals) {
  Point p;
  for (const auto& g : goals) p.push_back(g.maximise ? -e.metric(g.metric) : e.metric(g.metric));
  return p;
}

namespace {

struct Member {
  Genes genes;
  Point point;
  double violation = 0.0;
  int rank = 0;
  double crowding = 0.0;
};

// Ranks and crowding of `members` (feasible by non-dominated sorting, then the
// infeasible ones one per rank by increasing violation).
void rank(std::vector<Member>& members) {
  std::vector<std::size_t> feasible, infeasible;
  for (std::size_t i = 0; i < members.size(); ++i) (members[i].violation == 0.0 ? feasible : infeasible).push_back(i);
  std::vector<Point> points;
  for (std::size_t i : feasible) points.push_back(members[i].point);
  const auto fronts = non_dominated_sort(points);
  int r = 0;
  for (const auto& front : fronts) {
    const auto crowding = crowding_distance(points, front);
    for (std::size_t k = 0; k < front.size(); ++k) {
      members[feasible[front[k]]].rank = r;
      members[feasible[front[k]]].crowding = crowding[k];
    }
    ++r;
  }
  std::stable_sort(infeasible.begin(), infeasible.end(),
                   [&](std::size_t a, std::size_t b) { return members[a].violation < members[b].violation; });
  for (std::size_t i : infeasible) {
    members[i].rank = r++;
    members[i].crowding = 0.0;
  }
}

bool better(const Member& a, const Member& b) {
  return a.rank < b.rank || (a.rank == b.rank && a.crowding > b.crowding);
}

double unit(quant::Generator& g) { return quant::uniform_unit(g); }

// Deb & Agrawal's SBX on one pair of values in [low, high].
void sbx(double& a, double& b, double low, double high, double eta, quant::Generator& g) {
  if (unit(g) > 0.5 || std::abs(a - b) < 1e-12) return;
  const double u = unit(g);
  const double beta = u <= 0.5 ? std::pow(2.0 * u, 1.0 / (eta + 1.0)) : std::pow(1.0 / (2.0 * (1.0 - u)), 1.0 / (eta + 1.0));
  const double c1 = 0.5 * ((a + b) - beta * std::abs(b - a)), c2 = 0.5 * ((a + b) + beta * std::abs(b - a));
  const bool swap = unit(g) < 0.5;
  a = std::clamp(swap ? c2 : c1, low, high);
  b = std::clamp(swap ? c1 : c2, low, high);
}

// Deb's polynomial mutation of a value in [low, high].
double polynomial_mutation(double x, double low, double high, double eta, quant::Generator& g) {
  const double u = unit(g);
  const double delta = u < 0.5 ? std::pow(2.0 * u, 1.0 / (eta + 1.0)) - 1.0 : 1.0 - std::pow(2.0 * (1.0 - u), 1.0 / (eta + 1.0));
  return std::clamp(x + delta * (high - low), low, high);
}

}  // namespace

void Nsga2::run(SearchContext& ctx) {
  const SearchSpace& space = ctx.space();
  const auto& o = options_;
  quant::Generator generator(ctx.options().seed);
  const std::size_t dims = space.dimensions();
  const double p_mut = o.mutation_probability > 0.0 ? o.mutation_probability : 1.0 / static_cast<double>(std::max<std::size_t>(dims, 1));

  auto evaluate = [&](const Genes& genes) {
    const Trial t = ctx.evaluate(genes, o.budget);
    return Member{genes, objective_point(t.evaluation, o.objectives), ctx.objective().constraints.violation(t.evaluation)};
  };

  std::vector<Member> population;
  std::set<std::uint64_t> seen;
  for (int i = 0; i < o.population && !ctx.exhausted(); ++i) {
    auto genes = fresh_random_genes(space, generator, seen);
    if (!genes) break;
    population.push_back(evaluate(*genes));
  }
  rank(population);

  auto tournament = [&]() -> const Member& {
    const auto& a = population[quant::uniform_below(generator, population.size())];
    const auto& b = population[quant::uniform_below(generator, population.size())];
    return better(b, a) ? b : a;
  };

  for (int gen = 0; gen < o.generations && !ctx.exhausted() && population.size() >= 2; ++gen) {
    std::vector<Member> offspring;
    while (offspring.size() < population.size() && !ctx.exhausted()) {
      std::vector<double> x1(dims), x2(dims);
      const Member& p1 = tournament();
      const Member& p2 = tournament();
      for (std::size_t d = 0; d < dims; ++d) {
        x1[d] = p1.genes[d];
        x2[d] = p2.genes[d];
      }
      const bool cross = unit(generator) < o.crossover_probability;
      for (std::size_t d = 0; d < dims; ++d) {
        // ±0.5 around the index range so the end choices are as likely as the inner ones after rounding.
        const double low = -0.4999, high = static_cast<double>(space.knobs[d].bits.size()) - 0.5001;
        if (cross) sbx(x1[d], x2[d], low, high, o.crossover_eta, generator);
        if (unit(generator) < p_mut) x1[d] = polynomial_mutation(x1[d], low, high, o.mutation_eta, generator);
        if (unit(generator) < p_mut) x2[d] = polynomial_mutation(x2[d], low, high, o.mutation_eta, generator);
      }
      for (const auto* x : {&x1, &x2}) {
        if (offspring.size() >= population.size() || ctx.exhausted()) break;
        Genes child(dims);
        for (std::size_t d = 0; d < dims; ++d) child[d] = static_cast<int>(std::lround((*x)[d]));
        offspring.push_back(evaluate(child));
      }
    }
    // (μ + λ) survival: whole fronts while they fit, then the most spread-out of the next.
    std::vector<Member> merged = population;
    merged.insert(merged.end(), offspring.begin(), offspring.end());
    rank(merged);
    std::vector<std::size_t> order(merged.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return better(merged[a], merged[b]); });
    std::vector<Member> next;
    for (std::size_t i = 0; i < population.size(); ++i) next.push_back(merged[order[i]]);
    population = std::move(next);
    rank(population);
  }
  population_.clear();
  for (const auto& m : population) population_.push_back(m.genes);
}

}  // namespace bitlab::search
