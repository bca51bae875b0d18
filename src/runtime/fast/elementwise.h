#pragma once
// Vectorised non-conv integer ops of the fast executor on contiguous arrays:
// requant (§14.9), two-input add (§14.3), global average-pool sums (§14.5)
// and clip (§14.10). Element types are the arena's storage types (int8 and
// uint8 for codes ≤ 8 bits, int32 for wider codes and accumulators). The
// plain loops they vectorise are in elementwise_impl.h; the executor's
// generic per-element loops (executor.cpp) and the reference runtime stay the
// references they are tested against.
#include <cstdint>

#include "runtime/fast/isa.h"

namespace bitlab::runtime::fast {

// y = clamp((((x − zx) · m + 2^(s−1)) >> s) + zy, lo, hi), in int64. Callers use
// it only where that cannot overflow: m < 2^31 and x of at most 32 bits (the
// int64 condition of §14.9's MCU form); wider multipliers take the 128-bit path.
struct RequantParams {
  std::int64_t zx = 0, m = 1;
  int shift = 0;
  std::int64_t zy = 0, lo = 0, hi = 0;
};

// y = clamp(((Σ (x_i − z_i) · m_i + 2^(s−1)) >> s) + zy, lo, hi) for two inputs, in int64.
// Exact when |x_i − z_i| · m_i < 2^61 (byte codes, m_i < 2^52).
struct Add2Params {
  std::int64_t za = 0, zb = 0, ma = 1, mb = 1;
  int shift = 0;
  std::int64_t zy = 0, lo = 0, hi = 0;
};

template <class In, class Out>
void requant(Isa isa, const In* x, std::int64_t n, const RequantParams& p, Out* y);

template <class In, class Out>
void add2(Isa isa, const In* a, const In* b, std::int64_t n, const Add2Params& p, Out* y);

// y[k] = Σ_{i < plane} (x[k·plane + i] − zx) for k < planes (global average pool, no padding).
template <class In, class Out>
void plane_sums(Isa isa, const In* x, std::int64_t planes, std::int64_t plane, std::int64_t zx, Out* y);

// y = clamp(x, lo, hi).
template <class T>
void clip(Isa isa, const T* x, std::int64_t n, std::int64_t lo, std::int64_t hi, T* y);

}  // namespace bitlab::runtime::fast
