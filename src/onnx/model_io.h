#pragma once
// Reading, writing and checking ONNX model files.
#include <filesystem>

#include "onnx/proto.h"

namespace bitlab::onnx_io {

inline constexpr std::string_view kQonnxDomain = "qonnx.custom_op.general";

// onnx::checker::check_model followed by strict shape and type inference (what
// onnx.checker.check_model(model, full_check=True) does in Python). QONNX's
// Quant op is registered first (schema in model_io.cpp) so its inputs and
// attributes are checked too. Throws std::invalid_argument with the checker's
// message.
void check_model(const pb::ModelProto& model);

// Serialises and writes atomically (common/atomic_file.h); IoError on failure.
void save_model(const pb::ModelProto& model, const std::filesystem::path& path);

// IoError naming the file when it is missing, unreadable, or not a complete
// ONNX protobuf (e.g. truncated).
pb::ModelProto load_model(const std::filesystem::path& path);

}  // namespace bitlab::onnx_io
