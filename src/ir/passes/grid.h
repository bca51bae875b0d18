#pragma once
// Grids of the fake-quantised float graph: which quantiser spec, if any, fixes
// the values of a float tensor. A value on a grid is s_c·(q − z_c) for a code q
// in the spec's range, so the integer graph can hold it as that code exactly.
#include <optional>
#include <string>

#include "ir/graph.h"
#include "quant/spec.h"

namespace bitlab::ir::passes {

// The spec whose grid `tensor`'s values lie on: the spec of the quant that
// writes it, passed through the ops that keep a grid — maxpool, flatten,
// reshape, relu (max(s(q − z), 0) = s(max(q, z) − z), §11) and a concat whose
// inputs all lie on one grid. nullopt for anything else (graph inputs,
// conv/linear/avgpool/add/batchnorm outputs).
std::optional<quant::QuantSpec> float_grid(const Graph& graph, const std::string& tensor);

// Same codes mean the same reals: code range (bits, sign, narrow range),
// granularity, axis, scales and zero points agree (symmetric and scale_kind
// are descriptions of those, so they are not compared).
bool same_grid(const quant::QuantSpec& a, const quant::QuantSpec& b);

// The IR element type and quantisation of codes under `spec`.
ElementType code_type(const quant::QuantSpec& spec);
Quantization code_quantization(const quant::QuantSpec& spec);

}  // namespace bitlab::ir::passes
