#pragma once
// What a search leaves behind besides its trial log (docs/search.md §5): the
// Pareto front of the trials at the largest budget as JSON and SVG, and the
// chosen policy as a file `bitlab train --policy` takes.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/core/nsga2.h"
#include "search/core/objective.h"
#include "search/core/references.h"
#include "search/core/trial_log.h"

namespace bitlab::search {

// The trials (at the largest logged budget, not skipped, with every metric of
// `goals`) on the Pareto front of `goals`, sorted by the first goal's metric.
std::vector<Trial> front_trials(const TrialLog& log, const std::vector<MetricGoal>& goals);

// {"objectives": [{"metric", "maximise"}], "trials": [{index, key, bits, accuracy, costs, feasible, policy}],
//  "references": [{label, weights, activations, budget, accuracy, costs}]}
nlohmann::json front_json(const SearchSpace& space, const std::vector<Trial>& front,
                          const std::vector<MetricGoal>& goals, const Objective& objective,
                          const std::vector<ReferencePoint>& references = {});

// Every trial (grey), the front (a line) and each flat reference (its own
// series, named by its widths) in the plane of the first two goals.
std::string front_svg(const TrialLog& log, const std::vector<Trial>& front, const std::vector<MetricGoal>& goals,
                      const std::vector<ReferencePoint>& references = {});

// Writes front.json, front.svg and (when a trial exists) policy.json — the
// best trial by the objective — into `directory`, each atomically. Returns the
// paths written.
std::vector<std::filesystem::path> write_outputs(const std::filesystem::path& directory, const SearchSpace& space,
                                                 const TrialLog& log, const Objective& objective,
                                                 const std::vector<MetricGoal>& goals,
                                                 const std::vector<ReferencePoint>& references = {});

}  // namespace bitlab::search
