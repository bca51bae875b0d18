// The plan of the depthwise gather kernel (depthwise_gather.h): blocks, windows, weights, requant checks.
#include "runtime/fast/depthwise_gather.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <numeric>

namespace bitlab::runtime::fast::detail {
namespace {

struct Geometry {
  std::int64_t H, W, OH, OW, KH, KW, stride, pad_h, pad_w, dil_h, dil_w, P, HW, chunks, Q;
};

// Appends the blocks of `channels` consecutive channels' outputs (flat order) to `t`, each as long as
// 16 lanes and a 64-byte window per quad allow; the VPERMB indices and lane-channel vectors are
// deduplicated into `plan`.
void segment(const Geometry& g, std::int64_t channels, GatherTable& t, GatherPlan& plan,
             std::map<std::array<std::uint8_t, 64>, std::int32_t>& index_ids,
             std::map<std::array<std::int32_t, 16>, std::int32_t>& lane_ids) {
  t.channels = channels;
  const std::int64_t total = channels * g.P;
  // Byte offsets (from the group's first plane) of the taps of quad q for output j, −1 in the padding.
  auto offsets = [&](std::int64_t j, std::int64_t q, std::array<std::int64_t, 4>& off) {
    const std::int64_t c = j / g.P, pix = j % g.P, oy = pix / g.OW, ox = pix % g.OW;
    const std::int64_t ky = q / g.chunks, kx0 = (q % g.chunks) * 4;
    const std::int64_t iy = oy * g.stride - g.pad_h + ky * g.dil_h;
    for (std::int64_t k = 0; k < 4; ++k) {
      const std::int64_t kx = kx0 + k, ix = ox * g.stride - g.pad_w + kx * g.dil_w;
      off[static_cast<std::size_t>(k)] =
          kx < g.KW && iy >= 0 && iy < g.H && ix >= 0 && ix < g.W ? c * g.HW + iy * g.W + ix : -1;
    }
  };
  std::array<std::int64_t, 4> off{};
  std::vector<std::int64_t> lo(static_cast<std::size_t>(g.Q)), hi(static_cast<std::size_t>(g.Q));
  for (std::int64_t i = 0; i < total;) {
    std::fill(lo.begin(), lo.end(), INT64_MAX);
    std::fill(hi.begin(), hi.end(), INT64_MIN);
    std::int64_t n = 0;
    for (; n < 16 && i + n < total; ++n) {
      bool fits = true;
      std::vector<std::int64_t> nlo = lo, nhi = hi;
      for (std::int64_t q = 0; q < g.Q && fits; ++q) {
        offsets(i + n, q, off);
        for (const std::int64_t o : off) {
          if (o < 0) continue;
          nlo[static_cast<std::size_t>(q)] = std::min(nlo[static_cast<std::size_t>(q)], o);
          nhi[static_cast<std::size_t>(q)] = std::max(nhi[static_cast<std::size_t>(q)], o);
        }
        fits = nhi[static_cast<std::size_t>(q)] == INT64_MIN || nhi[static_cast<std::size_t>(q)] - nlo[static_cast<std::size_t>(q)] < 64;
      }
      if (!fits) break;  // n ≥ 1 here: one output's quad spans at most 3·dil_w + 1 bytes
      lo.swap(nlo);
      hi.swap(nhi);
    }
    GatherBlock b;
    b.out = i;
    b.lanes = static_cast<std::int32_t>(n);
    b.channel = static_cast<std::int32_t>(i / g.P);
    if ((i + n - 1) / g.P != i / g.P) {
      std::array<std::int32_t, 16> lanes{};
      for (std::int64_t L = 0; L < n; ++L) lanes[static_cast<std::size_t>(L)] = static_cast<std::int32_t>((i + L) / g.P - i / g.P);
      const auto [it, added] = lane_ids.emplace(lanes, static_cast<std::int32_t>(lane_ids.size()));
      if (added) plan.lane_channels.insert(plan.lane_channels.end(), lanes.begin(), lanes.end());
      b.lane_channels = it->second;
    }
    t.blocks.push_back(b);
    for (std::int64_t q = 0; q < g.Q; ++q) {
      GatherQuad quad;
      const std::int64_t base = lo[static_cast<std::size_t>(q)] == INT64_MAX ? 0 : lo[static_cast<std::size_t>(q)];
      quad.base = base;
      std::array<std::uint8_t, 64> index{};
      for (std::int64_t L = 0; L < n; ++L) {
        offsets(i + L, q, off);
        for (std::int64_t k = 0; k < 4; ++k) {
          const std::int64_t o = off[static_cast<std::size_t>(k)];
          if (o < 0) continue;
          index[static_cast<std::size_t>(4 * L + k)] = static_cast<std::uint8_t>(o - base);
          quad.take |= std::uint64_t{1} << (4 * L + k);
          quad.load |= std::uint64_t{1} << (o - base);
        }
      }
      const auto [it, added] = index_ids.emplace(index, static_cast<std::int32_t>(index_ids.size()));
      if (added) plan.indices.insert(plan.indices.end(), index.begin(), index.end());
      quad.index = it->second;
      t.quads.push_back(quad);
    }
    i += n;
  }
}

}  // namespace

std::size_t GatherPlan::bytes() const {
  return (main.blocks.size() + tail.blocks.size()) * sizeof(GatherBlock) +
         (main.quads.size() + tail.quads.size()) * sizeof(GatherQuad) + indices.size() +
         (lane_channels.size() + weights.size() + corr.size() + mult.size() + shift1.size()) * sizeof(std::int32_t);
}

std::optional<GatherPlan> make_gather_plan(const ConvProblem& p) {
  GatherPlan plan;
  const std::int64_t C = p.C, taps = p.KH * p.KW;
  const std::int64_t chunks = (p.KW + 3) / 4, Q = p.KH * chunks;
  const std::int64_t cs = C + 16;
  plan.N = p.N, plan.C = C, plan.HW = p.H * p.W, plan.P = p.OH * p.OW, plan.Q = Q;
  plan.input_signed = p.input_signed;
  plan.requant = p.requant;
  plan.zx_byte = static_cast<std::uint8_t>(p.input_zero_point);
  const std::int64_t zx_u8 = p.input_zero_point + (p.input_signed ? 128 : 0);
  const std::int64_t qmin = p.input_signed ? -(std::int64_t{1} << (p.input_bits - 1)) : 0;
  const std::int64_t qmax = p.input_signed ? (std::int64_t{1} << (p.input_bits - 1)) - 1 : (std::int64_t{1} << p.input_bits) - 1;
  const std::int64_t ax = std::max(std::abs(qmin - p.input_zero_point), std::abs(qmax - p.input_zero_point));

  plan.weights.assign(static_cast<std::size_t>(Q * cs), 0);
  plan.corr.assign(static_cast<std::size_t>(cs), 0);
  plan.mult.assign(static_cast<std::size_t>(cs), 0);
  plan.shift1.assign(static_cast<std::size_t>(cs), 0);
  if (p.requant) {
    plan.k = 1 + 2 * p.output_zero_point;
    plan.lo = p.lo;
    plan.hi = p.hi;
  }
  constexpr std::int64_t kInt32Max = 2147483647;
  for (std::int64_t c = 0; c < C; ++c) {
    const std::size_t cu = static_cast<std::size_t>(c);
    std::int64_t sum = 0, sum_abs = 0;
    for (std::int64_t q = 0; q < Q; ++q) {
      const std::int64_t ky = q / chunks, kx0 = (q % chunks) * 4;
      std::uint32_t packed = 0;
      for (std::int64_t k = 0; k < 4 && kx0 + k < p.KW; ++k) {
        const std::int64_t w = p.weights[static_cast<std::size_t>(c * taps + ky * p.KW + kx0 + k)] - p.weight_zero_points[cu];
        sum += w;
        sum_abs += std::abs(w);
        packed |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(static_cast<std::int8_t>(w))) << (8 * k);
      }
      plan.weights[static_cast<std::size_t>(q * cs + c)] = static_cast<std::int32_t>(packed);
    }
    const std::int64_t bias = p.bias.empty() ? 0 : p.bias[cu];
    std::int64_t corr = bias - zx_u8 * sum;
    if (p.requant) {
      const std::int64_t zr = p.requant_input_zero_points[cu];
      const quant::DyadicMultiplier& m = p.multipliers[cu];
      const std::int64_t bound = std::abs(bias) + std::abs(zr) + ax * sum_abs;  // ≥ |acc − zr|
      if (m.multiplier >= (std::int64_t{1} << 31) || m.multiplier < 0 || m.shift < 1 || m.shift > 62 || bound > kInt32Max)
        return std::nullopt;
      const std::int64_t t = (bound * m.multiplier >> (m.shift - 1)) + 1;  // bound, m < 2^31: no overflow
      if (t + std::abs(static_cast<std::int64_t>(plan.k)) > kInt32Max) return std::nullopt;
      corr -= zr;
      plan.mult[cu] = static_cast<std::int32_t>(m.multiplier);
      plan.shift1[cu] = m.shift - 1;
    }
    plan.corr[cu] = static_cast<std::int32_t>(static_cast<std::uint32_t>(corr));  // wraps: the sums wrap alike
  }

  const Geometry g{p.H, p.W, p.OH, p.OW, p.KH, p.KW, p.stride_h, p.pad_h, p.pad_w, p.dil_h, p.dil_w, plan.P, plan.HW, chunks, Q};
  // Planes of 48 outputs or more fill their blocks well alone; smaller ones share blocks across
  // channels, in groups whose outputs are a whole number of 16-lane blocks.
  const std::int64_t group = plan.P >= 48 ? 1 : std::min<std::int64_t>(C, 16 / std::gcd<std::int64_t>(plan.P, 16));
  std::map<std::array<std::uint8_t, 64>, std::int32_t> index_ids;
  std::map<std::array<std::int32_t, 16>, std::int32_t> lane_ids;
  segment(g, group, plan.main, plan, index_ids, lane_ids);
  plan.groups = C / group;
  if (C % group != 0) segment(g, C % group, plan.tail, plan, index_ids, lane_ids);
  return plan;
}

bool gather_supported() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vbmi");
#else
  return false;
#endif
}

}  // namespace bitlab::runtime::fast::detail
