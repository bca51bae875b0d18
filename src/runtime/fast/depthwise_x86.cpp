// AVX2 and AVX-512 instantiations of the depthwise kernel (depthwise_impl.h, target.h).
#include "runtime/fast/depthwise_impl.h"
#include "runtime/fast/target.h"

#if BITLAB_FAST_X86
namespace bitlab::runtime::fast::detail {

BITLAB_TARGET_AVX2 void depthwise_avx2(const DepthwiseArgs& a) { impl::depthwise_dispatch<false>(a); }
BITLAB_TARGET_AVX512 void depthwise_avx512(const DepthwiseArgs& a) { impl::depthwise_dispatch<true>(a); }

}  // namespace bitlab::runtime::fast::detail
#endif
