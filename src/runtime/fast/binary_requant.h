#pragma once
// The fused requant of binary packed convs (AVX-512, docs/runtime.md "Binary"):
// a 32-bit affine form of §14.9 found at load and proved exact on every dot
// product the layer can produce.
//
// A binary layer's dot product d = Σ_k β_k·w'_k (β ∈ {0, 1}, w' = ±1) takes
// only the integers in [−N_o, P_o] (N_o, P_o: the channel's −1 and +1 weights),
// and its output is y(d) = Requantiser{m, zy, [lo, hi]}.apply(d + offset_o).
// Over so small a domain the 64-bit product is not needed: the fit looks for
// integers (m', f', s') with
//
//   clamp((d·m' + f') >> s', lo, hi) == y(d)   for every d in [d_min, d_max]
//
// and |d·m' + f'| < 2^31 there, so int32 lanes compute it without wrapping.
// For each candidate (s', m') — m' the floor or ceiling of m·2^(s'−s) — the
// equality is a set of linear inequalities in f' alone (one or two per d:
// u(d) ≥ y(d) where y(d) > lo, u(d) ≤ y(d) where y(d) < hi, with
// u = ⌊(d·m' + f')/2^s'⌋), whose intersection is an interval; any f' in it is
// exact by construction, so nothing is approximated. When no candidate works
// the layer keeps the generic epilogue.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "quant/dyadic.h"

namespace bitlab::runtime::fast {

struct ConvProblem;

// The AVX-512 kernel holds popcounts p, n ≤ K as the signed words of one dword (p + n·2^16).
inline constexpr std::int64_t kBinaryMaxDotTaps = 32767;

struct BinaryRequant {
  std::int32_t mult = 0;   // m' ≥ 0
  std::int32_t fold = 0;   // f' (table: −D)
  std::int32_t shift = 0;  // s' in [0, 31]
  bool word = false;       // 2m' ≤ 32767: one VPDPWSSD of (p, n) with (2m', −m') computes d·m' + f'
  std::uint32_t pair = 0;  // the VPDPWSSD word pair: (2m', −m') when `word`, else (2, −1) for d
  // Table form, preferred when y is constant below some D and above D + 63 (steep requants:
  // few dot products reach codes strictly inside [lo, hi]): y(d) = bytes[clamp(d − D, 0, 63)],
  // one VPERMB; the bytes are the stored codes (int8 or uint8 as [lo, hi] says).
  bool table = false;
  std::array<std::uint8_t, 64> bytes{};
};

// The exact table or 32-bit form of d ↦ r.apply(d + offset) on [d_min, d_max], if one exists.
std::optional<BinaryRequant> fit_binary_requant(std::int64_t d_min, std::int64_t d_max, std::int64_t offset,
                                                const quant::Requantiser& r);

// bytes[clamp(d − D, 0, 63)] or clamp((d·m' + f') >> s', lo, hi): what the AVX-512 kernel
// computes (tests compare it with apply()).
std::int32_t apply_binary_requant(const BinaryRequant& q, std::int64_t d, std::int32_t lo, std::int32_t hi);

// One fit per output channel of a binary conv with a fused requant whose clamp fits a byte;
// false (and `out` unspecified) when some channel has none or K > kBinaryMaxDotTaps.
bool fit_binary_requants(const ConvProblem& p, std::vector<BinaryRequant>& out);

}  // namespace bitlab::runtime::fast
