#pragma once
// Hardware-width emulation (docs/integer-spec.md §15): the reference runtime
// run as an accelerator with a narrow accumulator and fixed-width multipliers
// would run the graph, so a sweep can find the narrowest datapath that keeps
// a network's accuracy. Off by default: the exact runtime never uses this.
#include <cstdint>
#include <string>
#include <string_view>

namespace bitlab::runtime {

enum class Overflow : std::uint8_t {
  Saturate,  // clamp to the width's two's-complement range
  Wrap,      // keep the low bits (two's complement modulo 2^bits)
};

std::string_view to_string(Overflow overflow);
// "saturate" / "wrap"; throws std::invalid_argument otherwise.
Overflow overflow_from_string(std::string_view text);

struct HardwareWidths {
  static constexpr int kMaxAccumulatorBits = 64;
  static constexpr int kMaxScaleBits = 31;

  // Two's-complement width of every conv / linear / avgpool accumulator
  // (bias included), 2..64; the exact sum is narrowed once, as `overflow` says.
  int accumulator_bits = 64;
  // Significant bits of the per-channel accumulator scale s_acc,c and of the
  // inverse output scale 1/s_y, 1..31, both truncated (rounded toward zero).
  // 0 for both keeps the graph's stored dyadic multipliers (§9), so only the
  // accumulator width is emulated.
  int scale_bits = 0;
  int inverse_scale_bits = 0;
  Overflow overflow = Overflow::Saturate;

  // Throws std::invalid_argument naming the field and the allowed range.
  void validate() const;
  [[nodiscard]] bool splits_multiplier() const { return scale_bits > 0; }
  [[nodiscard]] std::string describe() const;  // "acc16 scale8 inv8 wrap"
  bool operator==(const HardwareWidths&) const = default;
};

// `value` reduced to a `bits`-wide two's-complement integer (2 <= bits <= 64).
std::int64_t narrow_to(std::int64_t value, int bits, Overflow overflow);

// A positive real as m · 2^−shift with m of exactly `bits` significant bits,
// m = ⌊f · 2^bits⌋ for value = f · 2^e, f in [0.5, 1); shift = bits − e may be
// negative (a left shift). Throws std::invalid_argument for value <= 0 or not finite.
struct FixedPointFactor {
  std::int64_t multiplier = 1;
  int shift = 0;
  bool operator==(const FixedPointFactor&) const = default;
};
FixedPointFactor truncate_to_bits(double value, int bits);

// y = clamp(⌊x · m_a·m_b · 2^−(s_a+s_b) + 1/2⌋ + z_y, lo, hi): one rounding,
// ties toward +∞ (§9.2), of the product of the two truncated factors, computed
// in 128 bits. |x| < 2^63 and factors of at most 31 bits cannot overflow;
// a left shift that would is saturated like the clamp.
std::int64_t requantise_two_factors(std::int64_t x, const FixedPointFactor& scale, const FixedPointFactor& inverse,
                                    std::int64_t zero_point, std::int64_t lo, std::int64_t hi);

}  // namespace bitlab::runtime
