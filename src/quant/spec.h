#pragma once

// The quantiser spec: which integer codes a tensor may hold and how they map
// back to reals. Arithmetic is defined in docs/integer-spec.md §2.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace bitlab::quant {

enum class Granularity : std::uint8_t {
  PerTensor,   // one scale / zero point for the whole tensor
  PerChannel,  // one scale / zero point per index along `axis`
};

enum class ScaleKind : std::uint8_t {
  Float,       // any positive finite real
  PowerOfTwo,  // exactly 2^e, so (de)quantisation is a shift (§2.3)
};

std::string_view to_string(Granularity granularity);
std::string_view to_string(ScaleKind kind);
// Inverse of to_string; throws std::invalid_argument listing accepted names.
Granularity granularity_from_string(std::string_view name);
ScaleKind scale_kind_from_string(std::string_view name);

// Aggregate so call sites read like options:
//   QuantSpec{.bits = 4, .is_signed = false, .scales = {0.05}}
// Nothing is checked on construction; every operation calls validate(),
// and callers that build specs from config should call it early.
struct QuantSpec {
  static constexpr int kMinBits = 1;
  static constexpr int kMaxBits = 16;

  int bits = 8;
  bool is_signed = true;
  // Drops one code so the range is symmetric around zero for signed specs
  // ([-127, 127] at 8 bits); for unsigned it drops the top code like QONNX.
  bool narrow_range = false;
  // Symmetric specs pin every zero point to 0; affine specs may move it.
  bool symmetric = true;
  Granularity granularity = Granularity::PerTensor;
  // Channel axis of the tensor's shape; only read for PerChannel.
  int axis = 0;
  ScaleKind scale_kind = ScaleKind::Float;
  // One entry (PerTensor) or one per channel (PerChannel).
  std::vector<double> scales = {1.0};
  // Empty means all zero; otherwise one entry per scale.
  std::vector<std::int32_t> zero_points = {};

  // Throws std::invalid_argument naming the offending field and what is allowed.
  void validate() const;

  // Integer code range (§2.1). Valid for any `bits` in range, no scales needed.
  [[nodiscard]] std::int32_t qmin() const;
  [[nodiscard]] std::int32_t qmax() const;
  // qmax - qmin + 1.
  [[nodiscard]] std::int64_t levels() const;

  [[nodiscard]] std::size_t num_channels() const { return scales.size(); }
  // Real distance between adjacent codes of `channel`; equals its scale.
  [[nodiscard]] double step(std::size_t channel = 0) const;
  [[nodiscard]] std::int32_t zero_point(std::size_t channel = 0) const;
  // log2 of the scale; only for ScaleKind::PowerOfTwo.
  [[nodiscard]] int scale_exponent(std::size_t channel = 0) const;

  bool operator==(const QuantSpec&) const = default;
};

// Integer range of a `bits`-wide code without building a spec (§2.1).
std::int32_t code_min(int bits, bool is_signed, bool narrow_range);
std::int32_t code_max(int bits, bool is_signed, bool narrow_range);

// True when `value` is exactly 2^e for an integer e (and finite, > 0).
bool is_power_of_two(double value);

}  // namespace bitlab::quant
