#pragma once
// A named IR tensor: shape, element type, quantisation and, for constants
// (weights, biases, batch-norm statistics), its values.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/types.h"

namespace bitlab::ir {

struct Tensor {
  std::string name;
  Shape shape;
  ElementType type;
  // Integer tensors: what their codes mean. Float tensors: none.
  std::optional<Quantization> quantization;
  // Constants only: row-major values, int_data for integer and float_data for
  // float32 tensors. Graph inputs and node outputs have neither.
  std::optional<std::vector<std::int64_t>> int_data;
  std::optional<std::vector<float>> float_data;

  [[nodiscard]] bool is_constant() const { return int_data.has_value() || float_data.has_value(); }
  // The tensor's quantisation; throws GraphError naming the tensor when absent.
  [[nodiscard]] const Quantization& quant() const;
  // to_quant_spec(type, quant()); throws GraphError naming the tensor.
  [[nodiscard]] quant::QuantSpec code_spec() const;

  bool operator==(const Tensor&) const = default;
};

// Convenience constructors for code tensors and integer / float constants.
Tensor int_tensor(std::string name, Shape shape, ElementType type, Quantization quantization);
Tensor int_constant(std::string name, Shape shape, ElementType type, Quantization quantization,
                    std::vector<std::int64_t> values);
Tensor float_tensor(std::string name, Shape shape);
Tensor float_constant(std::string name, Shape shape, std::vector<float> values);

}  // namespace bitlab::ir
