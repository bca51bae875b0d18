// The direct depthwise kernel (runtime/fast/depthwise.h) on hand-built problems, every ISA path
// this CPU has, against kernels::conv2d + quant::Requantiser (§14.1, §14.9): the AVX-512 VBMI
// gather path (depthwise_gather.h) with its blocks across channels, windows cut at 64 bytes,
// multi-quad kernels and the requant checks that send a layer back to the int32 planes.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "runtime/fast/depthwise.h"
#include "runtime/kernels.h"

namespace bitlab::runtime::fast {
namespace {

using Rng = std::mt19937_64;

std::int64_t draw(Rng& rng, std::int64_t lo, std::int64_t hi) {
  return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
}

struct Case {
  ConvProblem p;
  std::string text;
};

// A random eligible depthwise problem; `plane` bounds H and W, `fallback` draws a requant the
// gather path must refuse (multiplier ≥ 2^31, shift 0, or a product too wide for int32).
Case random_case(Rng& rng, std::int64_t channels, std::int64_t plane, bool fallback) {
  ConvProblem p;
  p.N = draw(rng, 1, 4) == 1 ? 2 : 1;
  p.C = p.O = p.groups = channels;
  p.KH = draw(rng, 0, 2) == 0 ? draw(rng, 1, 5) : 3;
  p.KW = draw(rng, 0, 2) == 0 ? draw(rng, 1, 5) : 3;
  p.stride_h = p.stride_w = draw(rng, 1, 2);
  p.dil_h = p.dil_w = draw(rng, 0, 4) == 0 ? 2 : 1;
  p.pad_h = draw(rng, 0, 2);
  p.pad_w = draw(rng, 0, 2);
  p.H = draw(rng, std::max<std::int64_t>(1, p.dil_h * (p.KH - 1) + 1 - 2 * p.pad_h), std::max(plane, p.dil_h * (p.KH - 1) + 1));
  p.W = draw(rng, std::max<std::int64_t>(1, p.dil_w * (p.KW - 1) + 1 - 2 * p.pad_w), std::max(plane, p.dil_w * (p.KW - 1) + 1));
  p.OH = (p.H + 2 * p.pad_h - p.dil_h * (p.KH - 1) - 1) / p.stride_h + 1;
  p.OW = (p.W + 2 * p.pad_w - p.dil_w * (p.KW - 1) - 1) / p.stride_w + 1;
  p.input_bits = static_cast<int>(std::array{8, 8, 4, 2}[static_cast<std::size_t>(draw(rng, 0, 3))]);
  p.input_signed = draw(rng, 0, 1) == 1;
  const std::int64_t qmin = p.input_signed ? -(std::int64_t{1} << (p.input_bits - 1)) : 0;
  const std::int64_t qmax = p.input_signed ? (std::int64_t{1} << (p.input_bits - 1)) - 1 : (std::int64_t{1} << p.input_bits) - 1;
  p.input_zero_point = static_cast<std::int32_t>(draw(rng, 0, 2) == 0 ? 0 : draw(rng, qmin, qmax));
  const int wbits = static_cast<int>(std::array{8, 4, 2}[static_cast<std::size_t>(draw(rng, 0, 2))]);
  const std::int64_t wlo = -(std::int64_t{1} << (wbits - 1)), whi = (std::int64_t{1} << (wbits - 1)) - 1;
  for (std::int64_t o = 0; o < p.C; ++o) p.weight_zero_points.push_back(wbits == 8 ? 0 : draw(rng, wlo, whi));
  for (std::int64_t i = 0; i < p.C * p.KH * p.KW; ++i) {
    const std::int64_t zw = p.weight_zero_points[static_cast<std::size_t>(i / (p.KH * p.KW))];
    // w − zw must stay in int8 (int8_eligible): extreme codes against the zero point are clamped.
    p.weights.push_back(std::clamp(draw(rng, wlo, whi), zw - 128, zw + 127));
  }
  if (draw(rng, 0, 3) != 0)
    for (std::int64_t o = 0; o < p.C; ++o) p.bias.push_back(draw(rng, 0, 5) == 0 ? draw(rng, -(1 << 24), 1 << 24) : draw(rng, -5000, 5000));
  p.requant = draw(rng, 0, 4) != 0 || fallback;
  if (p.requant) {
    p.output_signed = draw(rng, 0, 1) == 1;
    const std::int32_t ylo = p.output_signed ? -128 : 0, yhi = p.output_signed ? 127 : 255;
    p.output_zero_point = static_cast<std::int32_t>(draw(rng, ylo, yhi));
    p.lo = draw(rng, 0, 2) == 0 ? p.output_zero_point : ylo;
    p.hi = draw(rng, 0, 3) == 0 ? static_cast<std::int32_t>(draw(rng, p.lo, yhi)) : yhi;
    const int kind = fallback ? static_cast<int>(draw(rng, 0, 2)) : -1;
    for (std::int64_t o = 0; o < p.C; ++o) {
      quant::DyadicMultiplier m{draw(rng, std::int64_t{1} << 30, (std::int64_t{1} << 31) - 1), static_cast<int>(draw(rng, 34, 42))};
      if (kind == 0 && o == p.C - 1) m.multiplier = (std::int64_t{1} << 31) + draw(rng, 0, 1000);  // 32-bit multiplier
      if (kind == 1 && o == 0) m.shift = 0;
      if (kind == 2) m.shift = 2;  // |acc|·m / 2 overflows int32 (channel 0's bias alone makes sure)
      p.multipliers.push_back(m);
      p.requant_input_zero_points.push_back(draw(rng, 0, 5) == 0 ? static_cast<std::int32_t>(draw(rng, -300, 300)) : 0);
    }
  }
  if (fallback) {
    if (p.bias.empty()) p.bias.assign(static_cast<std::size_t>(p.C), 0);
    p.bias[0] = 1 << 20;
  }
  const std::string text = fmt::format("N{} C{} {}x{} k{}x{} s{} p{},{} d{} a{}{} zx{} w{} {}", p.N, p.C, p.H, p.W, p.KH, p.KW,
                                       p.stride_h, p.pad_h, p.pad_w, p.dil_h, p.input_bits, p.input_signed ? "s" : "u",
                                       p.input_zero_point, wbits, p.requant ? "requant" : "int32");
  return {std::move(p), text};
}

// kernels::conv2d with the problem's padding (possibly unequal per axis) and the fused requant.
std::vector<std::int64_t> reference(const ConvProblem& p, const std::vector<std::int64_t>& x) {
  const IntTensor xt{{p.N, p.C, p.H, p.W}, x};
  const IntTensor wt{{p.C, 1, p.KH, p.KW}, p.weights};
  const ir::Conv2dAttrs a{.stride = {p.stride_h, p.stride_w}, .padding = {p.pad_h, p.pad_w}, .dilation = {p.dil_h, p.dil_w}, .groups = p.C};
  IntTensor acc = kernels::conv2d<std::int64_t>(xt, p.input_zero_point, wt, p.weight_zero_points, p.bias.empty() ? nullptr : &p.bias, a,
                                                {p.N, p.C, p.OH, p.OW});
  if (!p.requant) return acc.values;
  const std::int64_t P = p.OH * p.OW;
  for (std::size_t i = 0; i < acc.values.size(); ++i) {
    const std::size_t c = static_cast<std::size_t>(static_cast<std::int64_t>(i) / P % p.C);
    const quant::Requantiser r{p.multipliers[c], p.output_zero_point, {p.lo, p.hi}};
    acc.values[i] = r.apply(acc.values[i] - p.requant_input_zero_points[c]);
  }
  return acc.values;
}

std::vector<Isa> isas() {
  std::vector<Isa> out;
  for (const Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512})
    if (isa_supported(isa)) out.push_back(isa);
  return out;
}

// Runs `c` on every ISA path; returns how many took the gather path.
int check(const Case& c, Rng& rng) {
  const ConvProblem& p = c.p;
  EXPECT_TRUE(DepthwiseConv::eligible(p)) << c.text;
  const std::int64_t qmin = p.input_signed ? -(std::int64_t{1} << (p.input_bits - 1)) : 0;
  const std::int64_t qmax = p.input_signed ? (std::int64_t{1} << (p.input_bits - 1)) - 1 : (std::int64_t{1} << p.input_bits) - 1;
  std::vector<std::int64_t> x(static_cast<std::size_t>(p.N * p.C * p.H * p.W));
  std::vector<std::uint8_t> bytes(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = draw(rng, qmin, qmax);
    bytes[i] = static_cast<std::uint8_t>(x[i]);
  }
  const std::vector<std::int64_t> expected = reference(p, x);
  int gathered = 0;
  for (const Isa isa : isas()) {
    const DepthwiseConv dw(p, isa);
    gathered += dw.gathers();
    std::vector<std::uint8_t> scratch(dw.scratch_bytes() + 64);
    // Guard bytes around the output catch stores past a block's lanes.
    const std::size_t n = expected.size(), width = p.requant ? 1 : 4;
    std::vector<std::uint8_t> out((n + 32) * width, 0xA5);
    dw.run(bytes.data(), out.data() + 16 * width, scratch.data());
    std::vector<std::int64_t> got(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t* e = out.data() + (16 + i) * width;
      if (!p.requant) {
        std::int32_t v;
        std::memcpy(&v, e, 4);
        got[i] = v;
      } else {
        got[i] = p.output_signed ? static_cast<std::int64_t>(static_cast<std::int8_t>(*e)) : static_cast<std::int64_t>(*e);
      }
    }
    EXPECT_EQ(got, expected) << c.text << " isa " << to_string(isa) << (dw.gathers() ? " (gather)" : "");
    for (std::size_t i = 0; i < 16 * width; ++i) {
      EXPECT_EQ(out[i], 0xA5) << c.text << ": wrote before the output";
      EXPECT_EQ(out[out.size() - 1 - i], 0xA5) << c.text << ": wrote past the output";
    }
  }
  return gathered;
}

TEST(Depthwise, RandomLayersMatchTheReferenceOnEveryPath) {
  // Channel counts around the blocks' channel groups (1, 16 / gcd(P, 16)) and odd ones, planes
  // from 1 × 1 to 3 × 3 (blocks spanning up to 16 channels), 6 × 6, and wide rows (stride-2
  // windows cut at 64 bytes).
  Rng rng(20261124);
  const std::int64_t channels[] = {1, 2, 3, 5, 7, 9, 15, 16, 17, 31, 33, 40};
  int gathered = 0, trials = 0;
  for (int trial = 0; trial < 120; ++trial, ++trials) {
    const std::int64_t plane = std::array{3, 3, 6, 12, 30, 60}[static_cast<std::size_t>(trial % 6)];
    const Case c = random_case(rng, channels[static_cast<std::size_t>(trial % 12)], plane, false);
    gathered += check(c, rng);
    if (::testing::Test::HasFailure()) return;
  }
  if (detail::gather_supported()) {
    EXPECT_EQ(gathered, trials);  // every drawn requant fits the int32 form
  }
}

TEST(Depthwise, NetworkShapesMatchTheReference) {
  // The layers of DS-CNN and MobileNet-v1-0.25-96 (3 × 3, pad 1), unsigned and signed.
  Rng rng(7);
  const std::int64_t shapes[][4] = {{64, 25, 5, 1}, {8, 48, 48, 1}, {16, 48, 48, 2}, {32, 24, 24, 2}, {64, 12, 12, 2},
                                    {128, 6, 6, 1}, {128, 6, 6, 2}, {256, 3, 3, 1}};
  for (const auto& s : shapes) {
    for (const bool is_signed : {false, true}) {
      Case c = random_case(rng, s[0], 3, false);
      ConvProblem& p = c.p;
      p.N = 1;
      p.H = s[1];
      p.W = s[2];
      p.KH = p.KW = 3;
      p.pad_h = p.pad_w = 1;
      p.dil_h = p.dil_w = 1;
      p.stride_h = p.stride_w = s[3];
      p.OH = (p.H - 1) / s[3] + 1;
      p.OW = (p.W - 1) / s[3] + 1;
      p.input_bits = 8;
      p.input_signed = is_signed;
      p.input_zero_point = is_signed ? -3 : 0;
      p.weights.resize(static_cast<std::size_t>(p.C * 9));
      for (auto& w : p.weights) w = draw(rng, -127, 127);
      p.weight_zero_points.assign(static_cast<std::size_t>(p.C), 0);
      c.text = fmt::format("C{} {}x{} s{} {}", s[0], s[1], s[2], s[3], is_signed ? "signed" : "unsigned");
      const int gathered = check(c, rng);
      if (detail::gather_supported() && p.requant) {
        EXPECT_EQ(gathered, 1) << c.text;
      }
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST(Depthwise, RequantsTooWideForInt32KeepTheInt32Planes) {
  // 32-bit multipliers, shift 0, or products that leave int32 after the first shift.
  Rng rng(9);
  for (int trial = 0; trial < 12; ++trial) {
    const Case c = random_case(rng, std::array{3, 16, 17}[static_cast<std::size_t>(trial % 3)], 9, true);
    EXPECT_EQ(check(c, rng), 0) << c.text;
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace bitlab::runtime::fast
