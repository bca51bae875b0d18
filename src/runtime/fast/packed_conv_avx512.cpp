// AVX-512 pieces of the packed conv (packed_conv.h): VPDPBUSD (u8 × s8 → int32)
// for int8, VPOPCNTB for binary (with
// the binary panel in the int8 panel's dword order, see pack_bits4_avx512). Compiled with per-function target attributes
// so that the library builds without -march and the caller dispatches at run
// time (isa.h). Results are bit-identical to the portable code beside them in
// packed_conv.cpp, which the differential tests check.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "runtime/fast/packed_conv.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// GCC 12 warns inside its own AVX-512 headers (the _mm512_undefined_* placeholders).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#define BITLAB_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512bitalg")))

namespace bitlab::runtime::fast::detail {
namespace {

BITLAB_AVX512 inline __m512i load_row(const std::uint8_t* row, std::int64_t p0, __mmask64 mask) {
  return row ? _mm512_maskz_loadu_epi8(mask, row + p0) : _mm512_setzero_si512();
}

BITLAB_AVX512 inline __mmask64 valid_mask(std::int64_t valid) {
  return valid >= 64 ? ~__mmask64{0} : ((__mmask64{1} << valid) - 1);
}

// out[i·4 + j] = byte i of r_j ^ f for the 64 bytes i (the VPDPBUSD operand order).
BITLAB_AVX512 inline void interleave_store(__m512i r0, __m512i r1, __m512i r2, __m512i r3, __m512i f, std::uint8_t* out) {
  // Byte then word interleaves work inside 128-bit lanes; a 4×4 lane transpose finishes.
  const __m512i a = _mm512_unpacklo_epi8(r0, r1), b = _mm512_unpackhi_epi8(r0, r1);
  const __m512i c = _mm512_unpacklo_epi8(r2, r3), d = _mm512_unpackhi_epi8(r2, r3);
  const __m512i e0 = _mm512_unpacklo_epi16(a, c), e1 = _mm512_unpackhi_epi16(a, c);
  const __m512i e2 = _mm512_unpacklo_epi16(b, d), e3 = _mm512_unpackhi_epi16(b, d);
  const __m512i t0 = _mm512_shuffle_i32x4(e0, e1, 0x44), t1 = _mm512_shuffle_i32x4(e2, e3, 0x44);
  const __m512i t2 = _mm512_shuffle_i32x4(e0, e1, 0xEE), t3 = _mm512_shuffle_i32x4(e2, e3, 0xEE);
  _mm512_storeu_si512(out, _mm512_xor_si512(_mm512_shuffle_i32x4(t0, t1, 0x88), f));
  _mm512_storeu_si512(out + 64, _mm512_xor_si512(_mm512_shuffle_i32x4(t0, t1, 0xDD), f));
  _mm512_storeu_si512(out + 128, _mm512_xor_si512(_mm512_shuffle_i32x4(t2, t3, 0x88), f));
  _mm512_storeu_si512(out + 192, _mm512_xor_si512(_mm512_shuffle_i32x4(t2, t3, 0xDD), f));
}

// Byte i = bits (rows[j][p0 + i] − sub) & 1 at bit j, for the 64 pixels i: (v − sub) & 1 is
// v & 1 for sub = 0 and !(v & 1) for sub = 0xFF, one VPTESTMB / VPTESTNMB, then a byte-masked add
// of 1 << j (the bits are distinct, so add = or).
BITLAB_AVX512 inline __m512i bit_byte(const std::uint8_t* const rows[8], std::int64_t p0, __mmask64 mask, bool sub) {
  const __m512i one = _mm512_set1_epi8(1);
  __m512i acc = _mm512_setzero_si512();
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) {
    if (!rows[j]) continue;
    const __m512i v = _mm512_maskz_loadu_epi8(mask, rows[j] + p0);
    const __mmask64 bit = (sub ? _mm512_testn_epi8_mask(v, one) : _mm512_test_epi8_mask(v, one)) & mask;
    acc = _mm512_mask_add_epi8(acc, bit, acc, _mm512_set1_epi8(static_cast<char>(1u << j)));
  }
  return acc;
}

}  // namespace

// out[i·4 + j] = rows[j][p0 + i] ^ flip for the 64 pixels i (the VPDPBUSD operand order).
BITLAB_AVX512 void interleave4_avx512(const std::uint8_t* const rows[4], std::int64_t p0, std::int64_t valid,
                                      std::uint8_t flip, std::uint8_t* out) {
  const __mmask64 mask = valid_mask(valid);
  interleave_store(load_row(rows[0], p0, mask), load_row(rows[1], p0, mask), load_row(rows[2], p0, mask),
                   load_row(rows[3], p0, mask), _mm512_set1_epi8(static_cast<char>(flip)), out);
}

BITLAB_AVX512 void pack_bits_avx512(const std::uint8_t* const rows[8], std::int64_t p0, std::int64_t valid,
                                    std::uint8_t sub, std::uint8_t* out) {
  const __mmask64 mask = valid_mask(valid);
  _mm512_mask_storeu_epi8(out, mask, bit_byte(rows, p0, mask, sub != 0));
}

// out[i·4 + q] bit j = rows[q·8 + j][p0 + i] − sub (0 or 1) for the 64 pixels i: four bytes of
// taps per pixel, in the int8 panel's order, so that one broadcast weight dword serves 4 vectors.
BITLAB_AVX512 void pack_bits4_avx512(const std::uint8_t* const rows[32], std::int64_t p0, std::int64_t valid,
                                     std::uint8_t sub, std::uint8_t* out) {
  const __mmask64 mask = valid_mask(valid);
  const bool s = sub != 0;  // 0 or 0xFF (signed 1-bit codes)
  interleave_store(bit_byte(rows, p0, mask, s), bit_byte(rows + 8, p0, mask, s), bit_byte(rows + 16, p0, mask, s),
                   bit_byte(rows + 24, p0, mask, s), _mm512_setzero_si512(), out);
}

namespace {

// raw[r][i] = Σ_s Σ_j panel[s][i][j] · w[r][s·4 + j] for R rows × 16·V pixels: R·V accumulators,
// V activation vectors per step, each weight dword broadcast once and used V times. VPDPBUSD
// issues one zmm per cycle here with latency 4 (bench BM_VpdpbusdPeak), so R·V ≥ 4 keeps it busy.
template <int R, int V>
BITLAB_AVX512 void int8_block(const std::uint8_t* panel, const std::int8_t* w, std::int64_t k_steps, std::int32_t* raw) {
  __m512i acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_si512();
  const std::int64_t stride = k_steps * 4;
  for (std::int64_t s = 0; s < k_steps; ++s) {
    const std::uint8_t* x = panel + s * 256;
    __m512i a[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) a[v] = _mm512_loadu_si512(x + v * 64);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      std::int32_t word;
      std::memcpy(&word, w + r * stride + s * 4, 4);
      const __m512i b = _mm512_set1_epi32(word);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], a[v], b);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) _mm512_storeu_si512(raw + r * 64 + v * 16, acc[r][v]);
}

// raw[r][i] = Σ_q Σ_j popcount(panel[q][i][j] & w[r][q·4 + j]) for R rows × 16·V pixels. Byte
// counters (≤ 8 per quad step) are summed per pixel dword by VPDPBUSD with ones into raw every
// 31 quad steps (31·8 < 256). Per broadcast weight dword: V × (AND, VPOPCNTB, ADD).
template <int R, int V>
BITLAB_AVX512 void binary_block(const std::uint8_t* panel, const std::uint8_t* w, std::int64_t k_quads, std::int32_t* raw) {
  const __m512i ones = _mm512_set1_epi8(1);
  const std::int64_t stride = k_quads * 4;
  for (std::int64_t q0 = 0; q0 < k_quads; q0 += 31) {
    const std::int64_t q1 = std::min(k_quads, q0 + 31);
    __m512i acc[R][V];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_si512();
    for (std::int64_t q = q0; q < q1; ++q) {
      const std::uint8_t* x = panel + q * 256;
      __m512i a[V];
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) a[v] = _mm512_loadu_si512(x + v * 64);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        std::int32_t word;
        std::memcpy(&word, w + r * stride + q * 4, 4);
        const __m512i b = _mm512_set1_epi32(word);
#pragma GCC unroll 4
        for (int v = 0; v < V; ++v) acc[r][v] = _mm512_add_epi8(acc[r][v], _mm512_popcnt_epi8(_mm512_and_si512(a[v], b)));
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) {
        std::int32_t* dst = raw + r * 64 + v * 16;
        const __m512i prev = q0 == 0 ? _mm512_setzero_si512() : _mm512_loadu_si512(dst);
        _mm512_storeu_si512(dst, _mm512_dpbusd_epi32(prev, acc[r][v], ones));
      }
  }
}

template <template <int, int> class Kernel, typename W>
void dispatch(int rows, int vectors, const std::uint8_t* panel, const W* w, std::int64_t steps, std::int32_t* raw) {
  // Only the rows and 16-pixel vectors that exist are computed (row and pixel tails).
  using Fn = void (*)(const std::uint8_t*, const W*, std::int64_t, std::int32_t*);
  static constexpr Fn table[kBlockRows][4] = {
      {Kernel<1, 1>::run, Kernel<1, 2>::run, Kernel<1, 3>::run, Kernel<1, 4>::run},
      {Kernel<2, 1>::run, Kernel<2, 2>::run, Kernel<2, 3>::run, Kernel<2, 4>::run},
      {Kernel<3, 1>::run, Kernel<3, 2>::run, Kernel<3, 3>::run, Kernel<3, 4>::run},
      {Kernel<4, 1>::run, Kernel<4, 2>::run, Kernel<4, 3>::run, Kernel<4, 4>::run},
      {Kernel<5, 1>::run, Kernel<5, 2>::run, Kernel<5, 3>::run, Kernel<5, 4>::run},
      {Kernel<6, 1>::run, Kernel<6, 2>::run, Kernel<6, 3>::run, Kernel<6, 4>::run},
  };
  table[rows - 1][vectors - 1](panel, w, steps, raw);
}

template <int R, int V>
struct Int8Kernel {
  BITLAB_AVX512 static void run(const std::uint8_t* p, const std::int8_t* w, std::int64_t n, std::int32_t* raw) { int8_block<R, V>(p, w, n, raw); }
};
template <int R, int V>
struct BinaryKernel {
  // At most 4 rows × 4 vectors per pass: 16 byte counters + 4 activations + the popcount
  // temporaries fit the 32 zmm registers (6 × 4 spilled the counters to the stack).
  BITLAB_AVX512 static void run(const std::uint8_t* p, const std::uint8_t* w, std::int64_t n, std::int32_t* raw) {
    if constexpr (R > 4) {
      binary_block<4, V>(p, w, n, raw);
      binary_block<R - 4, V>(p, w + 4 * n * 4, n, raw + 4 * kBlockPixels);
    } else {
      binary_block<R, V>(p, w, n, raw);
    }
  }
};

}  // namespace

void multiply_int8_avx512(const std::uint8_t* panel, const std::int8_t* w, std::int64_t k_steps, std::int32_t* raw, int rows,
                          int vectors) {
  dispatch<Int8Kernel>(rows, vectors, panel, w, k_steps, raw);
}

void multiply_binary_avx512(const std::uint8_t* panel, const std::uint8_t* w, std::int64_t k_quads, std::int32_t* raw, int rows,
                            int vectors) {
  dispatch<BinaryKernel>(rows, vectors, panel, w, k_quads, raw);
}

// §14.8 epilogue, 16 pixels at a time: acc = raw (+ binary fix-up) + offset (wrapping),
// then t = (acc·m + 2^(s−1)) >> s in 64-bit lanes (m < 2^31 here), y = clamp(t + zy, lo, hi).
namespace {

// One channel's 64 pixels when t + zy = ((dot + offset)·m + 2^(s−1)) >> s + zy is known to fit
// in int32 (the constructor's bounds, EpilogueArgs::narrow), so it is exact in 32-bit lanes. It
// is computed as (dot·m + fold) >> s with fold = offset·m + 2^(s−1) + zy·2^s (floor division
// absorbs the whole multiple of 2^s; the constructor checks that nothing wraps). Even lanes keep
// the low half of x >> s; odd lanes take x >> (s − 32) when s ≥ 32, whose high half is bits
// s..s+31 of x (else (x >> s) << 32). The 64 results, clamped to [lo, hi] ⊂ a byte's range,
// are packed to bytes by saturating packs (exact there).
BITLAB_AVX512 void requant_row_narrow(const EpilogueArgs& a, int r, bool unsigned_bytes) {
  const __m512i m = _mm512_set1_epi64(a.mult[r]);
  const int s = a.shift[r];
  const __m512i fold = _mm512_set1_epi64(a.fold[r]);
  const __m128i count = _mm_cvtsi32_si128(s), count_hi = _mm_cvtsi32_si128(s >= 32 ? s - 32 : 0);
  const __m512i lo = _mm512_set1_epi32(a.lo), hi = _mm512_set1_epi32(a.hi);
  __m512i y[4];
#pragma GCC unroll 4
  for (int v = 0; v < 4; ++v) {
    __m512i dot = _mm512_loadu_si512(a.raw + r * 64 + v * 16);
    if (a.ones) dot = _mm512_sub_epi32(_mm512_add_epi32(dot, dot), _mm512_loadu_si512(a.ones + v * 16));
    const __m512i even = _mm512_sra_epi64(_mm512_add_epi64(_mm512_mul_epi32(dot, m), fold), count);
    const __m512i x_odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(dot, 32), m), fold);
    const __m512i odd = s >= 32 ? _mm512_sra_epi64(x_odd, count_hi) : _mm512_slli_epi64(_mm512_sra_epi64(x_odd, count), 32);
    y[v] = _mm512_min_epi32(_mm512_max_epi32(_mm512_mask_blend_epi32(0xAAAA, even, odd), lo), hi);
  }
  const __m512i w01 = _mm512_packs_epi32(y[0], y[1]), w23 = _mm512_packs_epi32(y[2], y[3]);
  const __m512i bytes = unsigned_bytes ? _mm512_packus_epi16(w01, w23) : _mm512_packs_epi16(w01, w23);
  // The packs work per 128-bit lane: lane L holds dwords (y0, y1, y2, y3) of pixels 4L..4L+3 of each vector.
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  _mm512_storeu_si512(a.codes + r * 64, _mm512_permutexvar_epi32(order, bytes));
}

}  // namespace

BITLAB_AVX512 void epilogue_avx512(const EpilogueArgs& a) {
  const bool unsigned_bytes = a.lo >= 0 && a.hi <= 255, signed_bytes = a.lo >= -128 && a.hi <= 127;
  for (int r = 0; r < a.count; ++r) {
    if (a.requant && a.narrow != nullptr && a.narrow[r] != 0 && (unsigned_bytes || signed_bytes)) {
      requant_row_narrow(a, r, unsigned_bytes);
      continue;
    }
    const __m512i offset = _mm512_set1_epi32(a.offset[r]);
    const __m512i m = _mm512_set1_epi64(a.mult[r]);
    const int s = a.shift[r];
    const __m512i rnd = _mm512_set1_epi64(s > 0 ? std::int64_t{1} << (s - 1) : 0);
    const __m128i count = _mm_cvtsi32_si128(s);
    const __m512i zy = _mm512_set1_epi64(a.zy), lo = _mm512_set1_epi64(a.lo), hi = _mm512_set1_epi64(a.hi);
    for (int v = 0; v < a.vectors; ++v) {
      __m512i acc = _mm512_loadu_si512(a.raw + r * 64 + v * 16);
      if (a.ones) acc = _mm512_sub_epi32(_mm512_add_epi32(acc, acc), _mm512_loadu_si512(a.ones + v * 16));
      acc = _mm512_add_epi32(acc, offset);
      if (!a.requant) {
        _mm512_storeu_si512(a.accs + r * 64 + v * 16, acc);
        continue;
      }
      __m512i even = _mm512_mul_epi32(acc, m);
      __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), m);
      even = _mm512_add_epi64(_mm512_sra_epi64(_mm512_add_epi64(even, rnd), count), zy);
      odd = _mm512_add_epi64(_mm512_sra_epi64(_mm512_add_epi64(odd, rnd), count), zy);
      even = _mm512_min_epi64(_mm512_max_epi64(even, lo), hi);
      odd = _mm512_min_epi64(_mm512_max_epi64(odd, lo), hi);
      const __m512i y = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(a.codes + r * 64 + v * 16), _mm512_cvtepi32_epi8(y));
    }
  }
}

// Copies the 64 staged codes of one channel to their output positions: grid pixel p0 + i
// goes to (oy, ox) of the plane when ox < OW. One masked store per grid row segment.
BITLAB_AVX512 void scatter_codes_avx512(const std::uint8_t* src, std::int64_t valid, std::int64_t p0, std::int64_t grid_w,
                                        std::int64_t OW, std::uint8_t* plane) {
  const __m512i v = _mm512_loadu_si512(src);
  if (grid_w == OW) {  // no dropped columns (unpadded or strided): the block is one contiguous run
    _mm512_mask_storeu_epi8(plane + p0, valid >= 64 ? ~__mmask64{0} : ((__mmask64{1} << valid) - 1), v);
    return;
  }
  std::int64_t i = 0, oy = p0 / grid_w, ox = p0 % grid_w;
  while (i < valid) {
    const std::int64_t run = std::min(valid - i, grid_w - ox);
    if (ox < OW) {
      const std::int64_t keep = std::min(run, OW - ox);
      const __mmask64 lanes = (keep >= 64 ? ~__mmask64{0} : ((__mmask64{1} << keep) - 1)) << i;
      // Lane i lands at plane[oy·OW + ox]: the store's base is i bytes before it; masked-off
      // lanes are never accessed (AVX-512 suppresses their faults).
      const auto base = reinterpret_cast<std::uintptr_t>(plane + oy * OW + ox) - static_cast<std::uintptr_t>(i);
      _mm512_mask_storeu_epi8(reinterpret_cast<void*>(base), lanes, v);
    }
    i += run;
    ox = 0;
    ++oy;
  }
}

}  // namespace bitlab::runtime::fast::detail

#else
#include <cstdlib>
namespace bitlab::runtime::fast::detail {
// Never called: isa_supported(Isa::Avx512) is false off x86-64.
void interleave4_avx512(const std::uint8_t* const*, std::int64_t, std::int64_t, std::uint8_t, std::uint8_t*) { std::abort(); }
void pack_bits_avx512(const std::uint8_t* const*, std::int64_t, std::int64_t, std::uint8_t, std::uint8_t*) { std::abort(); }
void pack_bits4_avx512(const std::uint8_t* const*, std::int64_t, std::int64_t, std::uint8_t, std::uint8_t*) { std::abort(); }
void multiply_int8_avx512(const std::uint8_t*, const std::int8_t*, std::int64_t, std::int32_t*, int, int) { std::abort(); }
void multiply_binary_avx512(const std::uint8_t*, const std::uint8_t*, std::int64_t, std::int32_t*, int, int) { std::abort(); }
void epilogue_avx512(const EpilogueArgs&) { std::abort(); }
void scatter_codes_avx512(const std::uint8_t*, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::uint8_t*) { std::abort(); }
}  // namespace bitlab::runtime::fast::detail
#endif
