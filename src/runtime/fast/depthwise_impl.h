#pragma once
// The loops of the depthwise kernel (depthwise.h), for the auto-vectoriser.
// Included by depthwise.cpp (portable) and depthwise_x86.cpp (AVX2, AVX-512).
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "runtime/fast/depthwise.h"
#include "runtime/fast/elementwise_impl.h"

namespace bitlab::runtime::fast::impl {

// GCC vector types (lowered to whatever the enclosing function's target has): GCC's
// auto-vectoriser leaves the tap loop below scalar, these make the register blocking explicit.
#pragma GCC diagnostic ignored "-Wpsabi"  // the vector helpers are always inlined; no ABI boundary
using V16i = std::int32_t __attribute__((vector_size(64)));

__attribute__((always_inline)) inline V16i load16(const std::int32_t* p) {
  V16i a;
  std::memcpy(&a, p, sizeof a);
  return a;
}

// acc[p] = bias + Σ_t w[t] · (plane[p + off[t]] & mask_t[p]) for p < grid (a multiple of
// kDepthwiseChunk = 16), in register blocks of 32 pixels and a last one of 16, each handed to
// emit(p0, block); mask_t is null where no column of the tap leaves the row.
template <class Emit>
inline void depthwise_accumulate(const std::int32_t* __restrict plane, const std::int32_t* __restrict w,
                                 const std::int64_t* __restrict off, const std::int32_t* const* __restrict masks,
                                 std::int64_t taps, std::int64_t grid, std::int32_t bias, Emit&& emit) {
  static_assert(detail::kDepthwiseChunk == 16);
  std::int64_t p0 = 0;
  for (; p0 + 32 <= grid; p0 += 32) {
    V16i a0 = V16i{} + bias, a1 = a0;
    for (std::int64_t t = 0; t < taps; ++t) {
      const std::int32_t* src = plane + off[t] + p0;
      const std::int32_t wt = w[t];
      V16i x0 = load16(src), x1 = load16(src + 16);
      if (const std::int32_t* m = masks[t]) {
        x0 &= load16(m + p0);
        x1 &= load16(m + p0 + 16);
      }
      a0 += x0 * wt;
      a1 += x1 * wt;
    }
    emit(p0, a0);
    emit(p0 + 16, a1);
  }
  if (p0 < grid) {
    V16i a0 = V16i{} + bias;
    for (std::int64_t t = 0; t < taps; ++t) {
      V16i x0 = load16(plane + off[t] + p0);
      if (const std::int32_t* m = masks[t]) x0 &= load16(m + p0);
      a0 += x0 * w[t];
    }
    emit(p0, a0);
  }
}

// depthwise_accumulate for a KH × KW kernel known at compile time (3 × 3 in MobileNet and
// DS-CNN): the weights stay in registers, and since a column mask is the same for every ky,
// each kernel column is summed unmasked and masked once.
template <int KH, int KW, class Emit>
inline void depthwise_accumulate_fixed(const std::int32_t* __restrict plane, const std::int32_t* __restrict w,
                                       const std::int64_t* __restrict off, const std::int32_t* const* __restrict masks,
                                       std::int64_t grid, std::int32_t bias, Emit&& emit) {
  V16i wv[KH * KW];
  std::int64_t o[KH * KW];
  for (int t = 0; t < KH * KW; ++t) {
    wv[t] = V16i{} + w[t];
    o[t] = off[t];
  }
  const std::int32_t* m[KW];
  for (int kx = 0; kx < KW; ++kx) m[kx] = masks[kx];  // tap (0, kx): the mask of kernel column kx
  for (std::int64_t p0 = 0; p0 < grid; p0 += 16) {
    const std::int32_t* base = plane + p0;
    V16i sum = V16i{} + bias;
    for (int kx = 0; kx < KW; ++kx) {
      V16i col = load16(base + o[kx]) * wv[kx];
      for (int ky = 1; ky < KH; ++ky) col += load16(base + o[ky * KW + kx]) * wv[ky * KW + kx];
      if (m[kx]) col &= load16(m[kx] + p0);
      sum += col;
    }
    emit(p0, sum);
  }
}

template <bool Avx512, class In>
inline void to_int32_minus(const In* __restrict src, std::int64_t n, std::int32_t zx, std::int32_t* __restrict dst) {
  std::int64_t i = 0;
#if BITLAB_FAST_X86
  if constexpr (Avx512) i = avx512::minus_blocks(src, n, zx, dst);
#endif
  for (; i + 16 <= n; i += 16) {
    Vec16<In> v;
    std::memcpy(&v, src + i, sizeof v);
    const V16i w = __builtin_convertvector(v, V16i) - zx;
    std::memcpy(dst + i, &w, sizeof w);
  }
  for (; i < n; ++i) dst[i] = static_cast<std::int32_t>(src[i]) - zx;
}

// The plane of x − zx (depthwise.h). Writes only the interior: the caller zeroes the plane once
// per run, and no channel writes its padding. `row` is scratch for one input row.
template <bool Avx512, class In>
inline void depthwise_plane(const In* __restrict x, const detail::DepthwiseArgs& a, std::int32_t* __restrict plane,
                            std::int32_t* __restrict row) {
  const std::int64_t top = a.front + a.pad_h * a.Wg;
  if (a.flat) {  // rows of W after `front` zeros and pad_h zero rows
    to_int32_minus<Avx512>(x, a.H * a.W, a.zx, plane + top);
    return;
  }
  if (!a.phases) {  // rows of pad_w + W + pad_w
    for (std::int64_t iy = 0; iy < a.H; ++iy) to_int32_minus<Avx512>(x + iy * a.W, a.W, a.zx, plane + top + iy * a.Wg + a.pad_w);
    return;
  }
  // Stride 2: padded element (r, c) goes to phase (r mod 2, c mod 2), position (r/2, c/2).
  // `row` holds the H padded rows of row_len (their padding and tails stay zero): all are
  // converted first, then split in blocks of 16 (reading a row right after writing it would
  // stall on store forwarding). The blocks may run past a phase row, writing zeros into the
  // next one (written later, or padding) or into the slack after the phase (depthwise.cpp).
  for (std::int64_t iy = 0; iy < a.H; ++iy) to_int32_minus<Avx512>(x + iy * a.W, a.W, a.zx, row + iy * a.row_len + a.pad_w);
  for (std::int64_t iy = 0; iy < a.H; ++iy) {
    const std::int32_t* src = row + iy * a.row_len;
    const std::int64_t r = iy + a.pad_h;
    std::int32_t* even = plane + 2 * (r % 2) * a.phase_len + (r / 2) * a.Wg;
    std::int32_t* odd = even + a.phase_len;
    for (std::int64_t j0 = 0; j0 < a.Wg; j0 += 16) {
      const V16i lo = load16(src + 2 * j0), hi = load16(src + 2 * j0 + 16);
      const V16i e = __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
      const V16i o = __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
      std::memcpy(even + j0, &e, sizeof e);
      std::memcpy(odd + j0, &o, sizeof o);
    }
  }
}

template <class T>
inline void copy_rows(const T* __restrict src, std::int64_t rows, std::int64_t src_w, std::int64_t w, T* __restrict dst) {
  if (src_w == w) {
    for (std::int64_t i = 0; i < rows * w; ++i) dst[i] = src[i];
    return;
  }
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t i = 0; i < w; ++i) dst[r * w + i] = src[r * src_w + i];
}

// Requantises one block of 16 accumulators into 16 codes (§14.9, as requant_body).
template <bool Avx512>
struct BlockRequant {
  explicit BlockRequant(const RequantParams& p) : p(p) {}
  void operator()(const V16i& v, std::uint8_t* y) const {
    std::int32_t lanes[16];
    std::memcpy(lanes, &v, sizeof lanes);
    requant_body<false>(lanes, 16, p, y);
  }
  RequantParams p;
};
#if BITLAB_FAST_X86
template <>
struct BlockRequant<true> {
  explicit BlockRequant(const RequantParams& p)
      : b(avx512::block_consts(p)), lo(avx512::broadcast64(p.lo)), hi(avx512::broadcast64(p.hi)), zero_zx(p.zx == 0) {}
  void operator()(const V16i& v, std::uint8_t* y) const {
    if (zero_zx) avx512::requant_store16_acc(&v, b, lo, hi, y);  // m < 2^31 here: wide channels take the scalar path
    else avx512::requant_store16(&v, b, y);
  }
  avx512::BlockConsts b;
  __m512i lo, hi;
  bool zero_zx;
};
#endif

template <bool Avx512, class In>
inline void depthwise_body(const detail::DepthwiseArgs& a) {
  // Two planes: channel k + 1's is built before channel k's is read, so that the reads do
  // not wait on the stores just made (store forwarding fails across these offsets).
  std::int32_t* planes[2] = {reinterpret_cast<std::int32_t*>(a.scratch), reinterpret_cast<std::int32_t*>(a.scratch + a.plane_bytes)};
  auto* acc = reinterpret_cast<std::int32_t*>(a.scratch + 2 * a.plane_bytes);
  std::uint8_t* codes = a.scratch + 2 * a.plane_bytes + a.acc_bytes;
  auto* row = reinterpret_cast<std::int32_t*>(codes + a.codes_bytes);
  const std::int64_t out_plane = a.OH * a.OW;
  std::memset(a.scratch, 0, 2 * a.plane_bytes);
  std::memset(row, 0, static_cast<std::size_t>(a.phases ? a.H * a.row_len : 0) * sizeof(std::int32_t));
  const In* x = reinterpret_cast<const In*>(a.input);
  const std::int64_t count = a.N * a.C;
  if (count > 0) depthwise_plane<Avx512>(x, a, planes[0], row);
  for (std::int64_t nc = 0; nc < count; ++nc) {
    {
      const std::int64_t c = nc % a.C;
      if (nc + 1 < count) depthwise_plane<Avx512>(x + (nc + 1) * a.H * a.W, a, planes[(nc + 1) % 2], row);
      const std::int32_t* plane = planes[nc % 2];
      auto accumulate = [&](auto&& emit) {
        if (a.taps == 9 && a.KW == 3) {
          depthwise_accumulate_fixed<3, 3>(plane + a.front, a.weights + c * a.taps, a.tap_offsets, a.tap_masks, a.grid,
                                              a.bias[c], emit);
        } else {
          depthwise_accumulate(plane + a.front, a.weights + c * a.taps, a.tap_offsets, a.tap_masks, a.taps, a.grid,
                                  a.bias[c], emit);
        }
      };
      if (a.requant && !a.wide[c]) {  // requantised in registers, block by block
        const BlockRequant<Avx512> rq(a.params[c]);
        accumulate([&](std::int64_t p0, const V16i& v) { rq(v, codes + p0); });
      } else {
        accumulate([&](std::int64_t p0, const V16i& v) { std::memcpy(acc + p0, &v, sizeof v); });
      }
      if (!a.requant) {
        copy_rows(acc, a.OH, a.Wg, a.OW, static_cast<std::int32_t*>(a.output) + nc * out_plane);
        continue;
      }
      if (a.wide[c]) {  // m ≥ 2^31: the 128-bit scalar path
        for (std::int64_t p = 0; p < a.OH * a.Wg; ++p)
          codes[p] = static_cast<std::uint8_t>(a.requantisers[c].apply(static_cast<std::int64_t>(acc[p]) - a.params[c].zx));
      }
      copy_rows(codes, a.OH, a.Wg, a.OW, static_cast<std::uint8_t*>(a.output) + nc * out_plane);
    }
  }
}

template <bool Avx512>
inline void depthwise_dispatch(const detail::DepthwiseArgs& a) {
  if (a.input_signed) depthwise_body<Avx512, std::int8_t>(a);
  else depthwise_body<Avx512, std::uint8_t>(a);
}

}  // namespace bitlab::runtime::fast::impl
