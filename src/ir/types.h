#pragma once
// Element types and quantisation parameters of IR tensors (docs/formats.md).
// Integer tensors hold codes q whose real value is scale_c * (q - zero_point_c)
// (docs/integer-spec.md §5, §6); codes of at most 16 bits map onto a
// quant::QuantSpec so that quant's ranges, clamps and packing are reused.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quant/spec.h"

namespace bitlab::ir {

using Shape = std::vector<std::int64_t>;

// Product of the dims (1 for a scalar shape []); throws GraphError for a negative dim.
std::int64_t num_elements(const Shape& shape);
// "[1, 8, 28, 28]"
std::string to_string(const Shape& shape);

enum class DataKind : std::uint8_t {
  Float32,  // the fake-quantised graph before conversion
  Int,      // codes, accumulators and biases of the integer graph
};

struct ElementType {
  // Codes are 1..16 bits (a QuantSpec's range); biases and accumulators are
  // 32 or 64 bits (§13). Other widths above 16 are rejected.
  static constexpr int kMaxCodeBits = quant::QuantSpec::kMaxBits;

  DataKind kind = DataKind::Int;
  int bits = 8;
  bool is_signed = true;
  // Drops one code like quant::QuantSpec::narrow_range (§2.1); codes only.
  bool narrow_range = false;

  [[nodiscard]] bool is_float() const { return kind == DataKind::Float32; }
  [[nodiscard]] bool is_code() const { return kind == DataKind::Int && bits <= kMaxCodeBits; }
  // Smallest / largest integer the type holds (§2.1 for codes; two's
  // complement for 32/64 bits). Throws GraphError for float or bad widths.
  [[nodiscard]] std::int64_t min_value() const;
  [[nodiscard]] std::int64_t max_value() const;
  // Throws GraphError naming what is wrong.
  void validate() const;

  bool operator==(const ElementType&) const = default;

  static ElementType float32() { return {DataKind::Float32, 32, true, false}; }
  static ElementType integer(int bits, bool is_signed, bool narrow_range = false) {
    return {DataKind::Int, bits, is_signed, narrow_range};
  }
};

// "float32", "int8", "uint4", "int32"; narrow range is a separate JSON field.
std::string to_string(const ElementType& type);
// Inverse of to_string (narrow_range false); throws GraphError listing the forms.
ElementType element_type_from_string(std::string_view text);

// Scale(s) and zero point(s) of an integer tensor (§2, §6).
struct Quantization {
  quant::Granularity granularity = quant::Granularity::PerTensor;
  int axis = 0;  // read only for PerChannel
  std::vector<double> scales = {1.0};
  std::vector<std::int32_t> zero_points = {};  // empty = all 0

  [[nodiscard]] std::size_t num_channels() const { return scales.size(); }
  [[nodiscard]] double scale(std::size_t channel = 0) const { return scales.at(channel); }
  [[nodiscard]] std::int32_t zero_point(std::size_t channel = 0) const {
    return zero_points.empty() ? 0 : zero_points.at(channel);
  }
  [[nodiscard]] bool all_zero_points_zero() const;

  bool operator==(const Quantization&) const = default;

  static Quantization per_tensor(double scale, std::int32_t zero_point = 0) {
    return {quant::Granularity::PerTensor, 0, {scale}, {zero_point}};
  }
  static Quantization per_channel(int axis, std::vector<double> scales,
                                  std::vector<std::int32_t> zero_points = {}) {
    return {quant::Granularity::PerChannel, axis, std::move(scales), std::move(zero_points)};
  }
};

// Same grid: granularity, axis, scales and every zero point agree (an empty
// zero-point list equals all zeros, unlike operator==).
bool same_grid(const Quantization& a, const Quantization& b);

// The QuantSpec a code tensor of `type` with `quantization` follows (symmetric
// when every zero point is 0). Throws GraphError unless type.is_code().
quant::QuantSpec to_quant_spec(const ElementType& type, const Quantization& quantization);

}  // namespace bitlab::ir
