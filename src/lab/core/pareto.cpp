#include "lab/core/pareto.h"

#include <algorithm>
#include <cmath>

namespace bitlab::lab {

std::vector<size_t> pareto_front(std::span<const ParetoPoint> points) {
  std::vector<size_t> order;
  for (size_t i = 0; i < points.size(); ++i) {
    if (std::isfinite(points[i].maximise) && std::isfinite(points[i].minimise)) order.push_back(i);
  }
  // Cheapest first; at equal cost the best first, so the sweep below keeps it
  // and drops the worse ones at that cost.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const ParetoPoint &p = points[a], &q = points[b];
    if (p.minimise != q.minimise) return p.minimise < q.minimise;
    if (p.maximise != q.maximise) return p.maximise > q.maximise;
    return a < b;
  });
  std::vector<size_t> front;
  for (size_t i : order) {
    const ParetoPoint& p = points[i];
    if (front.empty()) {
      front.push_back(i);
      continue;
    }
    const ParetoPoint& last = points[front.back()];
    // Every earlier point costs at most p's cost, so p survives only by being
    // strictly better than all of them, or by being an exact copy of the last kept one.
    bool duplicate = p.maximise == last.maximise && p.minimise == last.minimise;
    if (p.maximise > last.maximise || duplicate) front.push_back(i);
  }
  return front;
}

}  // namespace bitlab::lab
