#include "ir/tensor.h"

#include <fmt/format.h>

#include "ir/error.h"

namespace bitlab::ir {

const Quantization& Tensor::quant() const {
  if (!quantization) throw GraphError(fmt::format("tensor \"{}\" has no quantisation", name));
  return *quantization;
}

quant::QuantSpec Tensor::code_spec() const {
  try {
    return to_quant_spec(type, quant());
  } catch (const GraphError& e) {
    throw GraphError(fmt::format("tensor \"{}\": {}", name, e.what()));
  }
}

Tensor int_tensor(std::string name, Shape shape, ElementType type, Quantization quantization) {
  return Tensor{std::move(name), std::move(shape), type, std::move(quantization), std::nullopt, std::nullopt};
}

Tensor int_constant(std::string name, Shape shape, ElementType type, Quantization quantization,
                    std::vector<std::int64_t> values) {
  return Tensor{std::move(name), std::move(shape), type, std::move(quantization), std::move(values), std::nullopt};
}

Tensor float_tensor(std::string name, Shape shape) {
  return Tensor{std::move(name), std::move(shape), ElementType::float32(), std::nullopt, std::nullopt, std::nullopt};
}

Tensor float_constant(std::string name, Shape shape, std::vector<float> values) {
  return Tensor{std::move(name), std::move(shape), ElementType::float32(), std::nullopt, std::nullopt,
                std::move(values)};
}

}  // namespace bitlab::ir
