#include "runtime/fast/binary_requant.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "runtime/fast/packed_conv.h"

namespace bitlab::runtime::fast {
namespace {

__extension__ using Int128 = __int128;

// ⌊x / 2^s⌋ for s ≥ 0 (>> on a signed __int128 is arithmetic in GCC and Clang).
Int128 floor_shift(Int128 x, int s) { return x >> s; }

}  // namespace

std::optional<BinaryRequant> fit_binary_requant(std::int64_t d_min, std::int64_t d_max, std::int64_t offset,
                                                const quant::Requantiser& r) {
  if (d_min > d_max) return std::nullopt;
  const std::int32_t lo = r.clamp.lo, hi = r.clamp.hi;
  std::vector<std::int32_t> y;
  y.reserve(static_cast<std::size_t>(d_max - d_min + 1));
  for (std::int64_t d = d_min; d <= d_max; ++d) y.push_back(r.apply(d + offset));
  const std::int64_t max_abs_d = std::max(std::abs(d_min), std::abs(d_max));
  // Table: y constant on [d_min, D] and on [E, d_max] with E − D < 64.
  std::size_t first = 0, last = y.size() - 1;
  while (first + 1 < y.size() && y[first + 1] == y.front()) ++first;
  while (last > first && y[last - 1] == y.back()) --last;
  if (last - first < 64 && max_abs_d <= 32767) {
    BinaryRequant q;
    q.table = true;
    q.fold = static_cast<std::int32_t>(-(d_min + static_cast<std::int64_t>(first)));
    q.pair = 0xFFFF0002u;  // (2, −1): d − D = VPDPWSSD of (p, n) onto −D
    for (std::size_t i = 0; i < 64; ++i) q.bytes[i] = static_cast<std::uint8_t>(y[std::min(first + i, last)]);
    return q;
  }
  const Int128 lim31 = Int128{1} << 31;
  const std::int64_t m = r.multiplier.multiplier;
  const int s = r.multiplier.shift;
  // One candidate (s', m'): the interval of f', if any, and the no-wrap check.
  auto try_fit = [&](int s2, Int128 mc) -> std::optional<BinaryRequant> {
    // f' ∈ [L, U]: u(d) = ⌊(d·m' + f')/2^s'⌋ ≥ y(d) where y(d) > lo, ≤ y(d) where y(d) < hi.
    Int128 L = -(Int128{1} << 100), U = Int128{1} << 100;
    const Int128 one = Int128{1} << s2;
    for (std::size_t i = 0; i < y.size() && L <= U; ++i) {
      const Int128 d = d_min + static_cast<std::int64_t>(i), Y = y[i];
      if (Y > lo) L = std::max(L, Y * one - mc * d);
      if (Y < hi) U = std::min(U, (Y + 1) * one - mc * d - 1);
    }
    if (L > U) return std::nullopt;
    const Int128 f = std::clamp<Int128>(0, L, U);
    // No int32 wrap anywhere on the domain (d·m' + f' is affine in d: its extremes are the ends).
    for (const Int128 v : {mc * d_min + f, mc * d_max + f, f})
      if (v < -lim31 || v >= lim31) return std::nullopt;
    BinaryRequant q{static_cast<std::int32_t>(mc), static_cast<std::int32_t>(f), s2, mc <= 16383 && max_abs_d <= 32767};
    const auto m1 = static_cast<std::uint32_t>(q.word ? q.mult : 1);
    q.pair = ((2 * m1) & 0xFFFFu) | ((0u - m1) << 16);
    return q;
  };
  // First a form whose m' fits a word (one VPDPWSSD), then any. Most precision first: from the
  // largest s' whose m' fits, a few s' down (fewer bits rarely help, but a smaller f' may).
  for (const bool word : {true, false}) {
    if (word && max_abs_d > 32767) continue;
    const Int128 limit = word ? 16383 : (lim31 - 1) / std::max<std::int64_t>(max_abs_d, 1);
    int tried = 0;
    for (int s2 = 31; s2 >= 0 && tried < 6; --s2) {
      // m' ≈ m·2^(s'−s): the floor, and the ceiling when the quotient is not exact.
      const Int128 floor_m = s2 >= s ? static_cast<Int128>(m) << (s2 - s) : static_cast<Int128>(m) >> (s - s2);
      const bool exact = s2 >= s || (static_cast<Int128>(m) & ((Int128{1} << (s - s2)) - 1)) == 0;
      if (floor_m > limit) continue;
      ++tried;
      for (const Int128 mc : {floor_m, floor_m + 1}) {
        if ((mc != floor_m && exact) || mc > limit) continue;
        if (const std::optional<BinaryRequant> q = try_fit(s2, mc)) return q;
      }
    }
  }
  return std::nullopt;
}

std::int32_t apply_binary_requant(const BinaryRequant& q, std::int64_t d, std::int32_t lo, std::int32_t hi) {
  if (q.table) {
    const std::uint8_t b = q.bytes[static_cast<std::size_t>(std::clamp<std::int64_t>(d + q.fold, 0, 63))];
    return lo < 0 ? static_cast<std::int8_t>(b) : b;
  }
  const std::int64_t t = floor_shift(static_cast<Int128>(d) * q.mult + q.fold, q.shift);
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(t, lo, hi));
}

bool fit_binary_requants(const ConvProblem& p, std::vector<BinaryRequant>& out) {
  if (!p.requant || p.linear) return false;
  const bool unsigned_bytes = p.lo >= 0 && p.hi <= 255, signed_bytes = p.lo >= -128 && p.hi <= 127;
  if (!unsigned_bytes && !signed_bytes) return false;
  const std::int64_t K = static_cast<std::int64_t>(p.weights.size()) / p.O;
  if (K > kBinaryMaxDotTaps) return false;
  // 1-bit codes q = qmin + β: Σ (q − zx)·w' = d + (qmin − zx)·Σ w'.
  const std::int64_t qmin = p.input_signed ? -1 : 0;
  out.assign(static_cast<std::size_t>(p.O), {});
  for (std::int64_t o = 0; o < p.O; ++o) {
    std::int64_t plus = 0;
    const std::int64_t zw = p.weight_zero_points[static_cast<std::size_t>(o)];
    for (std::int64_t k = 0; k < K; ++k) plus += p.weights[static_cast<std::size_t>(o * K + k)] - zw == 1;
    const std::int64_t sum_w = 2 * plus - K;
    const std::int64_t bias = p.bias.empty() ? 0 : p.bias[static_cast<std::size_t>(o)];
    const std::int64_t zreq = p.requant_input_zero_points[static_cast<std::size_t>(o)];
    const std::int64_t offset = bias + (qmin - p.input_zero_point) * sum_w - zreq;
    const quant::Requantiser r{p.multipliers[static_cast<std::size_t>(o)], p.output_zero_point, {p.lo, p.hi}};
    const std::optional<BinaryRequant> q = fit_binary_requant(-(K - plus), plus, offset, r);
    if (!q) return false;
    out[static_cast<std::size_t>(o)] = *q;
  }
  return true;
}

}  // namespace bitlab::runtime::fast
