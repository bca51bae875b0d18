// AVX2 and AVX-512 instantiations of the elementwise kernels (elementwise_impl.h,
// runtime/fast/target.h); elementwise.cpp dispatches to them at run time.
#include "runtime/fast/elementwise_impl.h"
#include "runtime/fast/target.h"

#if BITLAB_FAST_X86
namespace bitlab::runtime::fast::detail {

BITLAB_ELEMENTWISE_DEFINE(avx2, BITLAB_TARGET_AVX2, false)
BITLAB_ELEMENTWISE_DEFINE(avx512, BITLAB_TARGET_AVX512, true)
BITLAB_ELEMENTWISE_INSTANTIATE(avx2)
BITLAB_ELEMENTWISE_INSTANTIATE(avx512)

}  // namespace bitlab::runtime::fast::detail
#endif
