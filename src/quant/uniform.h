#pragma once

// Uniform (affine) quantise / dequantise, docs/integer-spec.md §4–§6:
//   q = clamp(round(x / s) + z, qmin, qmax)      x / s evaluated in float64
//   x' = s * (q - z)                              evaluated in float64

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "quant/rounding.h"
#include "quant/spec.h"

namespace bitlab::quant {

struct QuantiseOptions {
  RoundingMode rounding = RoundingMode::HalfToEven;
  // Required (non-null) for Stochastic; buffers draw exactly one uniform_unit
  // per element in flat index order, clamped elements included, so a given
  // seed always lines the same draw up with the same element (§3.2).
  Generator* generator = nullptr;
};

// Scalar forms validate the spec on every call; prefer the buffer forms in loops.
// NaN input throws std::invalid_argument; +-inf saturates to qmax / qmin.
std::int32_t quantise_value(float value, const QuantSpec& spec, std::size_t channel = 0,
                            const QuantiseOptions& options = {});
// Throws std::invalid_argument when `code` is outside [qmin, qmax].
double dequantise_value(std::int32_t code, const QuantSpec& spec, std::size_t channel = 0);

// Per-tensor buffers; a PerChannel spec here throws (it needs a shape).
std::vector<std::int32_t> quantise(std::span<const float> values, const QuantSpec& spec,
                                   const QuantiseOptions& options = {});
std::vector<float> dequantise(std::span<const std::int32_t> codes, const QuantSpec& spec);

// Row-major buffers of the given shape. For PerChannel specs, shape[spec.axis]
// must equal spec.num_channels() (§6); for PerTensor, only the element count
// is checked.
std::vector<std::int32_t> quantise(std::span<const float> values, std::span<const std::int64_t> shape,
                                   const QuantSpec& spec, const QuantiseOptions& options = {});
std::vector<float> dequantise(std::span<const std::int32_t> codes, std::span<const std::int64_t> shape,
                              const QuantSpec& spec);

// dequantise(quantise(x)): the float the integer graph will actually see.
std::vector<float> fake_quantise(std::span<const float> values, std::span<const std::int64_t> shape,
                                 const QuantSpec& spec, const QuantiseOptions& options = {});

}  // namespace bitlab::quant
