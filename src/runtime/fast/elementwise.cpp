// Run-time dispatch of the elementwise kernels, and their portable path.
#include "runtime/fast/elementwise.h"

#include "runtime/fast/elementwise_impl.h"
#include "runtime/fast/target.h"

namespace bitlab::runtime::fast {

namespace detail {
BITLAB_ELEMENTWISE_DEFINE(portable, , false)
BITLAB_ELEMENTWISE_INSTANTIATE(portable)
#if BITLAB_FAST_X86
BITLAB_ELEMENTWISE_DECLARE(avx2)
BITLAB_ELEMENTWISE_DECLARE(avx512)
#endif
}  // namespace detail

Isa vector_path(Isa isa) {
#if BITLAB_FAST_X86
  static const bool dq = __builtin_cpu_supports("avx512dq");
  if (isa == Isa::Avx512 && !dq) return Isa::Avx2;
  return isa;
#else
  (void)isa;
  return Isa::Portable;
#endif
}

#if BITLAB_FAST_X86
#define BITLAB_DISPATCH(NAME, ...)                                            \
  switch (vector_path(isa)) {                                                 \
    case Isa::Avx512: return detail::NAME##_avx512(__VA_ARGS__);              \
    case Isa::Avx2: return detail::NAME##_avx2(__VA_ARGS__);                  \
    case Isa::Portable: break;                                                \
  }                                                                           \
  return detail::NAME##_portable(__VA_ARGS__)
#else
#define BITLAB_DISPATCH(NAME, ...) return detail::NAME##_portable(__VA_ARGS__)
#endif

template <class In, class Out>
void requant(Isa isa, const In* x, std::int64_t n, const RequantParams& p, Out* y) {
  BITLAB_DISPATCH(requant, x, n, p, y);
}

template <class In, class Out>
void add2(Isa isa, const In* a, const In* b, std::int64_t n, const Add2Params& p, Out* y) {
  BITLAB_DISPATCH(add2, a, b, n, p, y);
}

template <class In, class Out>
void plane_sums(Isa isa, const In* x, std::int64_t planes, std::int64_t plane, std::int64_t zx, Out* y) {
  BITLAB_DISPATCH(plane_sums, x, planes, plane, zx, y);
}

template <class T>
void clip(Isa isa, const T* x, std::int64_t n, std::int64_t lo, std::int64_t hi, T* y) {
  BITLAB_DISPATCH(clip, x, n, lo, hi, y);
}

#define BITLAB_PUBLIC_IO(In, Out)                                                              \
  template void requant<In, Out>(Isa, const In*, std::int64_t, const RequantParams&, Out*);     \
  template void add2<In, Out>(Isa, const In*, const In*, std::int64_t, const Add2Params&, Out*); \
  template void plane_sums<In, Out>(Isa, const In*, std::int64_t, std::int64_t, std::int64_t, Out*);
#define BITLAB_PUBLIC_IN(In)             \
  BITLAB_PUBLIC_IO(In, std::int8_t)      \
  BITLAB_PUBLIC_IO(In, std::uint8_t)     \
  BITLAB_PUBLIC_IO(In, std::int32_t)     \
  template void clip<In>(Isa, const In*, std::int64_t, std::int64_t, std::int64_t, In*);
BITLAB_PUBLIC_IN(std::int8_t)
BITLAB_PUBLIC_IN(std::uint8_t)
BITLAB_PUBLIC_IN(std::int32_t)

}  // namespace bitlab::runtime::fast
