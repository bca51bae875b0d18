#include "onnx/annotations.h"

#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace bitlab::onnx_io {

std::string annotation_of(const ir::Tensor& tensor) {
  const ir::Quantization& q = tensor.quant();
  nlohmann::json j = {
      {"type", ir::to_string(tensor.type)},
      {"narrow_range", tensor.type.narrow_range},
      {"granularity", std::string(quant::to_string(q.granularity))},
      {"axis", q.axis},
      {"scales", q.scales},
      {"zero_points", q.zero_points},
  };
  return j.dump();
}

Annotation parse_annotation(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw std::invalid_argument("is not a JSON object");
  const auto field = [&](const char* name) -> const nlohmann::json& {
    if (!j.contains(name)) throw std::invalid_argument(fmt::format("has no \"{}\"", name));
    return j.at(name);
  };
  try {
    Annotation a;
    a.type = ir::element_type_from_string(field("type").get<std::string>());
    a.type.narrow_range = field("narrow_range").get<bool>();
    a.quantization.granularity = quant::granularity_from_string(field("granularity").get<std::string>());
    a.quantization.axis = field("axis").get<int>();
    a.quantization.scales = field("scales").get<std::vector<double>>();
    a.quantization.zero_points = field("zero_points").get<std::vector<std::int32_t>>();
    return a;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("has a field of the wrong type: {}", e.what()));
  }
}

}  // namespace bitlab::onnx_io
