#pragma once
// The narrowest accelerator datapath that keeps a network's accuracy:
// accumulator width and the fixed-point widths of the requant scale factors,
// swept with the reference runtime's hardware-width emulation
// (docs/integer-spec.md §15, docs/cost-models.md §10).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ir/graph.h"
#include "runtime/hardware_widths.h"
#include "runtime/tensor.h"

namespace bitlab::hw {

// Labelled samples for a one-input, one-output classifier graph: the input
// codes of sample i are codes[i·sample_size, (i+1)·sample_size).
struct LabelledCodes {
  std::vector<std::int64_t> codes;
  std::vector<std::int64_t> labels;
  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(labels.size()); }
};

// Runs a graph (its batch already set) on inputs; hardware = nullopt is the
// exact integer spec. The default is runtime::run_reference.
using GraphExecutor = std::function<runtime::IntTensorMap(const ir::Graph&, const runtime::IntTensorMap&,
                                                          const std::optional<runtime::HardwareWidths>&)>;
GraphExecutor reference_executor();

struct WidthSweepOptions {
  double tolerance_pp = 0.5;  // accuracy may drop this many percentage points below full precision
  // Candidate widths, tried widest first; each dimension stops at its first failure
  // (accuracy is taken to fall monotonically as a width shrinks).
  std::vector<int> accumulator_bits = {32, 28, 24, 22, 20, 18, 16, 14, 12, 10, 8};
  std::vector<int> scale_bits = {16, 14, 12, 10, 8, 7, 6, 5, 4, 3, 2, 1};
  std::vector<int> inverse_scale_bits = {16, 14, 12, 10, 8, 7, 6, 5, 4, 3, 2, 1};
  runtime::Overflow overflow = runtime::Overflow::Saturate;
  std::int64_t batch = 100;
  GraphExecutor executor = reference_executor();
  // Called after each evaluated point with (points done, description).
  std::function<void(int, const std::string&)> on_point = nullptr;
};

struct WidthPoint {
  std::string dimension;  // "accumulator", "scale", "inverse_scale" or "combined"
  runtime::HardwareWidths widths;
  std::int64_t correct = 0;
  double accuracy = 0.0;  // percent
  bool within_tolerance = false;
};

struct WidthSweepResult {
  std::string graph;
  std::int64_t samples = 0;
  double tolerance_pp = 0.0;
  double full_precision_accuracy = 0.0;  // exact integer spec, percent
  std::vector<WidthPoint> points;       // in evaluation order
  // Smallest width per dimension that stayed within tolerance with the others
  // wide (64-bit accumulator, 31-bit factors); nullopt when even the widest
  // candidate failed.
  std::optional<int> min_accumulator_bits;
  std::optional<int> min_scale_bits;
  std::optional<int> min_inverse_scale_bits;
  // The three minima together, widened one candidate step at a time (round
  // robin) until within tolerance; nullopt when nothing passed.
  std::optional<WidthPoint> recommended;
};

// Contract: `graph` is an integer graph with one input and one [N, classes]
// output; `data` holds at least one sample. Throws std::invalid_argument for a
// graph of another shape, a sample count that does not divide the codes, or
// empty candidate lists.
WidthSweepResult sweep_widths(const ir::Graph& graph, const LabelledCodes& data, const WidthSweepOptions& options = {});

// Accuracy (percent) of `graph` on `data` with the given widths.
WidthPoint evaluate_widths(const ir::Graph& graph, const LabelledCodes& data, const std::optional<runtime::HardwareWidths>& widths,
                           const WidthSweepOptions& options);

nlohmann::json to_json(const WidthSweepResult& result);
std::string format_table(const WidthSweepResult& result);

}  // namespace bitlab::hw
