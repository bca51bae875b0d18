#pragma once
// The int16 dot-product loop of the GEMV (gemv.h), for the auto-vectoriser.
#include <cstdint>

#include "runtime/fast/gemv.h"

namespace bitlab::runtime::fast::impl {

inline void gemv_dots16_body(const detail::GemvArgs& a) {
  const std::int16_t* __restrict x = a.x16;
  for (std::int64_t o = 0; o < a.O; ++o) {
    const std::int16_t* __restrict w = a.w16 + o * a.Ip;
    std::int32_t sum = 0;  // exact: |partial sums| stay within the §13 bound of the accumulator
    for (std::int64_t i = 0; i < a.Ip; ++i) sum += static_cast<std::int32_t>(x[i]) * static_cast<std::int32_t>(w[i]);
    a.dots[o] = sum;
  }
}

}  // namespace bitlab::runtime::fast::impl
