#include "search/core/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace bitlab::search {

std::vector<std::vector<std::size_t>> non_dominated_sort(const std::vector<Point>& points) {
  const std::size_t n = points.size();
  std::vector<std::vector<std::size_t>> dominated_by_me(n);
  std::vector<int> domination_count(n, 0);
  std::vector<std::vector<std::size_t>> fronts(1);
  for (std::size_t p = 0; p < n; ++p) {
    for (std::size_t q = 0; q < n; ++q) {
      if (p == q) continue;
      if (dominates(points[p], points[q])) dominated_by_me[p].push_back(q);
      else if (dominates(points[q], points[p])) ++domination_count[p];
    }
    if (domination_count[p] == 0) fronts[0].push_back(p);
  }
  while (!fronts.back().empty()) {
    std::vector<std::size_t> next;
    for (std::size_t p : fronts.back())
      for (std::size_t q : dominated_by_me[p])
        if (--domination_count[q] == 0) next.push_back(q);
    std::sort(next.begin(), next.end());
    fronts.push_back(std::move(next));
  }
  fronts.pop_back();
  return fronts;
}

std::vector<double> crowding_distance(const std::vector<Point>& points, const std::vector<std::size_t>& front) {
  const std::size_t n = front.size();
  std::vector<double> distance(n, 0.0);
  if (n == 0) return distance;
  const double inf = std::numeric_limits<double>::infinity();
  const std::size_t m = points[front[0]].size();
  std::vector<std::size_t> order(n);
  for (std::size_t k = 0; k < m; ++k) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return points[front[a]][k] < points[front[b]][k]; });
    const double low = points[front[order.front()]][k], high = points[front[order.back()]][k];
    distance[order.front()] = distance[order.back()] = inf;
    if (high <= low) continue;
    for (std::size_t i = 1; i + 1 < n; ++i)
      distance[order[i]] += (points[front[order[i + 1]]][k] - points[front[order[i - 1]]][k]) / (high - low);
  }
  return distance;
}

double generational_distance(const std::vector<Point>& front, const std::vector<Point>& reference) {
  if (front.empty() || reference.empty()) throw std::invalid_argument("generational_distance: empty front");
  double sum = 0.0;
  for (const auto& p : front) {
    double nearest = std::numeric_limits<double>::infinity();
    for (const auto& r : reference) {
      double d = 0.0;
      for (std::size_t k = 0; k < p.size(); ++k) d += (p[k] - r[k]) * (p[k] - r[k]);
      nearest = std::min(nearest, d);
    }
    sum += nearest;
  }
  return std::sqrt(sum) / static_cast<double>(front.size());
}

}  // namespace bitlab::search
