#include "onnx/model_io.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bitlab::onnx_io {
namespace {

// QONNX's Quant (docs/qonnx-custom-ops/quant_op.md in fastmachinelearning/qonnx):
// Y = (clamp(round(X / scale + zeropt)) − zeropt) · scale, same shape as X.
void register_qonnx_quant() {
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string domain(kQonnxDomain);
    pb::OpSchemaRegistry::DomainToVersionRange::Instance().AddDomainToVersion(domain, 1, 1);
    pb::OpSchema schema;
    schema.SetName("Quant")
        .SetDomain(domain)
        .SinceVersion(1)
        .SetDoc("QONNX uniform fake quantisation")
        .Attr("signed", "1: signed codes", pb::AttributeProto::INT, static_cast<std::int64_t>(1))
        .Attr("narrow", "1: drop one code", pb::AttributeProto::INT, static_cast<std::int64_t>(0))
        .Attr("rounding_mode", "ROUND (half to even), HALF_UP, FLOOR, ...", pb::AttributeProto::STRING,
              std::string("ROUND"))
        .Input(0, "X", "input", "T")
        .Input(1, "scale", "scale, scalar or broadcasting onto X", "T")
        .Input(2, "zeropt", "zero point, scalar or broadcasting onto X", "T")
        .Input(3, "bitwidth", "bit width, scalar", "T")
        .Output(0, "Y", "fake-quantised X", "T")
        .TypeConstraint("T", {"tensor(float)"}, "float32")
        .TypeAndShapeInferenceFunction([](pb::InferenceContext& ctx) {
          pb::propagateElemTypeFromInputToOutput(ctx, 0, 0);
          if (pb::hasInputShape(ctx, 0)) pb::propagateShapeFromInputToOutput(ctx, 0, 0);
        });
    pb::OpSchemaRegistry::OpSchemaRegisterOnce register_once(schema);
  });
}

}  // namespace

void check_model(const pb::ModelProto& model) {
  register_qonnx_quant();
  try {
    pb::checker::check_model(model);
    pb::ModelProto copy = model;
    const pb::ShapeInferenceOptions strict{/*check_type=*/true, /*error_mode=*/1, /*data_propagation=*/false};
    pb::shape_inference::InferShapes(copy, pb::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& e) {
    throw std::invalid_argument(fmt::format("ONNX check of model \"{}\" failed: {}", model.graph().name(), e.what()));
  }
}

void save_model(const pb::ModelProto& model, const std::filesystem::path& path) {
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    throw IoError(fmt::format("{}: cannot serialise the ONNX model (larger than 2 GiB?)", path.string()));
  }
  write_file_atomically(path, bytes);
}

pb::ModelProto load_model(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: cannot open the ONNX file", path.string()));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string bytes = buffer.str();
  pb::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes) || !model.has_graph()) {
    throw IoError(fmt::format("{}: is not a complete ONNX model ({} bytes; truncated or not an .onnx file?)",
                              path.string(), bytes.size()));
  }
  return model;
}

}  // namespace bitlab::onnx_io
