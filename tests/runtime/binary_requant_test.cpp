// The binary packed conv's fused 32-bit requant (runtime/fast/binary_requant.h): the fit against
// quant::Requantiser on every dot product of its domain, and PackedConv on binary problems (fused,
// and the dot-product epilogue where no fit exists) against a plain §14.1 + §14.9 loop.
#include "runtime/fast/binary_requant.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include <iostream>

#include <gtest/gtest.h>

#include "fast_test_support.h"
#include "runtime/fast/packed_conv.h"

namespace bitlab::runtime::fast {
namespace {

using testing::draw;
using testing::Rng;

quant::Requantiser random_requantiser(Rng& rng, std::int64_t K, bool wide) {
  // m·2^−s around (code range)/√K, as conv_graph draws them, or a 32-bit multiplier.
  const double target = 256.0 / (std::sqrt(static_cast<double>(K)) + 1.0) * std::ldexp(1.0, -static_cast<int>(draw(rng, 0, 4)));
  quant::DyadicMultiplier m;
  m.shift = 20 + static_cast<int>(draw(rng, 0, 20));
  m.multiplier = static_cast<std::int64_t>(target * std::ldexp(1.0, m.shift)) + 1;
  if (wide) m.multiplier = (std::int64_t{1} << 31) + draw(rng, 0, (std::int64_t{1} << 31) - 1);
  const std::int32_t zy = static_cast<std::int32_t>(draw(rng, -128, 127));
  const std::int32_t lo = static_cast<std::int32_t>(draw(rng, -128, 0)), hi = static_cast<std::int32_t>(draw(rng, lo, 127));
  return quant::Requantiser{m, zy, {lo, hi}};
}

TEST(BinaryRequant, FitIsExactOnItsWholeDomain) {
  Rng rng(41);
  int fitted = 0, trials = 0, tables = 0;
  for (int trial = 0; trial < 400; ++trial, ++trials) {
    const std::int64_t K = draw(rng, 1, trial % 4 == 0 ? 1200 : 160);
    const std::int64_t plus = draw(rng, 0, K);
    const std::int64_t offset = draw(rng, -3000, 3000);
    const quant::Requantiser r = random_requantiser(rng, K, trial % 7 == 0);
    const std::optional<BinaryRequant> q = fit_binary_requant(-(K - plus), plus, offset, r);
    if (!q) continue;
    ++fitted;
    tables += q->table;
    ASSERT_GE(q->shift, 0);
    ASSERT_LE(q->shift, 31);
    for (std::int64_t d = -(K - plus); d <= plus; ++d) {
      ASSERT_EQ(apply_binary_requant(*q, d, r.clamp.lo, r.clamp.hi), r.apply(d + offset))
          << "trial " << trial << " d " << d << " m " << r.multiplier.multiplier << " s " << r.multiplier.shift;
      // No int32 wrap in the kernel's lanes.
      const std::int64_t t = d * q->mult + q->fold;
      ASSERT_TRUE(t >= INT32_MIN && t <= INT32_MAX) << "trial " << trial << " d " << d;
    }
  }
  // The fast path must be the common case, not a curiosity.
  std::cout << "fits: " << fitted << " of " << trials << " (" << tables << " tables)\n";
  EXPECT_GT(fitted, trials * 9 / 10);
  EXPECT_GT(tables, 0);
  EXPECT_GT(fitted - tables, 0);
}

TEST(BinaryRequant, NoFitWhenTheProductCannotStayInInt32) {
  // Slope m·2^−s = 2^22 codes per unit of d over |d| ≤ 40000: any m' ≥ 2^22 wraps int32, and
  // |d| > 32767 leaves the table's int16 index behind too.
  const quant::Requantiser r{{std::int64_t{1} << 22, 0}, 0, {-128, 127}};
  EXPECT_FALSE(fit_binary_requant(-40000, 40000, 5, r).has_value());
  const std::optional<BinaryRequant> q = fit_binary_requant(-100, 100, 5, r);  // steep: a table
  ASSERT_TRUE(q.has_value());
  EXPECT_TRUE(q->table);
}

// §14.1 conv + §14.9 requant in int64, the definition the packed kernel must equal.
std::vector<std::uint8_t> reference_conv(const ConvProblem& p, const std::vector<std::uint8_t>& in) {
  const std::int64_t Cg = p.C / p.groups, Og = p.O / p.groups, K = Cg * p.KH * p.KW;
  const std::size_t elem = p.requant ? 1 : 4;
  std::vector<std::uint8_t> out(static_cast<std::size_t>(p.N * p.O * p.OH * p.OW) * elem);
  auto code = [&](std::uint8_t b) {
    return p.input_signed ? static_cast<std::int64_t>(static_cast<std::int8_t>(b)) : std::int64_t{b};
  };
  for (std::int64_t n = 0; n < p.N; ++n)
    for (std::int64_t o = 0; o < p.O; ++o)
      for (std::int64_t oy = 0; oy < p.OH; ++oy)
        for (std::int64_t ox = 0; ox < p.OW; ++ox) {
          const std::int64_t g = o / Og;
          std::int64_t acc = p.bias.empty() ? 0 : p.bias[static_cast<std::size_t>(o)];
          for (std::int64_t c = 0; c < Cg; ++c)
            for (std::int64_t ky = 0; ky < p.KH; ++ky)
              for (std::int64_t kx = 0; kx < p.KW; ++kx) {
                const std::int64_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h, ix = ox * p.stride_w - p.pad_w + kx * p.dil_w;
                const std::int64_t x = iy < 0 || iy >= p.H || ix < 0 || ix >= p.W
                                           ? p.input_zero_point
                                           : code(in[static_cast<std::size_t>(((n * p.C + g * Cg + c) * p.H + iy) * p.W + ix)]);
                const std::int64_t w = p.weights[static_cast<std::size_t>(o * K + (c * p.KH + ky) * p.KW + kx)] -
                                       p.weight_zero_points[static_cast<std::size_t>(o)];
                acc += (x - p.input_zero_point) * w;
              }
          const std::size_t at = static_cast<std::size_t>(((n * p.O + o) * p.OH + oy) * p.OW + ox);
          if (p.requant) {
            const quant::Requantiser r{p.multipliers[static_cast<std::size_t>(o)], p.output_zero_point, {p.lo, p.hi}};
            out[at] = static_cast<std::uint8_t>(r.apply(acc - p.requant_input_zero_points[static_cast<std::size_t>(o)]));
          } else {
            const auto v = static_cast<std::int32_t>(acc);
            std::memcpy(&out[at * 4], &v, 4);
          }
        }
  return out;
}

struct BinaryShape {
  std::int64_t C, H, W, O, k, stride, pad, dil, groups;
};

// wide_clamp: [lo, hi] = [−100, 200], no byte type's range, which the fused requant does not
// take (the kernel still stores bytes; the plain loop truncates the same way).
ConvProblem binary_problem(const BinaryShape& s, Rng& rng, bool requant, bool wide_clamp) {
  ConvProblem p;
  p.N = draw(rng, 1, 2);
  p.C = s.C;
  p.H = s.H;
  p.W = s.W;
  p.O = s.O;
  p.KH = p.KW = s.k;
  p.stride_h = p.stride_w = s.stride;
  p.pad_h = p.pad_w = s.pad;
  p.dil_h = p.dil_w = s.dil;
  p.groups = s.groups;
  p.OH = (p.H + 2 * p.pad_h - p.dil_h * (p.KH - 1) - 1) / p.stride_h + 1;
  p.OW = (p.W + 2 * p.pad_w - p.dil_w * (p.KW - 1) - 1) / p.stride_w + 1;
  p.input_bits = 1;
  p.input_signed = draw(rng, 0, 1) == 1;
  p.input_zero_point = static_cast<std::int32_t>(p.input_signed ? draw(rng, -1, 0) : draw(rng, 0, 1));
  const std::int64_t K = p.C / p.groups * p.KH * p.KW;
  for (std::int64_t i = 0; i < p.O * K; ++i) p.weights.push_back(draw(rng, 0, 1) ? 1 : -1);
  p.weight_zero_points.assign(static_cast<std::size_t>(p.O), 0);
  for (std::int64_t o = 0; o < p.O; ++o) p.bias.push_back(draw(rng, -300, 300));
  p.requant = requant;
  if (requant) {
    p.output_signed = draw(rng, 0, 1) == 1;
    p.output_zero_point = static_cast<std::int32_t>(p.output_signed ? draw(rng, -128, 127) : draw(rng, 0, 255));
    p.lo = p.output_signed ? static_cast<std::int32_t>(draw(rng, -128, 0)) : static_cast<std::int32_t>(draw(rng, 0, 100));
    p.hi = p.output_signed ? 127 : 255;
    if (wide_clamp) {
      p.lo = -100;
      p.hi = 200;
    }
    for (std::int64_t o = 0; o < p.O; ++o) {
      const quant::Requantiser r = random_requantiser(rng, K, o % 5 == 4);
      p.multipliers.push_back(r.multiplier);
      p.requant_input_zero_points.push_back(static_cast<std::int32_t>(draw(rng, -20, 20)));
    }
  }
  return p;
}

TEST(BinaryRequant, PackedBinaryConvsMatchThePlainLoop) {
  // 1×1 and 3×3, channel counts around the 4-row pass and 6-row block, channels per group not a
  // multiple of 32 (the bit plane's last group, or panels when that would waste > 1/5), a padded
  // 1×1, pixel tails, K = 1152 and 2304, K past the dot kernel's 32767 taps, strides (the 32-tap
  // panel), groups, dilation, padding; fused requant (table and affine forms, 32-bit multipliers
  // among them), the dot-product epilogue of an unfused requant, and int32 accumulators.
  Rng rng(2026);
  int fused = 0, unfused_requant = 0, table_rows = 0, word_rows = 0, mullo_rows = 0;
  for (const BinaryShape& s : {BinaryShape{64, 9, 11, 13, 1, 1, 0, 1, 1}, BinaryShape{128, 5, 7, 6, 1, 1, 0, 1, 1},
                              BinaryShape{64, 8, 8, 7, 3, 1, 1, 1, 1}, BinaryShape{128, 6, 5, 5, 3, 1, 1, 1, 1},
                              BinaryShape{37, 7, 9, 11, 3, 1, 2, 2, 1}, BinaryShape{24, 9, 10, 8, 3, 2, 1, 1, 2},
                              BinaryShape{256, 4, 4, 3, 3, 1, 1, 1, 1}, BinaryShape{5, 3, 70, 4, 1, 1, 0, 1, 1},
                              BinaryShape{60, 7, 9, 5, 3, 1, 1, 1, 1}, BinaryShape{64, 5, 6, 7, 1, 1, 1, 1, 1},
                              BinaryShape{30, 9, 9, 6, 3, 1, 2, 2, 1}, BinaryShape{64, 6, 7, 8, 3, 1, 1, 1, 2},
                              BinaryShape{32800, 1, 3, 2, 1, 1, 0, 1, 1}}) {
    for (int mode = 0; mode < 3; ++mode) {  // 0: fused requant, 1: requant, not fused (a clamp wider than a byte), 2: accumulators
      const ConvProblem p = binary_problem(s, rng, mode != 2, mode == 1);
      std::vector<std::uint8_t> in(static_cast<std::size_t>(p.N * p.C * p.H * p.W));
      for (auto& b : in) b = static_cast<std::uint8_t>(p.input_signed ? -draw(rng, 0, 1) : draw(rng, 0, 1));
      const std::vector<std::uint8_t> expected = reference_conv(p, in);
      std::vector<BinaryRequant> forms;
      if (fit_binary_requants(p, forms))
        for (const BinaryRequant& q : forms) (q.table ? table_rows : q.word ? word_rows : mullo_rows) += 1;
      for (const Isa isa : testing::supported_isas()) {
        const PackedConv conv(p, ConvKind::Binary, isa);
        if (isa == Isa::Avx512 && p.requant) (conv.binary_fused() ? fused : unfused_requant) += 1;
        if (isa == Isa::Avx512) {
          // K past kBinaryMaxDotTaps (32800) keeps the popcount kernel with the `ones` fix-up.
          const bool fits = s.C / s.groups * s.k * s.k <= kBinaryMaxDotTaps;
          EXPECT_EQ(conv.binary_fused(), mode == 0 && fits) << "C" << s.C << " k" << s.k << " mode " << mode;
        }
        std::vector<std::uint8_t> scratch(conv.scratch_bytes() + 64);
        std::uint8_t* aligned = scratch.data() + (64 - reinterpret_cast<std::uintptr_t>(scratch.data()) % 64) % 64;
        std::vector<std::uint8_t> got(expected.size());
        conv.run(in.data(), got.data(), aligned);
        ASSERT_EQ(got, expected) << "C" << s.C << " H" << s.H << " W" << s.W << " O" << s.O << " k" << s.k << " stride "
                                 << s.stride
                                 << " mode " << mode << " isa " << to_string(isa);
      }
    }
  }
  if (isa_supported(Isa::Avx512)) {
    EXPECT_GT(fused, 5);
    EXPECT_GT(unfused_requant, 0);
  }
  // Both common forms of the fused requant ran (the VPMULLD one: KernelFormsMatchTheirDefinition).
  EXPECT_GT(table_rows, 0);
  EXPECT_GT(word_rows, 0) << table_rows << " tables, " << mullo_rows << " VPMULLD forms";
}

TEST(BinaryRequant, KernelFormsMatchTheirDefinition) {
  // The AVX-512 micro-kernel with hand-made forms on one random panel: two table rows, two
  // VPDPWSSD rows, two VPMULLD rows (which fit_binary_requant rarely needs), every vector count,
  // uint8 and int8 codes, with and without the byte clamp.
  if (!isa_supported(Isa::Avx512)) GTEST_SKIP() << "no AVX-512";
  Rng rng(77);
  constexpr std::int64_t kQuads = 3;  // K = 96 taps: |d| ≤ 96
  std::vector<std::uint8_t> panel(kQuads * 256), w(6 * kQuads * 4), all(kQuads * 4, 0xFF);
  for (auto& b : panel) b = static_cast<std::uint8_t>(rng());
  for (auto& b : w) b = static_cast<std::uint8_t>(rng());
  alignas(64) std::int32_t ones[64], raw[6 * 64];
  detail::multiply_binary_avx512(panel.data(), all.data(), kQuads, ones, 1, 4, {.final = detail::BinaryOut::Final::High});
  for (int variant = 0; variant < 4; ++variant) {
    const bool unsigned_bytes = variant % 2 == 0, clamp = variant >= 2;
    const std::int32_t lo = unsigned_bytes ? (clamp ? 10 : 0) : (clamp ? -50 : -128);
    const std::int32_t hi = unsigned_bytes ? (clamp ? 200 : 255) : (clamp ? 90 : 127);
    std::vector<BinaryRequant> forms(6);
    for (int r = 0; r < 6; ++r) {
      BinaryRequant& q = forms[static_cast<std::size_t>(r)];
      if (r < 2) {
        q.table = true;
        q.fold = static_cast<std::int32_t>(draw(rng, -40, 40));  // −D
        q.pair = 0xFFFF0002u;
        for (auto& b : q.bytes) b = static_cast<std::uint8_t>(draw(rng, lo, hi));
        continue;
      }
      q.word = r < 4;
      q.mult = static_cast<std::int32_t>(q.word ? draw(rng, 0, 16383) : draw(rng, 16384, 1 << 22));
      q.shift = static_cast<int>(draw(rng, 0, 31));
      q.fold = static_cast<std::int32_t>(draw(rng, -(1 << 28), 1 << 28));
      const auto m1 = static_cast<std::uint32_t>(q.word ? q.mult : 1);
      q.pair = ((2 * m1) & 0xFFFFu) | ((0u - m1) << 16);
    }
    for (int vectors = 1; vectors <= 4; ++vectors) {
      alignas(64) std::uint8_t codes[6 * 64] = {};
      const detail::StoreSegment segment{0, ~std::uint64_t{0}};
      detail::BinaryOut out{.init = ones, .final = detail::BinaryOut::Final::Dot};
      out.requant = forms.data();
      out.out = codes;
      out.out_stride = 64;
      out.segments = &segment;
      out.segment_count = 1;
      out.lo = lo;
      out.hi = hi;
      out.unsigned_bytes = unsigned_bytes;
      out.clamp = clamp;
      detail::binary_requant_panel_avx512(panel.data(), w.data(), kQuads, 6, vectors, raw, out);
      for (int r = 0; r < 6; ++r)
        for (int i = 0; i < vectors * 16; ++i) {
          std::int64_t p = 0, n = 0;
          for (int b = 0; b < kQuads * 4; ++b) {
            const unsigned x = panel[static_cast<std::size_t>(b / 4 * 256 + i * 4 + b % 4)];
            p += std::popcount(x & w[static_cast<std::size_t>(r * kQuads * 4 + b)]);
            n += std::popcount(x);
          }
          const std::int32_t y = apply_binary_requant(forms[static_cast<std::size_t>(r)], 2 * p - n, lo, hi);
          ASSERT_EQ(codes[r * 64 + i], static_cast<std::uint8_t>(y))
              << "row " << r << " pixel " << i << " vectors " << vectors << " variant " << variant;
        }
    }
  }
}

}  // namespace
}  // namespace bitlab::runtime::fast
