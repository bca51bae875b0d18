// DepthwiseConv: geometry, weight packing, run-time dispatch, and the portable path.
#include "runtime/fast/depthwise.h"

#include <stdexcept>

#include "runtime/fast/depthwise_impl.h"
#include "runtime/fast/target.h"

namespace bitlab::runtime::fast {
namespace {

std::size_t align64(std::size_t n) { return (n + 63) / 64 * 64; }

}  // namespace

namespace detail {
void depthwise_portable(const DepthwiseArgs& a) { impl::depthwise_dispatch<false>(a); }
}  // namespace detail

bool DepthwiseConv::eligible(const ConvProblem& p) {
  if (p.linear || p.groups != p.C || p.O != p.C) return false;
  if (p.stride_h != p.stride_w || (p.stride_h != 1 && p.stride_h != 2)) return false;
  if (p.input_bits < 1 || p.input_bits > 8) return false;
  return int8_eligible(p);
}

DepthwiseConv::DepthwiseConv(const ConvProblem& p, Isa isa) : isa_(isa) {
  if (!eligible(p)) throw std::invalid_argument("DepthwiseConv: problem is not an eligible depthwise conv");
  if (!isa_supported(isa)) throw std::invalid_argument("DepthwiseConv: ISA not supported here");
#if BITLAB_FAST_X86
  if (vector_path(isa) == Isa::Avx512 && detail::gather_supported()) {
    gather_ = detail::make_gather_plan(p);
    if (gather_) return;  // no scratch, no int32 planes
  }
#endif
  detail::DepthwiseArgs& a = args_;
  a.N = p.N, a.C = p.C, a.H = p.H, a.W = p.W, a.OH = p.OH, a.OW = p.OW;
  a.pad_h = p.pad_h, a.pad_w = p.pad_w, a.stride = p.stride_h;
  a.flat = a.stride == 1 && p.OW <= p.W;  // grid rows of W must hold the output rows
  a.phases = a.stride == 2;
  const std::int64_t Wp = p.W + 2 * p.pad_w, Hp = p.H + 2 * p.pad_h;
  a.Wg = a.flat ? p.W : a.phases ? (Wp + 1) / 2 : Wp;
  a.taps = p.KH * p.KW;
  a.KW = p.KW;
  const std::int64_t B = detail::kDepthwiseChunk;
  a.grid = (p.OH * a.Wg + B - 1) / B * B;
  // Flat: column ix = ox + kx·dw − pad_w, so offsets may be negative by up to pad_w (the front zeros).
  a.front = a.flat ? (p.pad_w + 15) / 16 * 16 : 0;
  std::int64_t max_offset = 0;
  for (std::int64_t ky = 0; ky < p.KH; ++ky) {
    for (std::int64_t kx = 0; kx < p.KW; ++kx) {
      const std::int64_t dy = ky * p.dil_h, dx = kx * p.dil_w;
      // Stride 2: padded row 2·oy + dy, column 2·ox + dx live in phase (dy mod 2, dx mod 2)
      // at (oy + dy/2, ox + dx/2); the phase base is added below, once PL is known.
      const std::int64_t off = a.phases ? (dy / 2) * a.Wg + dx / 2 : a.flat ? dy * a.Wg + dx - p.pad_w : dy * a.Wg + dx;
      tap_offsets_.push_back(off);
      max_offset = std::max(max_offset, off);
    }
  }
  // Every block of 16 reads below grid + the largest offset; the slack stays zero.
  if (a.phases) {
    a.phase_len = std::max((Hp + 1) / 2 * a.Wg, a.grid + max_offset);
    a.phase_len = (a.phase_len + 15) / 16 * 16 + 16;  // + 16: the split's last block may run over
    for (std::int64_t ky = 0; ky < p.KH; ++ky)
      for (std::int64_t kx = 0; kx < p.KW; ++kx)
        tap_offsets_[static_cast<std::size_t>(ky * p.KW + kx)] += (2 * (ky * p.dil_h % 2) + kx * p.dil_w % 2) * a.phase_len;
    a.plane_len = 4 * a.phase_len;
  } else {
    a.plane_len = a.front + std::max(Hp * a.Wg, a.grid + max_offset);
  }
  a.plane_len = (a.plane_len + 31) / 32 * 32;
  tap_masks_.assign(static_cast<std::size_t>(a.taps), nullptr);
  if (a.flat) {
    masks_.assign(static_cast<std::size_t>(p.KW * a.grid), 0);
    for (std::int64_t kx = 0; kx < p.KW; ++kx) {
      const std::int64_t dx = kx * p.dil_w - p.pad_w;
      bool any_outside = false;
      for (std::int64_t q = 0; q < a.grid; ++q) {
        const std::int64_t ix = q % a.Wg + dx;
        const bool inside = ix >= 0 && ix < p.W;
        masks_[static_cast<std::size_t>(kx * a.grid + q)] = inside ? -1 : 0;
        any_outside |= !inside && q % a.Wg < p.OW;
      }
      if (!any_outside) continue;
      for (std::int64_t ky = 0; ky < p.KH; ++ky)
        tap_masks_[static_cast<std::size_t>(ky * p.KW + kx)] = masks_.data() + kx * a.grid;
    }
  }
  a.plane_bytes = align64(static_cast<std::size_t>(a.plane_len) * sizeof(std::int32_t));
  a.acc_bytes = align64(static_cast<std::size_t>(a.grid) * sizeof(std::int32_t));
  a.codes_bytes = align64(static_cast<std::size_t>(a.grid));
  // Two planes (depthwise_impl.h), acc, codes, then (stride 2) the padded input rows, read back in pairs of 16-element blocks.
  a.row_len = 2 * ((a.Wg + 15) / 16 * 16);
  const std::int64_t row_elements = a.phases ? p.H * a.row_len : 0;
  scratch_bytes_ = 2 * a.plane_bytes + a.acc_bytes + a.codes_bytes + align64(static_cast<std::size_t>(row_elements) * sizeof(std::int32_t));

  w_.resize(static_cast<std::size_t>(p.C * a.taps));
  for (std::int64_t c = 0; c < p.C; ++c)
    for (std::int64_t t = 0; t < a.taps; ++t)
      w_[static_cast<std::size_t>(c * a.taps + t)] = static_cast<std::int32_t>(
          p.weights[static_cast<std::size_t>(c * a.taps + t)] - p.weight_zero_points[static_cast<std::size_t>(c)]);
  bias_.assign(static_cast<std::size_t>(p.C), 0);
  if (!p.bias.empty())
    for (std::int64_t c = 0; c < p.C; ++c) bias_[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(p.bias[static_cast<std::size_t>(c)]);
  a.input_signed = p.input_signed;
  a.zx = p.input_zero_point;
  a.requant = p.requant;
  if (p.requant) {
    for (std::int64_t c = 0; c < p.C; ++c) {
      const quant::DyadicMultiplier& m = p.multipliers[static_cast<std::size_t>(c)];
      params_.push_back({.zx = p.requant_input_zero_points[static_cast<std::size_t>(c)], .m = m.multiplier, .shift = m.shift,
                         .zy = p.output_zero_point, .lo = p.lo, .hi = p.hi});
      wide_.push_back(m.multiplier >= (std::int64_t{1} << 31) ? 1 : 0);
      requantisers_.push_back({m, p.output_zero_point, {p.lo, p.hi}});
    }
  }
  a.tap_offsets = tap_offsets_.data();
  a.tap_masks = tap_masks_.data();
  a.weights = w_.data();
  a.bias = bias_.data();
  a.params = params_.data();
  a.wide = wide_.data();
  a.requantisers = requantisers_.data();
}

void DepthwiseConv::run(const std::uint8_t* input, void* output, std::uint8_t* scratch) const {
#if BITLAB_FAST_X86
  if (gather_) return detail::depthwise_gather_avx512(*gather_, input, output);
#endif
  detail::DepthwiseArgs a = args_;
  a.input = input;
  a.output = output;
  a.scratch = scratch;
#if BITLAB_FAST_X86
  switch (vector_path(isa_)) {
    case Isa::Avx512: return detail::depthwise_avx512(a);
    case Isa::Avx2: return detail::depthwise_avx2(a);
    case Isa::Portable: break;
  }
#endif
  detail::depthwise_portable(a);
}

}  // namespace bitlab::runtime::fast
