#pragma once
// AVX-512 blocks of 16 lanes shared by the elementwise and depthwise kernels:
// widening loads, the §14.9 requantisation and the §14.3 two-input add in
// int64 lanes, narrowing stores. GCC lowers the generic vector code of
// elementwise_impl.h for these conversions to scalar inserts, so the AVX-512
// instantiations use these instead; the arithmetic is the same, lane by lane,
// as the plain loops there (checked by the differential tests).
#include <cstdint>
#include <type_traits>

#include "runtime/fast/elementwise.h"
#include "runtime/fast/target.h"

#if BITLAB_FAST_X86
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#define BITLAB_AVX512_INLINE \
  __attribute__((target("avx2,bmi2,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"), always_inline)) inline
// The loops below: callable from the generic bodies (which GCC compiles before inlining them
// into a BITLAB_TARGET_AVX512 function, so they may not inline target code themselves).
#define BITLAB_AVX512_LOOP __attribute__((target("avx2,bmi2,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"))) inline

namespace bitlab::runtime::fast::avx512 {

// 16 elements widened to int32 lanes.
template <class T>
BITLAB_AVX512_INLINE __m512i load16(const T* p) {
  if constexpr (std::is_same_v<T, std::int8_t>) return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  else if constexpr (std::is_same_v<T, std::uint8_t>) return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  else return _mm512_loadu_si512(p);
}

// 16 int32 lanes stored as T (bytes truncate: the values already lie in T's code range).
template <class T>
BITLAB_AVX512_INLINE void store16(__m512i v, T* p) {
  if constexpr (sizeof(T) == 1) _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtepi32_epi8(v));
  else _mm512_storeu_si512(p, v);
}

// Sign-extends the low / high 8 int32 lanes to int64.
BITLAB_AVX512_INLINE __m512i lo64(__m512i v) { return _mm512_cvtepi32_epi64(_mm512_castsi512_si256(v)); }
BITLAB_AVX512_INLINE __m512i hi64(__m512i v) { return _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(v, 1)); }

// clamp(t_lo|t_hi, lo, hi) as 16 int32 lanes; saturating to int32 first is exact because lo, hi are int32.
BITLAB_AVX512_INLINE __m512i clamp_narrow(__m512i t_lo, __m512i t_hi, std::int64_t lo, std::int64_t hi) {
  const __m512i t = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtsepi64_epi32(t_lo)), _mm512_cvtsepi64_epi32(t_hi), 1);
  return _mm512_min_epi32(_mm512_max_epi32(t, _mm512_set1_epi32(static_cast<std::int32_t>(lo))),
                          _mm512_set1_epi32(static_cast<std::int32_t>(hi)));
}

struct RequantConsts {
  __m512i zx, m, rnd, zy;
  __m128i shift;
};

BITLAB_AVX512_INLINE RequantConsts requant_consts(std::int64_t zx, std::int64_t m, int shift, std::int64_t zy) {
  return {_mm512_set1_epi64(zx), _mm512_set1_epi64(m), _mm512_set1_epi64(shift > 0 ? std::int64_t{1} << (shift - 1) : 0),
          _mm512_set1_epi64(zy), _mm_cvtsi32_si128(shift)};
}

// ((x − zx)·m + 2^(s−1)) >> s) + zy on 8 int64 lanes.
BITLAB_AVX512_INLINE __m512i requant8(__m512i x, const RequantConsts& k) {
  const __m512i prod = _mm512_mullo_epi64(_mm512_sub_epi64(x, k.zx), k.m);
  return _mm512_add_epi64(_mm512_sra_epi64(_mm512_add_epi64(prod, k.rnd), k.shift), k.zy);
}

struct AddConsts {
  __m512i za, zb, ma, mb, rnd, zy;
  __m128i shift;
};

BITLAB_AVX512_INLINE AddConsts add_consts(std::int64_t za, std::int64_t zb, std::int64_t ma, std::int64_t mb, int shift,
                                          std::int64_t zy) {
  return {_mm512_set1_epi64(za), _mm512_set1_epi64(zb), _mm512_set1_epi64(ma), _mm512_set1_epi64(mb),
          _mm512_set1_epi64(shift > 0 ? std::int64_t{1} << (shift - 1) : 0), _mm512_set1_epi64(zy), _mm_cvtsi32_si128(shift)};
}

// ((a − za)·ma + (b − zb)·mb + 2^(s−1)) >> s) + zy on 8 int64 lanes.
BITLAB_AVX512_INLINE __m512i add8(__m512i a, __m512i b, const AddConsts& k) {
  const __m512i sum = _mm512_add_epi64(_mm512_mullo_epi64(_mm512_sub_epi64(a, k.za), k.ma),
                                       _mm512_mullo_epi64(_mm512_sub_epi64(b, k.zb), k.mb));
  return _mm512_add_epi64(_mm512_sra_epi64(_mm512_add_epi64(sum, k.rnd), k.shift), k.zy);
}

// One block of 16 int32 lanes (at `v`) requantised and stored as Out; `k` from requant_consts, `lo`/`hi`
// broadcast once by the caller (the depthwise kernel's per-channel epilogue).
BITLAB_AVX512_LOOP __m512i broadcast64(std::int64_t v) { return _mm512_set1_epi64(v); }

struct BlockConsts {
  RequantConsts k;
  __m512i lo, hi;
};

BITLAB_AVX512_LOOP BlockConsts block_consts(const RequantParams& p) {
  return {requant_consts(p.zx, p.m, p.shift, p.zy), _mm512_set1_epi32(static_cast<std::int32_t>(p.lo)),
          _mm512_set1_epi32(static_cast<std::int32_t>(p.hi))};
}

template <class Out>
BITLAB_AVX512_LOOP void requant_store16(const void* v, const BlockConsts& b, Out* y) {
  const __m512i x = _mm512_loadu_si512(v);
  const __m512i t_lo = requant8(lo64(x), b.k), t_hi = requant8(hi64(x), b.k);
  const __m512i t = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtsepi64_epi32(t_lo)), _mm512_cvtsepi64_epi32(t_hi), 1);
  store16(_mm512_min_epi32(_mm512_max_epi32(t, b.lo), b.hi), y);
}

// clamp(((prod + 2^(s−1)) >> s) + zy, lo, hi) on 8 int64 lanes.
BITLAB_AVX512_INLINE __m512i finish64(__m512i prod, const RequantConsts& k, __m512i lo, __m512i hi) {
  const __m512i t = _mm512_add_epi64(_mm512_sra_epi64(_mm512_add_epi64(prod, k.rnd), k.shift), k.zy);
  return _mm512_min_epi64(_mm512_max_epi64(t, lo), hi);
}

// requant_store16 for int32 inputs with zx = 0 (accumulators): the products of int32 lanes and
// m < 2^31 come from VPMULDQ on the even and odd lanes, the clamp runs on the int64 results,
// and a permute gathers their low halves: the same values as requant8 + clamp_narrow, fewer uops.
template <class Out>
BITLAB_AVX512_LOOP void requant_store16_acc(const void* v, const BlockConsts& b, const __m512i& lo64v, const __m512i& hi64v,
                                            Out* y) {
  const __m512i x = _mm512_loadu_si512(v);
  const __m512i even = finish64(_mm512_mul_epi32(x, b.k.m), b.k, lo64v, hi64v);
  const __m512i odd = finish64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), b.k.m), b.k, lo64v, hi64v);
  const __m512i idx = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
  store16(_mm512_permutex2var_epi32(even, idx, odd), y);
}

// requant_body's blocks of 16; returns how many elements it did.
template <class In, class Out>
BITLAB_AVX512_LOOP std::int64_t requant_blocks(const In* x, std::int64_t n, const RequantParams& p, Out* y) {
  const RequantConsts k = requant_consts(p.zx, p.m, p.shift, p.zy);
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i v = load16(x + i);
    store16(clamp_narrow(requant8(lo64(v), k), requant8(hi64(v), k), p.lo, p.hi), y + i);
  }
  return i;
}

// The §14.3 add of byte codes in 16 int32 lanes instead of 2 × 8 int64 ones, exact when
// add2_fits_int32(p): with m = m_h·2^16 + m_l (0 ≤ m_l < 2^16), A = a − za and B = b − zb,
//   A·ma + B·mb + 2^(s−1) = H·2^16 + X,  H = A·ma_h + B·mb_h,  X = A·ma_l + B·mb_l + 2^(s−1),
// and for s ≥ 16 nested floor division gives ⌊(H·2^16 + X) / 2^s⌋ = ⌊(H + ⌊X / 2^16⌋) / 2^(s−16)⌋
// (arithmetic shifts are floors). With |A|, |B| ≤ 255 and 0 ≤ m < 2^31: |H| < 2^25, |X| < 2^31.
BITLAB_AVX512_INLINE bool add2_fits_int32(const Add2Params& p) {
  const std::int64_t limit = std::int64_t{1} << 31;
  return p.shift >= 16 && p.shift <= 31 && p.ma >= 0 && p.ma < limit && p.mb >= 0 && p.mb < limit &&
         p.zy > -(limit >> 2) && p.zy < (limit >> 2) && p.lo >= -limit && p.hi < limit;
}

BITLAB_AVX512_INLINE __m512i broadcast32(std::int64_t v) { return _mm512_set1_epi32(static_cast<std::int32_t>(v)); }

template <class In, class Out>
BITLAB_AVX512_LOOP std::int64_t add2_blocks_int32(const In* a, const In* b, std::int64_t n, const Add2Params& p, Out* y) {
  static_assert(sizeof(In) == 1, "|a − za| ≤ 255 bounds the products");
  const __m512i za = broadcast32(p.za), zb = broadcast32(p.zb), zy = broadcast32(p.zy), lo = broadcast32(p.lo), hi = broadcast32(p.hi);
  const __m512i ma_h = broadcast32(p.ma >> 16), ma_l = broadcast32(p.ma & 0xFFFF), mb_h = broadcast32(p.mb >> 16), mb_l = broadcast32(p.mb & 0xFFFF);
  const __m512i rnd = broadcast32(std::int64_t{1} << (p.shift - 1));
  const __m128i rest = _mm_cvtsi32_si128(p.shift - 16);
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i A = _mm512_sub_epi32(load16(a + i), za), B = _mm512_sub_epi32(load16(b + i), zb);
    const __m512i H = _mm512_add_epi32(_mm512_mullo_epi32(A, ma_h), _mm512_mullo_epi32(B, mb_h));
    const __m512i X = _mm512_add_epi32(_mm512_add_epi32(_mm512_mullo_epi32(A, ma_l), _mm512_mullo_epi32(B, mb_l)), rnd);
    const __m512i t = _mm512_add_epi32(_mm512_sra_epi32(_mm512_add_epi32(H, _mm512_srai_epi32(X, 16)), rest), zy);
    store16(_mm512_min_epi32(_mm512_max_epi32(t, lo), hi), y + i);
  }
  return i;
}

// add2_body's blocks of 16.
template <class In, class Out>
BITLAB_AVX512_LOOP std::int64_t add2_blocks(const In* a, const In* b, std::int64_t n, const Add2Params& p, Out* y) {
  if constexpr (sizeof(In) == 1) {
    if (add2_fits_int32(p)) return add2_blocks_int32(a, b, n, p, y);
  }
  const AddConsts k = add_consts(p.za, p.zb, p.ma, p.mb, p.shift, p.zy);
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i va = load16(a + i), vb = load16(b + i);
    store16(clamp_narrow(add8(lo64(va), lo64(vb), k), add8(hi64(va), hi64(vb), k), p.lo, p.hi), y + i);
  }
  return i;
}

// dst = src − zx widened to int32, blocks of 16 and a masked tail (the short rows of small planes).
template <class In>
BITLAB_AVX512_LOOP std::int64_t minus_blocks(const In* src, std::int64_t n, std::int32_t zx, std::int32_t* dst) {
  const __m512i z = _mm512_set1_epi32(zx);
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_si512(dst + i, _mm512_sub_epi32(load16(src + i), z));
  if (i < n) {
    const auto mask = static_cast<__mmask16>((1u << (n - i)) - 1);
    __m512i v;
    if constexpr (std::is_same_v<In, std::int8_t>) v = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, src + i));
    else if constexpr (std::is_same_v<In, std::uint8_t>) v = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mask, src + i));
    else v = _mm512_maskz_loadu_epi32(mask, src + i);
    _mm512_mask_storeu_epi32(dst + i, mask, _mm512_sub_epi32(v, z));
    i = n;
  }
  return i;
}

}  // namespace bitlab::runtime::fast::avx512
#endif
