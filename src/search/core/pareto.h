#pragma once
// NSGA-II's tools over points whose every coordinate is minimised (negate a
// maximised one): Deb's fast non-dominated sort and crowding distance, and the
// generational distance used to test fronts; dominance and the front itself
// come from lab/core/pareto.h.
#include <cstddef>
#include <vector>

#include "lab/core/pareto.h"

namespace bitlab::search {

using Point = std::vector<double>;

// The dominance test and the front are the lab's (one definition for reports and search).
using lab::dominates;
using lab::pareto_front;

// Fronts F1, F2, ... (indices), F1 non-dominated; Deb et al., IEEE TEC 2002, O(M N²).
std::vector<std::vector<std::size_t>> non_dominated_sort(const std::vector<Point>& points);

// Crowding distance of each member of `front` (same order): the half-perimeter
// of the cuboid of its neighbours per objective, normalised by the objective's
// range; boundary points get +infinity.
std::vector<double> crowding_distance(const std::vector<Point>& points, const std::vector<std::size_t>& front);

// GD = sqrt(Σ d_i²) / n, d_i the Euclidean distance from front point i to the
// nearest point of `reference` (Van Veldhuizen & Lamont 1998).
double generational_distance(const std::vector<Point>& front, const std::vector<Point>& reference);

}  // namespace bitlab::search
