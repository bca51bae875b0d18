#pragma once
// Pass 5 of the conversion (docs/conversion.md §Pass 5): the integer graph,
// with every rescaling still a real multiplier.
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/passes/propagate.h"

namespace bitlab::ir::passes {

// A requant node's real multipliers M_c (one, or one per channel along axis).
struct RealRequant {
  std::vector<double> multipliers;
  int axis = 1;
  bool operator==(const RealRequant&) const = default;
};

// An add node's input scales s_i and output scale s_y (§14.3: M_i = s_i / s_y).
struct RealAdd {
  std::vector<double> input_scales;
  double output_scale = 1.0;
  bool operator==(const RealAdd&) const = default;
};

// The integer graph before requantise(): every tensor is an integer and every
// op an integer op, but requant and add nodes carry only their clamps (the
// output's code range); their multipliers are the real numbers below, keyed
// by node name. (It does not pass ir::validate until requantise() fills them.)
struct IntegerDraft {
  Graph graph;
  std::map<std::string, RealRequant> requants;
  std::map<std::string, RealAdd> adds;
};

// Contract: for a graph after passes 1–3 and its precisions (pass 4), returns
// the integer draft: weights become their codes (integerise.h: exactly as the
// fake quantiser rounds), biases round(b / (s_x·s_w)) in int32 (§14.8), graph
// inputs become the codes of their quant, a quant onto the grid its input
// already has disappears, every other quant becomes a requant whose real
// multiplier merges the scales it stands between — s_x·s_w,c / s_y after a
// conv2d/linear, (s_x / K) / s_y after an avgpool, s_x / s_y after codes —
// an add writes its quant's codes directly (multipliers s_i / s_y), and a
// relu becomes a clip to [max(qmin, z), qmax] (§10.2, §14.10). Tensor and
// node names are kept; graph outputs keep their names. Throws
// ConversionError where a quantised graph input is itself a graph output.
IntegerDraft fold_arithmetic(const Graph& graph, const Precisions& precisions);

}  // namespace bitlab::ir::passes
