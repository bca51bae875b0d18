#pragma once
// The reference runtime: executes an integer-only IR graph exactly as
// docs/integer-spec.md §14 says, with plain loops over int64 values and
// quant's Requantiser for every rounding (§9–§10). Slow and obviously correct:
// it is what fast kernels and generated C are held to.
#include <optional>

#include "ir/graph.h"
#include "runtime/hardware_widths.h"
#include "runtime/tensor.h"

namespace bitlab::runtime {

// Validates the graph (ir::validate_integer_graph), checks that `inputs` holds
// exactly the graph inputs with their declared shapes and in-range codes
// (std::invalid_argument otherwise), runs every node and returns the graph
// outputs by name.
IntTensorMap run_reference(const ir::Graph& graph, const IntTensorMap& inputs);

struct ReferenceOptions {
  // Unset (the default): exact integer-spec arithmetic, identical to the
  // overload above. Set: hardware-width emulation (integer-spec §15), which
  // narrows accumulators and may replace the requant multipliers.
  std::optional<HardwareWidths> hardware = std::nullopt;
};

IntTensorMap run_reference(const ir::Graph& graph, const IntTensorMap& inputs, const ReferenceOptions& options);

}  // namespace bitlab::runtime
