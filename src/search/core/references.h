#pragma once
// Flat reference points of a search (docs/search.md §5): every layer at the
// same widths (w8a8, w4a4, w2a2, ...), pinned layers included, trained and
// scored by the same evaluator at the same budget as the candidates, so the
// front can be read against the uniform policies it should beat.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hw/precision.h"
#include "search/core/evaluator.h"
#include "search/core/space.h"

namespace bitlab::search {

struct FlatReference {
  int weight_bits = 8;
  int activation_bits = 8;
  std::string label() const;  // "w8a8"
};

struct ReferencePoint {
  FlatReference reference;
  int budget = 0;
  Evaluation evaluation;
};

// "wXaY" with 1 ≤ X, Y ≤ 16; nullopt for anything else.
std::optional<FlatReference> parse_flat_reference(const std::string& text);

// Every layer of the space, and every layer outside it, at the reference's widths.
hw::PrecisionAssignment flat_assignment(const SearchSpace& space, int weight_bits, int activation_bits);
// The policy file of a flat reference: the space's algorithm and input width.
nlohmann::json flat_policy_json(const SearchSpace& space, const FlatReference& reference);

// Evaluates each reference at `budget` (accuracy from the evaluator, costs
// from `costs` when given), answering from `cache_file` when it holds the same
// reference at the same budget and appending new ones to it atomically, so a
// rerun after a kill trains only the missing ones.
std::vector<ReferencePoint> evaluate_references(const std::vector<FlatReference>& references, int budget,
                                                const SearchSpace& space, Evaluator& evaluator, CostModel* costs,
                                                const std::filesystem::path& cache_file);

nlohmann::json to_json(const ReferencePoint& point);

}  // namespace bitlab::search
