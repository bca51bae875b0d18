#pragma once
// The float executor of a fake-quantised IR graph (the graph a tracer emits
// from a QAT model, before conversion): every op in float64, each quant node
// rounding exactly as integer-spec §4 says (q = clamp(round(fl64(x / s)) + z,
// qmin, qmax), then s·(q − z), §5) with the node's rounding mode, and conv2d /
// linear weights fake-quantised by their weight_quant with round half to even
// (the IR's default; weight_quant has no rounding field). It is the reference
// a conversion is checked against (docs/conversion.md, "Fidelity"): a LibTorch
// model computes the same ops in float32, which can only move a value that
// lies within float32 noise of a rounding threshold.
#include "ir/graph.h"
#include "runtime/tensor.h"

namespace bitlab::runtime {

using RealTensor = TensorOf<double>;
using RealTensorMap = TensorMapOf<double>;

// Contract: validates the graph (ir::validate) and requires every tensor to
// be float32; `inputs` must hold exactly the graph inputs with their declared
// shapes and no NaN (std::invalid_argument otherwise). Returns the graph
// outputs by name. Semantics per op: quant as above; batchnorm
// gamma·(x − mean)/sqrt(var + eps) + beta per channel (axis 1); relu
// max(x, 0); conv2d / linear Σ x·w + b over the (fake-quantised) weights,
// padding holding 0; add the sum in input order; avgpool the window sum over
// kh·kw (padding counts, as §14.5); maxpool, flatten, reshape, concat as §14.
RealTensorMap run_fake_quantised(const ir::Graph& graph, const RealTensorMap& inputs);

}  // namespace bitlab::runtime
