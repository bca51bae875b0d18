#pragma once
// The fake-quantised → integer-only conversion (docs/conversion.md): the
// seven passes in order.
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/passes/conversion_options.h"
#include "quant/rounding.h"
#include "quant/spec.h"

namespace bitlab::ir::passes {

// Contract: returns canonicalise → fold_batchnorm → harmonise → propagate →
// fold_arithmetic → requantise → fold_activations of `fake_quantised`: an
// integer-only graph that ir::validate_integer_graph accepts and
// runtime::run_reference executes, with the same graph input and output
// names. Its inputs are the codes input_quantisers() describes; its outputs
// dequantise (integer-spec §5) to the fake-quantised graph's outputs within
// the bounds docs/conversion.md derives. Throws ConversionError (a
// GraphError) for a graph it cannot convert, naming the node and the fix.
Graph convert(const Graph& fake_quantised, const ConversionOptions& options = {});

// How a caller turns a float graph input into the integer graph's input codes:
// the spec and rounding of the quant that reads it in the fake-quantised graph.
struct InputQuantiser {
  std::string name;
  quant::QuantSpec spec;
  quant::RoundingMode rounding = quant::RoundingMode::HalfToEven;
};

// One per graph input, in graph order. Throws ConversionError for an input
// that is not read by a quant.
std::vector<InputQuantiser> input_quantisers(const Graph& fake_quantised);

}  // namespace bitlab::ir::passes
