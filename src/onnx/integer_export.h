#pragma once
// Export of an integer-only IR graph (after ir::passes::convert) as a model of
// standard ONNX ops (opset 17) that any conforming runtime computes bit for bit
// as docs/integer-spec.md §14 says. Values travel as integers held exactly in
// float32 or float64 tensors; conv / linear / avgpool sums run in that float
// type (exact because the accumulator bound is below 2^24 or 2^53), and every
// rounding (requant, add) runs in int64 with Mod/Div, never in float. The
// mapping, op by op: docs/formats.md, "ONNX: the integer graph".
#include <optional>

#include "ir/graph.h"
#include "onnx/proto.h"

namespace bitlab::onnx_io {

inline constexpr int kOnnxOpset = 17;  // the newest opset of Debian's libonnx 1.12
inline constexpr std::string_view kIntegerFormat = "bitlab.integer-onnx";
inline constexpr int kIntegerFormatVersion = 1;

struct IntegerExportOptions {
  // nullopt: float32 when every accumulator bound (ir::accumulator_bound) is
  // below 2^24, else float64. An explicit carrier that cannot hold the sums
  // exactly is refused.
  std::optional<Carrier> carrier = std::nullopt;
};

// Contract: `graph` passes ir::validate_integer_graph; throws ir::GraphError
// naming the node when a sum would not be exact in the carrier (bound ≥ 2^53
// for float64) or a requantisation product could overflow int64.
pb::ModelProto export_integer(const ir::Graph& graph, const IntegerExportOptions& options = {});

}  // namespace bitlab::onnx_io
