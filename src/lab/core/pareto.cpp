#include "lab/core/pareto.h"

#include <algorithm>
#include <cmath>

namespace bitlab::lab {

bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool strictly = false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly = true;
  }
  return strictly;
}

std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& points) {
  std::vector<size_t> front;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) dominated = j != i && dominates(points[j], points[i]);
    if (!dominated) front.push_back(i);
  }
  return front;
}

std::vector<size_t> pareto_front(std::span<const ParetoPoint> points) {
  // Non-finite points are never on the front; the rest go through the general
  // front as (−maximise, minimise), then cheapest first.
  std::vector<size_t> finite;
  std::vector<std::vector<double>> objectives;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i].maximise) || !std::isfinite(points[i].minimise)) continue;
    finite.push_back(i);
    objectives.push_back({-points[i].maximise, points[i].minimise});
  }
  std::vector<size_t> front;
  for (size_t k : pareto_front(objectives)) front.push_back(finite[k]);
  std::stable_sort(front.begin(), front.end(),
                   [&](size_t a, size_t b) { return points[a].minimise < points[b].minimise; });
  return front;
}

}  // namespace bitlab::lab
