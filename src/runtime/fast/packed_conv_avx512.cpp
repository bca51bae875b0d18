// AVX-512 pieces of the packed conv (packed_conv.h): VPDPBUSD (u8 × s8 → int32)
// for int8, VPOPCNTB for binary. Compiled with per-function target attributes
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

}  // namespace

// out[i·4 + j] = rows[j][p0 + i] ^ flip for the 64 pixels i (the VPDPBUSD operand order).
BITLAB_AVX512 void interleave4_avx512(const std::uint8_t* const rows[4], std::int64_t p0, std::int64_t valid,
                                      std::uint8_t flip, std::uint8_t* out) {
  const __mmask64 mask = valid_mask(valid);
  const __m512i f = _mm512_set1_epi8(static_cast<char>(flip));
  const __m512i r0 = load_row(rows[0], p0, mask), r1 = load_row(rows[1], p0, mask);
  const __m512i r2 = load_row(rows[2], p0, mask), r3 = load_row(rows[3], p0, mask);
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

// out[i] bit j = rows[j][p0 + i] − sub (0 or 1) for the 64 pixels i.
BITLAB_AVX512 void pack_bits_avx512(const std::uint8_t* const rows[8], std::int64_t p0, std::int64_t valid,
                                    std::uint8_t sub, std::uint8_t* out) {
  const __mmask64 mask = valid_mask(valid);
  const __m512i s = _mm512_set1_epi8(static_cast<char>(sub)), one = _mm512_set1_epi8(1);
  __m512i acc = _mm512_setzero_si512();
  for (int j = 0; j < 8; ++j) {
    if (!rows[j]) continue;
    const __m512i beta = _mm512_and_si512(_mm512_sub_epi8(_mm512_maskz_loadu_epi8(mask, rows[j] + p0), s), one);
    acc = _mm512_or_si512(acc, _mm512_slli_epi16(beta, static_cast<unsigned>(j)));  // stays inside each byte
  }
  _mm512_storeu_si512(out, acc);
}

// raw[r][i] = Σ_s Σ_j panel[s][i][j] · w[r][s·4 + j] for 6 rows × 64 pixels: 24 accumulators,
// 4 activation vectors per step, each weight dword broadcast once and used 4 times.
BITLAB_AVX512 void multiply_int8_avx512(const std::uint8_t* panel, const std::int8_t* w, std::int64_t k_steps,
                                        std::int32_t* raw) {
  __m512i acc[kBlockRows][4];
#pragma GCC unroll 8
  for (int r = 0; r < kBlockRows; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < 4; ++v) acc[r][v] = _mm512_setzero_si512();
  const std::int64_t stride = k_steps * 4;
  for (std::int64_t s = 0; s < k_steps; ++s) {
    const std::uint8_t* x = panel + s * 256;
    const __m512i a0 = _mm512_loadu_si512(x), a1 = _mm512_loadu_si512(x + 64);
    const __m512i a2 = _mm512_loadu_si512(x + 128), a3 = _mm512_loadu_si512(x + 192);
#pragma GCC unroll 8
    for (int r = 0; r < kBlockRows; ++r) {
      std::int32_t word;
      std::memcpy(&word, w + r * stride + s * 4, 4);
      const __m512i b = _mm512_set1_epi32(word);
      acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], a0, b);
      acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], a1, b);
      acc[r][2] = _mm512_dpbusd_epi32(acc[r][2], a2, b);
      acc[r][3] = _mm512_dpbusd_epi32(acc[r][3], a3, b);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < kBlockRows; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < 4; ++v) _mm512_storeu_si512(raw + r * 64 + v * 16, acc[r][v]);
}

// raw[r][i] = Σ_s popcount(panel[s][i] & w[r][s]): byte counters (≤ 8 per step) are
// widened to 16 bits every 31 steps and added into raw (int32) every 31·256 steps.
BITLAB_AVX512 void multiply_binary_avx512(const std::uint8_t* panel, const std::uint8_t* w, std::int64_t k_steps,
                                          std::int32_t* raw) {
  for (int i = 0; i < kBlockRows * kBlockPixels; ++i) raw[i] = 0;
  const __m512i zero = _mm512_setzero_si512();
  for (std::int64_t chunk = 0; chunk < k_steps; chunk += 31 * 256) {
    const std::int64_t chunk_end = std::min(k_steps, chunk + 31 * 256);
    __m512i wide[kBlockRows][2];
#pragma GCC unroll 8
    for (int r = 0; r < kBlockRows; ++r) wide[r][0] = wide[r][1] = zero;
    for (std::int64_t s0 = chunk; s0 < chunk_end; s0 += 31) {
      const std::int64_t s1 = std::min(chunk_end, s0 + 31);
      __m512i bytes[kBlockRows];
#pragma GCC unroll 8
      for (int r = 0; r < kBlockRows; ++r) bytes[r] = zero;
      for (std::int64_t s = s0; s < s1; ++s) {
        const __m512i x = _mm512_loadu_si512(panel + s * 64);
#pragma GCC unroll 8
        for (int r = 0; r < kBlockRows; ++r) {
          const __m512i b = _mm512_set1_epi8(static_cast<char>(w[r * k_steps + s]));
          bytes[r] = _mm512_add_epi8(bytes[r], _mm512_popcnt_epi8(_mm512_and_si512(x, b)));
        }
      }
#pragma GCC unroll 8
      for (int r = 0; r < kBlockRows; ++r) {
        wide[r][0] = _mm512_add_epi16(wide[r][0], _mm512_cvtepu8_epi16(_mm512_castsi512_si256(bytes[r])));
        wide[r][1] = _mm512_add_epi16(wide[r][1], _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(bytes[r], 1)));
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < kBlockRows; ++r)
      for (int h = 0; h < 2; ++h)
        for (int q = 0; q < 2; ++q) {
          std::int32_t* dst = raw + r * 64 + h * 32 + q * 16;
          const __m256i part = q == 0 ? _mm512_castsi512_si256(wide[r][h]) : _mm512_extracti64x4_epi64(wide[r][h], 1);
          _mm512_storeu_si512(dst, _mm512_add_epi32(_mm512_loadu_si512(dst), _mm512_cvtepu16_epi32(part)));
        }
  }
}

// §14.8 epilogue, 16 pixels at a time: acc = raw (+ binary fix-up) + offset (wrapping),
// then t = (acc·m + 2^(s−1)) >> s in 64-bit lanes (m < 2^31 here), y = clamp(t + zy, lo, hi).
BITLAB_AVX512 void epilogue_avx512(const EpilogueArgs& a) {
  for (int r = 0; r < a.count; ++r) {
    const __m512i offset = _mm512_set1_epi32(a.offset[r]);
    const __m512i m = _mm512_set1_epi64(a.mult[r]);
    const int s = a.shift[r];
    const __m512i rnd = _mm512_set1_epi64(s > 0 ? std::int64_t{1} << (s - 1) : 0);
    const __m128i count = _mm_cvtsi32_si128(s);
    const __m512i zy = _mm512_set1_epi64(a.zy), lo = _mm512_set1_epi64(a.lo), hi = _mm512_set1_epi64(a.hi);
    for (int v = 0; v < 4; ++v) {
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
void multiply_int8_avx512(const std::uint8_t*, const std::int8_t*, std::int64_t, std::int32_t*) { std::abort(); }
void multiply_binary_avx512(const std::uint8_t*, const std::uint8_t*, std::int64_t, std::int32_t*) { std::abort(); }
void epilogue_avx512(const EpilogueArgs&) { std::abort(); }
void scatter_codes_avx512(const std::uint8_t*, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::uint8_t*) { std::abort(); }
}  // namespace bitlab::runtime::fast::detail
#endif
