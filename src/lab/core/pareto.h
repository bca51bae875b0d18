#pragma once
// The Pareto front of points that trade one value to maximise (accuracy)
// against one to minimise (bits, latency): what the lab report draws and what
// a search keeps. Torch-free and store-free, so any module can use it.
#include <cstddef>
#include <span>
#include <vector>

namespace bitlab::lab {

struct ParetoPoint {
  double maximise = 0.0;  // e.g. mean test accuracy
  double minimise = 0.0;  // e.g. total bits or modelled latency
};

// Every coordinate minimised (negate a maximised one): a ≤ b everywhere and < somewhere.
bool dominates(const std::vector<double>& a, const std::vector<double>& b);

// Indices of the points no other point dominates, in input order, for any
// number of objectives (all minimised). Duplicates of a non-dominated point
// are all kept. O(N²·M): fronts here have at most a few hundred points.
std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& points);

// Indices of the non-dominated points, sorted by `minimise` ascending (so
// `maximise` ascends strictly along the front, except between duplicates).
// A point is dominated when another is at least as good in both values and
// strictly better in one. Exact duplicates dominate neither each other, so
// all copies of a front point are listed (in index order). Points with a
// non-finite value are never on the front.
std::vector<size_t> pareto_front(std::span<const ParetoPoint> points);

}  // namespace bitlab::lab
