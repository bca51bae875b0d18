#pragma once
// The loops of elementwise.h, written for the auto-vectoriser (no early exits,
// no per-element branches). Included by elementwise.cpp (portable path) and
// elementwise_x86.cpp (AVX2 / AVX-512 instantiations, runtime/fast/target.h).
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "runtime/fast/avx512_blocks.h"
#include "runtime/fast/elementwise.h"

namespace bitlab::runtime::fast::impl {

#pragma GCC diagnostic ignored "-Wpsabi"  // the vector types never cross a call: everything is inlined

// GCC vector types, lowered to the enclosing function's target (two zmm per V16q on AVX-512).
// The plain loops in the tails are the same arithmetic one element at a time.
template <class T>
struct Vec16Of;
template <>
struct Vec16Of<std::int8_t> {
  typedef std::int8_t type __attribute__((vector_size(16)));
};
template <>
struct Vec16Of<std::uint8_t> {
  typedef std::uint8_t type __attribute__((vector_size(16)));
};
template <>
struct Vec16Of<std::int32_t> {
  typedef std::int32_t type __attribute__((vector_size(64)));
};
template <class T>
using Vec16 = typename Vec16Of<T>::type;
typedef std::int64_t V16q __attribute__((vector_size(128)));

template <class T>
__attribute__((always_inline)) inline V16q load16q(const T* p) {
  Vec16<T> v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_convertvector(v, V16q);
}

template <class T>
__attribute__((always_inline)) inline void store16(V16q v, T* p) {
  const Vec16<T> o = __builtin_convertvector(v, Vec16<T>);
  std::memcpy(p, &o, sizeof o);
}

__attribute__((always_inline)) inline V16q clamp16(V16q t, std::int64_t lo, std::int64_t hi) {
  const V16q l = V16q{} + lo, h = V16q{} + hi;
  t = t < l ? l : t;
  return t > h ? h : t;
}

// Avx512: the blocks of avx512_blocks.h (only instantiated inside BITLAB_TARGET_AVX512 functions).
template <bool Avx512, class In, class Out>
inline void requant_body(const In* __restrict x, std::int64_t n, const RequantParams& p, Out* __restrict y) {
  const std::int64_t zx = p.zx, m = p.m, zy = p.zy, lo = p.lo, hi = p.hi;
  const int s = p.shift;
  const std::int64_t rnd = s > 0 ? std::int64_t{1} << (s - 1) : 0;
  std::int64_t i = 0;
#if BITLAB_FAST_X86
  if constexpr (Avx512) i = avx512::requant_blocks(x, n, p, y);
#endif
  for (; i + 16 <= n; i += 16) store16(clamp16((((load16q(x + i) - zx) * m + rnd) >> s) + zy, lo, hi), y + i);
  for (; i < n; ++i) {
    const std::int64_t t = (((static_cast<std::int64_t>(x[i]) - zx) * m + rnd) >> s) + zy;
    y[i] = static_cast<Out>(std::min(std::max(t, lo), hi));
  }
}

template <bool Avx512, class In, class Out>
inline void add2_body(const In* __restrict a, const In* __restrict b, std::int64_t n, const Add2Params& p, Out* __restrict y) {
  const std::int64_t za = p.za, zb = p.zb, ma = p.ma, mb = p.mb, zy = p.zy, lo = p.lo, hi = p.hi;
  const int s = p.shift;
  const std::int64_t rnd = s > 0 ? std::int64_t{1} << (s - 1) : 0;
  std::int64_t i = 0;
#if BITLAB_FAST_X86
  if constexpr (Avx512) i = avx512::add2_blocks(a, b, n, p, y);
#endif
  for (; i + 16 <= n; i += 16) {
    const V16q sum = (load16q(a + i) - za) * ma + (load16q(b + i) - zb) * mb;
    store16(clamp16(((sum + rnd) >> s) + zy, lo, hi), y + i);
  }
  for (; i < n; ++i) {
    const std::int64_t sum = (static_cast<std::int64_t>(a[i]) - za) * ma + (static_cast<std::int64_t>(b[i]) - zb) * mb;
    const std::int64_t t = ((sum + rnd) >> s) + zy;
    y[i] = static_cast<Out>(std::min(std::max(t, lo), hi));
  }
}

template <class In, class Out>
inline void plane_sums_body(const In* __restrict x, std::int64_t planes, std::int64_t plane, std::int64_t zx, Out* __restrict y) {
  for (std::int64_t k = 0; k < planes; ++k) {
    std::int64_t sum = 0;
    const In* row = x + k * plane;
    for (std::int64_t i = 0; i < plane; ++i) sum += row[i];
    y[k] = static_cast<Out>(sum - zx * plane);
  }
}

template <class T>
inline void clip_body(const T* __restrict x, std::int64_t n, std::int64_t lo, std::int64_t hi, T* __restrict y) {
  const T l = static_cast<T>(lo), h = static_cast<T>(hi);  // lo, hi lie in T's range (§14.10)
  for (std::int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(x[i], l), h);
}

}  // namespace bitlab::runtime::fast::impl

// Instantiates every kernel of elementwise.h for one ISA: NAME##_requant<In, Out> etc.
#define BITLAB_ELEMENTWISE_DEFINE(SUFFIX, ATTR, AVX512)                                                                   \
  template <class In, class Out>                                                                                  \
  ATTR void requant_##SUFFIX(const In* x, std::int64_t n, const RequantParams& p, Out* y) {                        \
    impl::requant_body<AVX512>(x, n, p, y);                                                                       \
  }                                                                                                               \
  template <class In, class Out>                                                                                  \
  ATTR void add2_##SUFFIX(const In* a, const In* b, std::int64_t n, const Add2Params& p, Out* y) {                 \
    impl::add2_body<AVX512>(a, b, n, p, y);                                                                       \
  }                                                                                                               \
  template <class In, class Out>                                                                                  \
  ATTR void plane_sums_##SUFFIX(const In* x, std::int64_t planes, std::int64_t plane, std::int64_t zx, Out* y) {   \
    impl::plane_sums_body(x, planes, plane, zx, y);                                                               \
  }                                                                                                               \
  template <class T>                                                                                              \
  ATTR void clip_##SUFFIX(const T* x, std::int64_t n, std::int64_t lo, std::int64_t hi, T* y) {                    \
    impl::clip_body(x, n, lo, hi, y);                                                                             \
  }

// Explicit instantiations over the arena's storage types.
#define BITLAB_ELEMENTWISE_INSTANTIATE_IO(SUFFIX, In, Out)                                                           \
  template void requant_##SUFFIX<In, Out>(const In*, std::int64_t, const RequantParams&, Out*);                    \
  template void add2_##SUFFIX<In, Out>(const In*, const In*, std::int64_t, const Add2Params&, Out*);               \
  template void plane_sums_##SUFFIX<In, Out>(const In*, std::int64_t, std::int64_t, std::int64_t, Out*);
#define BITLAB_ELEMENTWISE_INSTANTIATE_IN(SUFFIX, In)     \
  BITLAB_ELEMENTWISE_INSTANTIATE_IO(SUFFIX, In, std::int8_t)  \
  BITLAB_ELEMENTWISE_INSTANTIATE_IO(SUFFIX, In, std::uint8_t) \
  BITLAB_ELEMENTWISE_INSTANTIATE_IO(SUFFIX, In, std::int32_t) \
  template void clip_##SUFFIX<In>(const In*, std::int64_t, std::int64_t, std::int64_t, In*);
#define BITLAB_ELEMENTWISE_INSTANTIATE(SUFFIX)               \
  BITLAB_ELEMENTWISE_INSTANTIATE_IN(SUFFIX, std::int8_t)     \
  BITLAB_ELEMENTWISE_INSTANTIATE_IN(SUFFIX, std::uint8_t)    \
  BITLAB_ELEMENTWISE_INSTANTIATE_IN(SUFFIX, std::int32_t)

// Declarations of the ISA instantiations (for the dispatcher).
#define BITLAB_ELEMENTWISE_DECLARE(SUFFIX)                                                                         \
  template <class In, class Out>                                                                                  \
  void requant_##SUFFIX(const In* x, std::int64_t n, const RequantParams& p, Out* y);                              \
  template <class In, class Out>                                                                                  \
  void add2_##SUFFIX(const In* a, const In* b, std::int64_t n, const Add2Params& p, Out* y);                       \
  template <class In, class Out>                                                                                  \
  void plane_sums_##SUFFIX(const In* x, std::int64_t planes, std::int64_t plane, std::int64_t zx, Out* y);         \
  template <class T>                                                                                              \
  void clip_##SUFFIX(const T* x, std::int64_t n, std::int64_t lo, std::int64_t hi, T* y);
