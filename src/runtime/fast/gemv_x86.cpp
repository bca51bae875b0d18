// AVX2 (auto-vectorised int16) and AVX-512 VNNI paths of the GEMV (gemv.h).
#include "runtime/fast/gemv_impl.h"
#include "runtime/fast/target.h"

#if BITLAB_FAST_X86
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

namespace bitlab::runtime::fast::detail {

BITLAB_TARGET_AVX2 void gemv_dots_avx2(const GemvArgs& a) { impl::gemv_dots16_body(a); }

// Four rows per pass share each 64-byte load of x'; sums wrap modulo 2^32 (see gemv.h).
BITLAB_TARGET_AVX512 void gemv_dots_avx512(const GemvArgs& a) {
  const std::int64_t chunks = a.Ip / 64;
  std::int64_t o = 0;
  for (; o + 4 <= a.O; o += 4) {
    const std::int8_t* w = a.w8 + o * a.Ip;
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    for (std::int64_t k = 0; k < chunks; ++k) {
      const __m512i x = _mm512_loadu_si512(a.x8 + k * 64);
      s0 = _mm512_dpbusd_epi32(s0, x, _mm512_loadu_si512(w + k * 64));
      s1 = _mm512_dpbusd_epi32(s1, x, _mm512_loadu_si512(w + a.Ip + k * 64));
      s2 = _mm512_dpbusd_epi32(s2, x, _mm512_loadu_si512(w + 2 * a.Ip + k * 64));
      s3 = _mm512_dpbusd_epi32(s3, x, _mm512_loadu_si512(w + 3 * a.Ip + k * 64));
    }
    a.dots[o] = _mm512_reduce_add_epi32(s0);
    a.dots[o + 1] = _mm512_reduce_add_epi32(s1);
    a.dots[o + 2] = _mm512_reduce_add_epi32(s2);
    a.dots[o + 3] = _mm512_reduce_add_epi32(s3);
  }
  for (; o < a.O; ++o) {
    const std::int8_t* w = a.w8 + o * a.Ip;
    __m512i s = _mm512_setzero_si512();
    for (std::int64_t k = 0; k < chunks; ++k)
      s = _mm512_dpbusd_epi32(s, _mm512_loadu_si512(a.x8 + k * 64), _mm512_loadu_si512(w + k * 64));
    a.dots[o] = _mm512_reduce_add_epi32(s);
  }
}

}  // namespace bitlab::runtime::fast::detail
#endif
