// AVX2 micro-kernels of the packed conv (packed_conv.h). Int8: AVX2 has no
// VPDPBUSD, and VPMADDUBSW saturates its int16 pair sums, so for exactness the
// activation bytes are split into even and odd taps as int16 and multiplied
// with int16 weight pairs by VPMADDWD (exact int32 pair sums).
#include <algorithm>
#include <cstring>

#include "runtime/fast/packed_conv.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

namespace bitlab::runtime::fast::detail {

// w16[r][s] = {(w0, w2), (w1, w3)} as int16 pairs; 3 rows × 16 pixels per pass keeps
// 6 accumulators, 4 activation halves and 2 weights in the 16 ymm registers.
__attribute__((target("avx2"))) void multiply_int8_avx2(const std::uint8_t* panel, const std::int32_t* w16,
                                                        std::int64_t k_steps, std::int32_t* raw) {
  const __m256i low = _mm256_set1_epi16(0x00FF);
  for (int half = 0; half < 2; ++half) {
    for (int chunk = 0; chunk < 4; ++chunk) {
      __m256i acc[3][2];
      for (auto& row : acc) row[0] = row[1] = _mm256_setzero_si256();
      for (std::int64_t s = 0; s < k_steps; ++s) {
        const std::uint8_t* x = panel + s * 256 + chunk * 64;
        const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
        const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32));
        const __m256i e0 = _mm256_and_si256(x0, low), o0 = _mm256_srli_epi16(x0, 8);
        const __m256i e1 = _mm256_and_si256(x1, low), o1 = _mm256_srli_epi16(x1, 8);
#pragma GCC unroll 3
        for (int r = 0; r < 3; ++r) {
          const std::int32_t* wr = w16 + ((half * 3 + r) * k_steps + s) * 2;
          const __m256i w02 = _mm256_set1_epi32(wr[0]), w13 = _mm256_set1_epi32(wr[1]);
          acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_add_epi32(_mm256_madd_epi16(e0, w02), _mm256_madd_epi16(o0, w13)));
          acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_add_epi32(_mm256_madd_epi16(e1, w02), _mm256_madd_epi16(o1, w13)));
        }
      }
      for (int r = 0; r < 3; ++r)
        for (int v = 0; v < 2; ++v)
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(raw + (half * 3 + r) * 64 + chunk * 16 + v * 8), acc[r][v]);
    }
  }
}

namespace {
// Bits set in each byte: two 16-entry table look-ups (VPSHUFB), one per nibble.
__attribute__((target("avx2"))) inline __m256i popcount(__m256i y) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_and_si256(y, nibble)),
                         _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(y, 4), nibble)));
}
}  // namespace

// Binary: raw[r][i] = Σ_s popcount(panel[s][i] & w[r][s]) with AVX2's nibble-table
// popcount (VPSHUFB); byte counters (≤ 8 per step) are added into raw every 31 steps.
__attribute__((target("avx2"))) void multiply_binary_avx2(const std::uint8_t* panel, const std::uint8_t* w,
                                                          std::int64_t k_steps, std::int32_t* raw) {
  for (int i = 0; i < kBlockRows * kBlockPixels; ++i) raw[i] = 0;
  for (int half = 0; half < 2; ++half) {
    for (std::int64_t s0 = 0; s0 < k_steps; s0 += 31) {
      const std::int64_t s1 = std::min(k_steps, s0 + 31);
      __m256i acc[3][2];
      for (auto& row : acc) row[0] = row[1] = _mm256_setzero_si256();
      for (std::int64_t s = s0; s < s1; ++s) {
        const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + s * 64));
        const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + s * 64 + 32));
#pragma GCC unroll 3
        for (int r = 0; r < 3; ++r) {
          const __m256i b = _mm256_set1_epi8(static_cast<char>(w[(half * 3 + r) * k_steps + s]));
          acc[r][0] = _mm256_add_epi8(acc[r][0], popcount(_mm256_and_si256(x0, b)));
          acc[r][1] = _mm256_add_epi8(acc[r][1], popcount(_mm256_and_si256(x1, b)));
        }
      }
      for (int r = 0; r < 3; ++r)
        for (int v = 0; v < 2; ++v) {
          std::int32_t* dst = raw + (half * 3 + r) * 64 + v * 32;
          const __m128i halves[2] = {_mm256_castsi256_si128(acc[r][v]), _mm256_extracti128_si256(acc[r][v], 1)};
          for (int h = 0; h < 2; ++h)
            for (int q = 0; q < 2; ++q) {
              auto* d = reinterpret_cast<__m256i*>(dst + h * 16 + q * 8);
              const __m256i wide = _mm256_cvtepu8_epi32(q == 0 ? halves[h] : _mm_srli_si128(halves[h], 8));
              _mm256_storeu_si256(d, _mm256_add_epi32(_mm256_loadu_si256(d), wide));
            }
        }
    }
  }
}

}  // namespace bitlab::runtime::fast::detail

#else
#include <cstdlib>
namespace bitlab::runtime::fast::detail {
void multiply_int8_avx2(const std::uint8_t*, const std::int32_t*, std::int64_t, std::int32_t*) { std::abort(); }
void multiply_binary_avx2(const std::uint8_t*, const std::uint8_t*, std::int64_t, std::int32_t*) { std::abort(); }
}  // namespace bitlab::runtime::fast::detail
#endif
