#pragma once
// Precision annotations of the integer ONNX model: for every IR tensor, its
// element type, narrow range and quantisation (scales, zero points), stored in
// the model's metadata_props under "bitlab.tensor:<name>" as one JSON object
// (docs/formats.md, "ONNX: precision annotations"). ONNX carries the values in
// float32/float64 tensors, so this is where their bit widths live.
#include <optional>
#include <string>
#include <string_view>

#include "ir/tensor.h"

namespace bitlab::onnx_io {

inline constexpr std::string_view kTensorKeyPrefix = "bitlab.tensor:";

// {"type":"uint8","narrow_range":false,"granularity":"per_tensor","axis":0,
//  "scales":[0.05],"zero_points":[3]}; doubles round-trip exactly.
std::string annotation_of(const ir::Tensor& tensor);

struct Annotation {
  ir::ElementType type;
  ir::Quantization quantization;
};

// Throws std::invalid_argument naming the field that is missing or malformed.
Annotation parse_annotation(std::string_view text);

}  // namespace bitlab::onnx_io
