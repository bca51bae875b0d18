#pragma once
// The AVX-512 VBMI path of the depthwise kernel (depthwise.h): VPDPBUSD on
// bytes gathered straight from the [N, C, H, W] input by VPERMB, no padded
// plane, no int32 widening.
//
// Outputs are taken 16 at a time (one int32 lane each) in the flat order
// (channel, oy, ox) of a group of `group` channels, so a block may span
// several channels when planes are small (3 × 3, 6 × 6) and never wastes the
// columns of a padded grid. The taps are split in "quads" (≤ 4 consecutive
// taps of one kernel row); for each block and quad the plan holds a 64-byte
// window of the input (`base`, inside the group's planes), the VPERMB index
// that puts tap k of lane L at byte 4L + k, the load mask of the bytes it
// uses and the mask of the bytes that come from it: every other byte (taps in
// the padding, the fourth byte of a 3-tap quad) takes the code zx. With
// u8 = x (+128 if signed) and weights w' = w − zw as int8,
//
//   acc = corr_c + Σ_quads VPDPBUSD(u8 bytes, w' bytes),  corr_c = bias_c − zx_u8 · Σ_t w'_t
//
// is §14.1 exactly: a padded tap contributes zx_u8 · w' and corr cancels it;
// the int32 sums wrap, but the final value fits (§13), so it is exact. Blocks
// are cut where a quad's bytes would not fit one 64-byte window (stride 2 on
// wide rows). The whole layout depends only on the geometry, so one table of
// blocks serves every group (and a second one the last, shorter group).
//
// Requant (§14.9) in registers, for m < 2^31 and shifts s ≥ 1:
// t = (acc · m) >> (s − 1) on even and odd int64 lanes (VPMULDQ, VPSRAQ),
// the low halves gathered to int32, then y = clamp((t + 1 + 2 zy) >> 1, lo, hi)
// — the same value as ((acc·m + 2^(s−1)) >> s) + zy, since the first shift
// only drops bits below the rounding bit. make_gather_plan checks, per
// channel, with the bound on |acc|, that t fits int32; layers that fail
// (or multipliers ≥ 2^31, s = 0) keep the int32 kernel.
#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/fast/packed_conv.h"

namespace bitlab::runtime::fast::detail {

struct GatherQuad {
  std::uint64_t load = 0;  // bytes of the window read
  std::uint64_t take = 0;  // bytes of the permuted vector taken from the window (others: zx)
  std::int64_t base = 0;   // window start in bytes from the group's first input plane
  std::int32_t index = 0;  // into GatherPlan::indices
};

struct GatherBlock {
  std::int64_t out = 0;          // first output, from the group's first output plane
  std::int32_t lanes = 16;       // 1..16
  std::int32_t channel = 0;      // channel of lane 0 in the group
  std::int32_t lane_channels = -1;  // −1: one channel; else into GatherPlan::lane_channels
};

struct GatherTable {
  std::int64_t channels = 0;         // per group
  std::vector<GatherBlock> blocks;
  std::vector<GatherQuad> quads;     // [block][Q]
};

struct GatherPlan {
  std::int64_t N = 1, C = 1, HW = 1, P = 1;  // P = OH·OW
  std::int64_t Q = 1;                        // quads per block
  std::int64_t groups = 0;                   // full groups of main.channels
  GatherTable main, tail;                    // tail: the last C mod main.channels channels
  std::vector<std::uint8_t> indices;         // [n][64] VPERMB indices
  std::vector<std::int32_t> lane_channels;   // [n][16] channel of each lane, from the block's lane 0
  // Per channel, padded by 16 entries so that 16-lane loads from any channel stay inside.
  std::vector<std::int32_t> weights;  // [Q][C + 16] four int8 w' (0 past the quad's taps)
  std::vector<std::int32_t> corr;     // [C + 16]
  std::vector<std::int32_t> mult;     // [C + 16] (requant)
  std::vector<std::int32_t> shift1;   // [C + 16] s − 1 (requant)
  bool input_signed = false, requant = false;
  std::uint8_t zx_byte = 0;           // the code zx as stored
  std::int32_t k = 1, lo = 0, hi = 0;  // k = 1 + 2·zy

  [[nodiscard]] std::size_t bytes() const;
};

// The plan for `p` (an eligible depthwise conv), or nothing where the requant
// cannot take the int32 form above (the caller keeps the int32 kernel).
std::optional<GatherPlan> make_gather_plan(const ConvProblem& p);
// Whether this CPU runs depthwise_gather_avx512 (AVX-512 F, BW, VNNI, VBMI).
bool gather_supported();
void depthwise_gather_avx512(const GatherPlan& plan, const std::uint8_t* input, void* output);

}  // namespace bitlab::runtime::fast::detail
