#pragma once
// Free Bits (docs/search.md §4.7; after Rutishauser et al., "Free Bits",
// 2023): on hardware where a narrower operand is not always faster
// (unpacking, alignment, unsupported widths), raising a layer's precision can
// lower latency for free. Starting from a candidate, each layer in turn moves
// to the option with widths ≥ its current ones that gives the lowest total
// latency below the current total, if that does not lower accuracy; passes
// repeat until no layer moves (a fixed point). Every move strictly lowers the
// total, so it never increases and the loop ends (the space is finite).
// Latency comes from a per-layer table (below) or from any cost of the cost
// model, e.g. "measured_seconds" from `bitlab hw profile`'s measured table,
// where a layer's time also depends on the width its input arrives in.
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/core/strategy.h"

namespace bitlab::search {

// Layer name → (weight bits, activation bits) → latency (any unit). A layer
// without a weight (activation) knob is measured at its default width.
struct LatencyTable {
  std::map<std::string, std::map<std::pair<int, int>, double>> layers;
  [[nodiscard]] std::optional<double> latency(const std::string& layer, int weight_bits, int activation_bits) const;
};

// {"layers": {"features.conv0_0": [{"weights": 4, "activations": 8, "latency": 12.5}, ...]}}
LatencyTable parse_latency_table(const nlohmann::json& json, const std::string& file);
LatencyTable load_latency_table(const std::filesystem::path& path);

// Total table latency of a candidate over the layers the table lists; throws
// std::out_of_range naming a listed layer whose chosen widths are not measured.
double table_latency(const SearchSpace& space, const LatencyTable& table, const Genes& genes);

struct FreeBitsResult {
  Genes genes;
  int moves = 0;   // accepted raises
  int passes = 0;  // passes over the layers, the last one without moves
};

using Acceptance = std::function<bool(const Genes&, const Genes&)>;
// Total latency of a candidate; nullopt where it is not measured (never moved to).
using LatencyFunction = std::function<std::optional<double>(const Genes&)>;

// `accept(current, proposed)` says whether a raise keeps accuracy (e.g. both
// evaluated, proposed ≥ current); null: accept every latency-lowering raise.
FreeBitsResult free_bits(const SearchSpace& space, const LatencyFunction& latency, Genes start,
                         const Acceptance& accept = {});
// Over a per-layer table: a candidate's latency is table_latency.
FreeBitsResult free_bits(const SearchSpace& space, const LatencyTable& table, Genes start,
                         const Acceptance& accept = {});

struct FreeBitsOptions {
  int budget = 1;  // epochs per evaluated trial
  // The latency: a per-layer table, or else the cost model's cost of this name.
  std::optional<LatencyTable> table;
  std::string latency_cost = "measured_seconds";
  // Start here; unset: the best trial in the log, else every knob at its lowest width.
  std::optional<Genes> start;
  double accuracy_tolerance = 0.0;  // a raise may lose at most this much accuracy
};

class FreeBits : public Strategy {
 public:
  explicit FreeBits(FreeBitsOptions options) : options_(std::move(options)) {}
  [[nodiscard]] std::string name() const override { return "free_bits"; }
  void run(SearchContext& ctx) override;
  [[nodiscard]] const std::optional<FreeBitsResult>& result() const { return result_; }

 private:
  FreeBitsOptions options_;
  std::optional<FreeBitsResult> result_;
};

}  // namespace bitlab::search
