// The vectorised two-input add (runtime/fast/elementwise.h) on every pair of byte codes, every
// ISA path this CPU has, against §14.3 written out in int64: in particular the AVX-512 form in
// int32 lanes (avx512_blocks.h, add2_blocks_int32) at the edges of the bounds that admit it
// (shift 16 and 31, multipliers 0 and 2^31 − 1, zero points at the ends of the code range), and
// parameters just outside them, which must take the int64 lanes.
#include <algorithm>
#include <cstdint>
#include <string>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "runtime/fast/elementwise.h"
#include "runtime/fast/isa.h"

namespace bitlab::runtime::fast {
namespace {

// §14.3: y = clamp(((a − za)·ma + (b − zb)·mb + 2^(s−1)) >> s) + zy, lo, hi).
std::int64_t spec_add(std::int64_t a, std::int64_t b, const Add2Params& p) {
  const std::int64_t acc = (a - p.za) * p.ma + (b - p.zb) * p.mb;
  const std::int64_t t = p.shift > 0 ? (acc + (std::int64_t{1} << (p.shift - 1))) >> p.shift : acc;
  return std::clamp(t + p.zy, p.lo, p.hi);
}

template <class In, class Out>
void expect_every_pair_matches(const Add2Params& p, const std::string& what) {
  std::vector<In> a, b;
  for (int i = 0; i < 256; ++i)
    for (int j = 0; j < 256; ++j) {
      a.push_back(static_cast<In>(i));
      b.push_back(static_cast<In>(j));
    }
  a.push_back(a[7]);  // 65537 elements: a scalar tail after the 16-lane blocks
  b.push_back(b[300]);
  for (const Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512}) {
    if (!isa_supported(isa)) continue;
    std::vector<Out> y(a.size());
    add2(isa, a.data(), b.data(), static_cast<std::int64_t>(a.size()), p, y.data());
    for (std::size_t k = 0; k < a.size(); ++k) {
      ASSERT_EQ(static_cast<std::int64_t>(y[k]), spec_add(a[k], b[k], p))
          << what << " on " << to_string(isa) << ": a " << +a[k] << " b " << +b[k];
    }
  }
}

TEST(ElementwiseAdd, EveryBytePairMatchesTheSpecAtTheEdgesOfTheInt32Form) {
  const std::int64_t max_m = (std::int64_t{1} << 31) - 1;
  std::mt19937_64 rng(551);
  struct M {
    std::int64_t ma, mb;
  };
  std::vector<M> ms = {{max_m, max_m}, {0, max_m}, {1, 65535}, {65536, 65537}, {max_m, 1}};
  for (int r = 0; r < 4; ++r) ms.push_back({static_cast<std::int64_t>(rng() % (max_m + 1)), static_cast<std::int64_t>(rng() % (max_m + 1))});
  for (const int shift : {16, 17, 24, 30, 31, 15, 32, 40}) {  // 15, 32, 40: outside the int32 form
    for (const M m : ms) {
      // Unsigned codes, zero points at both ends, output uint8 with a ReLU-raised lo.
      expect_every_pair_matches<std::uint8_t, std::uint8_t>(
          {.za = 255, .zb = 0, .ma = m.ma, .mb = m.mb, .shift = shift, .zy = 3, .lo = 3, .hi = 255},
          fmt::format("u8 s{} ma{} mb{}", shift, m.ma, m.mb));
      // Signed codes, output int8.
      expect_every_pair_matches<std::int8_t, std::int8_t>(
          {.za = -128, .zb = 127, .ma = m.ma, .mb = m.mb, .shift = shift, .zy = -5, .lo = -128, .hi = 127},
          fmt::format("s8 s{} ma{} mb{}", shift, m.ma, m.mb));
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  // A negative multiplier (not produced by conversion, allowed by the kernel's contract) and
  // a 16-bit output range stay exact on the int64 lanes.
  expect_every_pair_matches<std::int8_t, std::int32_t>(
      {.za = 0, .zb = 0, .ma = -max_m, .mb = 12345, .shift = 20, .zy = 100, .lo = -32768, .hi = 32767}, "negative ma");
}

}  // namespace
}  // namespace bitlab::runtime::fast
