#pragma once
// Export of the fake-quantised float IR graph (before ir::passes::convert) as
// QONNX: every quant node, and every conv2d / linear weight_quant, becomes a
// Quant node of domain "qonnx.custom_op.general"; the other ops are standard
// ONNX (opset 13) on float32 tensors with float initializers. How bitlab's
// quantiser specs map onto Quant, and where the semantics differ:
// docs/formats.md, "QONNX".
#include "ir/graph.h"
#include "onnx/proto.h"

namespace bitlab::onnx_io {

inline constexpr int kQonnxOpset = 13;  // what FINN / qonnx tooling expects

// Contract: `fake_quantised` passes ir::validate and holds only float32
// tensors; throws ir::GraphError naming the node for what QONNX cannot say
// (stochastic rounding, integer-only ops).
pb::ModelProto export_qonnx(const ir::Graph& fake_quantised);

}  // namespace bitlab::onnx_io
