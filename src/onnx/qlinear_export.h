#pragma once
// Export of an int8 integer IR graph as an ONNX model of ONNX Runtime's
// quantised operators (QLinearConv, QuantizeLinear, DequantizeLinear, and
// com.microsoft QLinearAdd), the layout ORT's own quantiser produces and runs
// fastest: activations uint8 (a signed tensor's codes shifted by +128, its zero
// point with them), weights int8, int32 biases, float scales taken from each
// tensor's quantisation. It is a SPEED PEER only (bench/peer,
// docs/benchmarks.md), not bit-exact: ORT requantises in float32 where
// docs/integer-spec.md uses dyadic integer multipliers, requant clamps inside
// the 8-bit range are dropped, avgpool runs in float, and a graph output wider
// than 8 bits (a 16-bit classifier head) becomes 8 bits on a coarser grid. The exact export is
// onnx_io::export_integer.
#include "ir/graph.h"
#include "onnx/proto.h"

namespace bitlab::onnx_io {

inline constexpr int kQLinearOpset = 13;  // QuantizeLinear with per-axis scales

// Contract: `graph` passes ir::validate_integer_graph, every code tensor but the
// graph outputs has at most 8 bits and every conv2d / linear is read only by a requant (the layout
// ir::passes::convert produces). Throws ir::GraphError naming the node otherwise.
pb::ModelProto export_qlinear(const ir::Graph& graph);

}  // namespace bitlab::onnx_io
