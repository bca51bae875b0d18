#include "runtime/fast/packed_conv.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace bitlab::runtime::fast {
namespace {

__extension__ using Int128 = __int128;

std::size_t align64(std::size_t n) { return (n + 63) / 64 * 64; }

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Wrapping int32 arithmetic without signed overflow (§13: the true result fits).
std::int32_t wrap(std::int64_t v) { return static_cast<std::int32_t>(static_cast<std::uint32_t>(v)); }

std::int64_t weight_minus_zero(const ConvProblem& p, std::int64_t o, std::int64_t k, std::int64_t K) {
  return p.weights[static_cast<std::size_t>(o * K + k)] - p.weight_zero_points[static_cast<std::size_t>(o)];
}

// §9.2 / §14.9 on one int32 accumulator (already minus the requant's input zero point).
std::int32_t requantise(std::int32_t acc, std::int64_t m, int s, std::int32_t zy, std::int32_t lo, std::int32_t hi,
                        bool wide) {
  std::int64_t t;
  if (!wide) {  // |acc·m| < 2^62, + 2^(s−1) ≤ 2^61: fits int64
    t = (static_cast<std::int64_t>(acc) * m + (s > 0 ? std::int64_t{1} << (s - 1) : 0)) >> s;
  } else {
    const Int128 prod = static_cast<Int128>(acc) * m + (s > 0 ? static_cast<Int128>(1) << (s - 1) : 0);
    const Int128 shifted = prod >> s;
    t = static_cast<std::int64_t>(std::clamp<Int128>(shifted, INT64_MIN / 2, INT64_MAX / 2));
  }
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(t + zy, lo, hi));
}

void epilogue_portable(const detail::EpilogueArgs& a, bool wide) {
  for (int r = 0; r < a.count; ++r) {
    for (int i = 0; i < a.vectors * 16; ++i) {
      const std::int64_t raw = a.raw[r * kBlockPixels + i];
      const std::int64_t dot = a.ones ? 2 * raw - a.ones[i] : raw;
      const std::int32_t acc = wrap(dot + a.offset[r]);
      if (a.requant) {
        a.codes[r * kBlockPixels + i] =
            static_cast<std::uint8_t>(requantise(acc, a.mult[r], a.shift[r], a.zy, a.lo, a.hi, wide));
      } else {
        a.accs[r * kBlockPixels + i] = acc;
      }
    }
  }
}

}  // namespace

struct PackedConv::Rows {
  const std::uint8_t* base;
  const std::int64_t* offsets;  // row_offsets_: start of im2col row k relative to base
  [[nodiscard]] const std::uint8_t* row(std::int64_t k) const { return base + offsets[k]; }
};

bool int8_eligible(const ConvProblem& p) {
  if (p.input_bits < 1 || p.input_bits > 8) return false;
  const std::int64_t K = static_cast<std::int64_t>(p.weights.size()) / p.O;
  for (std::int64_t o = 0; o < p.O; ++o) {
    for (std::int64_t k = 0; k < K; ++k) {
      const std::int64_t w = weight_minus_zero(p, o, k, K);
      if (w < -128 || w > 127) return false;
    }
  }
  return true;
}

bool binary_eligible(const ConvProblem& p) {
  if (p.input_bits != 1) return false;
  const std::int64_t K = static_cast<std::int64_t>(p.weights.size()) / p.O;
  for (std::int64_t o = 0; o < p.O; ++o) {
    for (std::int64_t k = 0; k < K; ++k) {
      const std::int64_t w = weight_minus_zero(p, o, k, K);
      if (w != 1 && w != -1) return false;
    }
  }
  return true;
}

PackedConv::PackedConv(const ConvProblem& problem, ConvKind kind, Isa isa) : p_(problem), kind_(kind), isa_(isa) {
  if (!isa_supported(isa)) throw std::invalid_argument(fmt::format("PackedConv: ISA {} is not supported here", to_string(isa)));
  if (kind == ConvKind::Int8 ? !int8_eligible(p_) : !binary_eligible(p_)) {
    throw std::invalid_argument("PackedConv: the problem is not eligible for this kernel kind");
  }
  const ConvProblem& p = p_;
  Cg_ = p.C / p.groups;
  Og_ = p.O / p.groups;
  K_ = Cg_ * p.KH * p.KW;
  const bool binary = kind == ConvKind::Binary;
  k_steps_ = ceil_div(K_, binary ? 8 : 4);
  // Int8 convs on AVX-512 take their steps as (channel quad, ky, kx) from a quad plane built
  // once per run; channels past Cg (the last quad's tail) meet zero weights, so layers whose
  // last quad would waste more than a fifth of the MACs (Cg = 1, 2, 3, 5, 6, 9: first layers)
  // build panels of consecutive taps instead.
  quad_plane_ = !binary && isa == Isa::Avx512 && !p.linear && ceil_div(Cg_, 4) * 4 * 4 <= Cg_ * 5;
  if (quad_plane_) k_steps_ = ceil_div(Cg_, 4) * p.KH * p.KW;
  quad_bits_ = binary && isa == Isa::Avx512;
  // Stride-1 binary convs on AVX-512 pack the input's bits once per run, 32 channels per pixel
  // dword, so each quad step (channel group of 32, ky, kx) is a plain slice of that bit plane
  // (packed_conv_binary.cpp; K ≤ kBinaryMaxDotTaps, the dot-product kernel's limit). Channels
  // past Cg in the last group meet zero weights, so as for int8's quad plane, layers that would
  // waste more than a fifth of the taps that way pack panels of 32 consecutive taps instead.
  bit_plane_ = quad_bits_ && !p.linear && p.stride_h == 1 && p.stride_w == 1 && K_ <= kBinaryMaxDotTaps &&
               ceil_div(Cg_, 32) * 32 * 4 <= Cg_ * 5;
  if (bit_plane_) k_steps_ = ceil_div(Cg_, 32) * p.KH * p.KW * 4;
  if (quad_bits_) k_steps_ = ceil_div(k_steps_, 4) * 4;  // zero weight bytes pad the last quad
  rows_ = ceil_div(Og_ + (binary ? 1 : 0), kBlockRows) * kBlockRows;

  // Per output channel: the corrections that turn the kernel's raw sums into §14.1 accumulators.
  const std::int64_t off = p.input_signed ? 128 : 0;
  const std::int64_t qmin = p.input_signed ? -(std::int64_t{1} << (p.input_bits - 1)) : 0;
  offset_.resize(static_cast<std::size_t>(p.O));
  mult_.assign(static_cast<std::size_t>(p.O), 1);
  shift_.assign(static_cast<std::size_t>(p.O), 0);
  narrow_.assign(static_cast<std::size_t>(p.O), 0);
  fold_.assign(static_cast<std::size_t>(p.O), 0);
  const std::int64_t qmax = qmin + (std::int64_t{1} << p.input_bits) - 1;
  const std::int64_t x_span = std::max(std::abs(qmin - p.input_zero_point), std::abs(qmax - p.input_zero_point));  // max |x − zx|
  for (std::int64_t o = 0; o < p.O; ++o) {
    std::int64_t sum_w = 0;
    for (std::int64_t k = 0; k < K_; ++k) sum_w += weight_minus_zero(p, o, k, K_);
    const std::int64_t bias = p.bias.empty() ? 0 : p.bias[static_cast<std::size_t>(o)];
    const std::int64_t zreq = p.requant ? p.requant_input_zero_points[static_cast<std::size_t>(o)] : 0;
    const std::int64_t correction = binary ? (qmin - p.input_zero_point) * sum_w : -(p.input_zero_point + off) * sum_w;
    offset_[static_cast<std::size_t>(o)] = wrap(bias + correction - zreq);
    if (p.requant) {
      const quant::DyadicMultiplier& m = p.multipliers[static_cast<std::size_t>(o)];
      mult_[static_cast<std::size_t>(o)] = m.multiplier;
      shift_[static_cast<std::size_t>(o)] = m.shift;
      if (m.multiplier >= (std::int64_t{1} << 31)) wide_multiplier_ = true;
      // The AVX-512 epilogue's 32-bit path computes (dot·m + fold) >> s with the kernel's raw
      // dot product (int8: Σ x'w', binary: 2·popcount − popcount(β)) and fold = offset·m +
      // 2^(s−1) + zy·2^s. Exact when: |acc| ≤ Σ|w'|·|x − zx| + |bias| + |z_req| keeps
      // |t| + |zy| < 2^31; |dot| < 2^31 (no wrap in the kernel); the true offset fits int32;
      // and |dot|·m + |fold| < 2^63 (no wrap in 64-bit lanes).
      std::int64_t abs_w = 0;
      for (std::int64_t k = 0; k < K_; ++k) abs_w += std::abs(weight_minus_zero(p, o, k, K_));
      const Int128 rnd = m.shift > 0 ? static_cast<Int128>(1) << (m.shift - 1) : 0;
      const Int128 bound = static_cast<Int128>(abs_w) * x_span + std::abs(bias) + std::abs(zreq);
      const Int128 t = (bound * m.multiplier + rnd) >> m.shift;
      const Int128 dot_bound = binary ? static_cast<Int128>(K_) : static_cast<Int128>(abs_w) * 255;
      const Int128 true_offset = static_cast<Int128>(bias) + correction - zreq;
      const Int128 fold = true_offset * m.multiplier + rnd + (static_cast<Int128>(p.output_zero_point) << m.shift);
      const Int128 lim31 = Int128{1} << 31, lim63 = Int128{1} << 63;
      const bool ok = m.multiplier < lim31 && t + std::abs(p.output_zero_point) < lim31 - 256 && dot_bound < lim31 &&
                      true_offset >= -lim31 && true_offset < lim31 && (fold < 0 ? -fold : fold) < lim63 &&
                      dot_bound * m.multiplier + (fold < 0 ? -fold : fold) < lim63;
      narrow_[static_cast<std::size_t>(o)] = ok;
      if (ok) fold_[static_cast<std::size_t>(o)] = static_cast<std::int64_t>(fold);
    }
  }
  flip_ = (!binary && p.input_signed) ? 0x80 : 0;
  if (binary && isa == Isa::Avx512) binary_fused_ = fit_binary_requants(p, binary_requant_);

  // Weights in the micro-kernels' order.
  const std::int64_t G = p.groups;
  if (!binary) {
    const std::int64_t KP = k_steps_ * 4;
    w8_.assign(static_cast<std::size_t>(G * rows_ * KP), 0);
    for (std::int64_t g = 0; g < G; ++g)
      for (std::int64_t r = 0; r < Og_; ++r)
        for (std::int64_t k = 0; k < K_; ++k) {
          // k = (c·KH + ky)·KW + kx; the quad plane's step (c/4, ky, kx) holds channel c at byte c % 4.
          const std::int64_t c = k / (p.KH * p.KW), tap = k % (p.KH * p.KW);
          const std::int64_t at = quad_plane_ ? ((c / 4) * p.KH * p.KW + tap) * 4 + c % 4 : k;
          w8_[static_cast<std::size_t>((g * rows_ + r) * KP + at)] =
              static_cast<std::int8_t>(weight_minus_zero(p, g * Og_ + r, k, K_));
        }
    if (isa == Isa::Avx2) {
      w16_.assign(static_cast<std::size_t>(G * rows_ * k_steps_ * 2), 0);
      auto pair = [](std::int8_t a, std::int8_t b) {
        return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint16_t>(a)) |
                                         (static_cast<std::uint32_t>(static_cast<std::uint16_t>(b)) << 16));
      };
      for (std::int64_t gr = 0; gr < G * rows_; ++gr)
        for (std::int64_t s = 0; s < k_steps_; ++s) {
          const std::int8_t* w = &w8_[static_cast<std::size_t>(gr * KP + s * 4)];
          w16_[static_cast<std::size_t>((gr * k_steps_ + s) * 2)] = pair(w[0], w[2]);
          w16_[static_cast<std::size_t>((gr * k_steps_ + s) * 2 + 1)] = pair(w[1], w[3]);
        }
      w8_.clear();
      w8_.shrink_to_fit();
    }
  } else {
    wbits_.assign(static_cast<std::size_t>(G * rows_ * k_steps_), 0);
    for (std::int64_t g = 0; g < G; ++g) {
      for (std::int64_t r = 0; r <= Og_; ++r) {  // row Og_ is all ones: it counts the activation bits
        for (std::int64_t k = 0; k < K_; ++k) {
          const bool set = r == Og_ || weight_minus_zero(p, g * Og_ + r, k, K_) == 1;
          // k = (c·KH + ky)·KW + kx; with the bit plane, quad (c/32, ky, kx) holds channel c at bit
          // c % 8 of its byte (c/8) % 4.
          const std::int64_t c = k / (p.KH * p.KW), tap = k % (p.KH * p.KW);
          const std::int64_t step = bit_plane_ ? ((c / 32) * p.KH * p.KW + tap) * 4 + (c / 8) % 4 : k / 8;
          const unsigned bit = static_cast<unsigned>(bit_plane_ ? c % 8 : k % 8);
          if (set) wbits_[static_cast<std::size_t>((g * rows_ + r) * k_steps_ + step)] |= static_cast<std::uint8_t>(1u << bit);
        }
      }
    }
  }

  // Pixel grid and scratch.
  if (p.linear) {
    grid_w_ = p.N;
    grid_pixels_ = p.N;
    gather_bytes_ = static_cast<std::size_t>(K_ * p.N);
  } else if (p.stride_h == 1 && p.stride_w == 1) {
    padded_plane_ = p.pad_h > 0 || p.pad_w > 0;
    Hp_ = p.H + 2 * p.pad_h;
    Wp_ = p.W + 2 * p.pad_w;
    grid_w_ = Wp_;
    grid_pixels_ = (p.OH - 1) * Wp_ + p.OW;
    if (padded_plane_ && !bit_plane_) plane_bytes_ = static_cast<std::size_t>(Cg_ * Hp_ * Wp_);  // the bit plane is padded itself
  } else {
    // Tap (ky, kx) of output (oy, ox) reads padded position (oy·sh + ky·dh, ox·sw + kx·dw), which
    // is position (oy + ky·dh / sh, ox + kx·dw / sw) of phase ((ky·dh) % sh, (kx·dw) % sw). Valid
    // outputs never read past a phase's Hq × Wq (the last tap reads padded row ≤ Hp − 1), so the
    // flat grid j = oy·Wq + ox works as for stride 1, computing and dropping columns ox ≥ OW.
    phased_ = true;
    padded_plane_ = true;
    Hp_ = p.H + 2 * p.pad_h;
    Wp_ = p.W + 2 * p.pad_w;
    Hq_ = ceil_div(Hp_, p.stride_h);
    Wq_ = ceil_div(Wp_, p.stride_w);
    grid_w_ = Wq_;
    grid_pixels_ = (p.OH - 1) * Wq_ + p.OW;
    plane_bytes_ = static_cast<std::size_t>(Cg_ * p.stride_h * p.stride_w * Hq_ * Wq_);
    phase_used_.assign(static_cast<std::size_t>(p.stride_h * p.stride_w), 0);
    for (std::int64_t ky = 0; ky < p.KH; ++ky)
      for (std::int64_t kx = 0; kx < p.KW; ++kx)
        phase_used_[static_cast<std::size_t>((ky * p.dil_h % p.stride_h) * p.stride_w + kx * p.dil_w % p.stride_w)] = 1;
  }
  // Where im2col row k = (c, ky, kx) starts, relative to the plane / gather base (precomputed:
  // divisions per row per panel would cost more than the panel itself).
  std::int64_t cs = 0, kys = 0, kxs = 0;
  if (p.linear) {
    cs = p.N;
  } else if (phased_) {
    const std::int64_t phase = Hq_ * Wq_;
    for (std::int64_t c = 0; c < Cg_; ++c)
      for (std::int64_t ky = 0; ky < p.KH; ++ky)
        for (std::int64_t kx = 0; kx < p.KW; ++kx) {
          const std::int64_t y = ky * p.dil_h, x = kx * p.dil_w;
          const std::int64_t which = (c * p.stride_h + y % p.stride_h) * p.stride_w + x % p.stride_w;
          row_offsets_.push_back(which * phase + (y / p.stride_h) * Wq_ + x / p.stride_w);
        }
  } else {  // stride 1
    const std::int64_t w = padded_plane_ ? Wp_ : p.W;
    cs = (padded_plane_ ? Hp_ : p.H) * w;
    kys = p.dil_h * w;
    kxs = p.dil_w;
  }
  if (!phased_)
    for (std::int64_t c = 0; c < Cg_; ++c)
      for (std::int64_t ky = 0; ky < p.KH; ++ky)
        for (std::int64_t kx = 0; kx < p.KW; ++kx) row_offsets_.push_back(c * cs + ky * kys + kx * kxs);
  if (bit_plane_) {  // bit plane [Cg/32][padded plane][4] bytes, + the last vector's overreach
    bit_plane_bytes_ = static_cast<std::size_t>(ceil_div(Cg_, 32) * cs * 4 + kBinaryPlaneTail);
    for (std::int64_t c32 = 0; c32 < ceil_div(Cg_, 32); ++c32)
      for (std::int64_t ky = 0; ky < p.KH; ++ky)
        for (std::int64_t kx = 0; kx < p.KW; ++kx) step_offsets_.push_back((c32 * cs + ky * kys + kx * kxs) * 4);
  }
  if (quad_plane_) {
    // Channel c's plane (input, padded copy or phases) is `quad_block_` bytes; row_offsets_[tap]
    // is tap's start in channel 0's. The tail holds what the last block's unused lanes read.
    quad_block_ = phased_ ? p.stride_h * p.stride_w * Hq_ * Wq_ : padded_plane_ ? Hp_ * Wp_ : p.H * p.W;
    quad_bytes_ = static_cast<std::size_t>(ceil_div(Cg_, 4) * quad_block_ * 4 + kQuadTail);
    for (std::int64_t cq = 0; cq < ceil_div(Cg_, 4); ++cq)
      for (std::int64_t tap = 0; tap < p.KH * p.KW; ++tap)
        quad_offsets_.push_back((cq * quad_block_ + row_offsets_[static_cast<std::size_t>(tap)]) * 4);
  }
  if (isa == Isa::Avx512 && p.requant && !p.linear) {
    for (std::int64_t p0 = 0; p0 < grid_pixels_; p0 += kBlockPixels) {
      segment_begin_.push_back(static_cast<std::int32_t>(segments_.size()));
      const std::int64_t valid = std::min<std::int64_t>(kBlockPixels, grid_pixels_ - p0);
      std::int64_t i = 0, oy = p0 / grid_w_, ox = p0 % grid_w_;
      while (i < valid) {
        const std::int64_t run = std::min(valid - i, grid_w_ - ox);  // to the end of this grid row
        if (ox < p.OW) {
          const std::int64_t keep = std::min(run, p.OW - ox);
          const std::uint64_t lanes = (keep >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << keep) - 1) << i;
          segments_.push_back({oy * p.OW + ox - i, lanes});
        }
        i += run;
        ox = 0;
        ++oy;
      }
    }
    segment_begin_.push_back(static_cast<std::int32_t>(segments_.size()));
  }
  panel_bytes_ = quad_plane_ || bit_plane_ ? 0 : static_cast<std::size_t>(k_steps_ * kBlockPixels * (binary ? 1 : 4));
  scratch_bytes_ = align64(quad_bytes_) + align64(plane_bytes_) + align64(gather_bytes_) + align64(bit_plane_bytes_) + align64(panel_bytes_) +
                   align64(sizeof(std::int32_t) * kBlockRows * kBlockPixels) * 2 + align64(sizeof(std::int32_t) * kBlockPixels);
}

std::size_t PackedConv::weight_bytes() const {
  return w8_.size() + w16_.size() * sizeof(std::int32_t) + wbits_.size() + offset_.size() * 16;
}

std::int64_t PackedConv::macs() const {
  const std::int64_t pixels = p_.linear ? p_.N : p_.N * p_.OH * p_.OW;
  return pixels * p_.O * K_;
}

void PackedConv::build_panel(const Rows& rows, std::int64_t p0, std::uint8_t* panel) const {
  const std::int64_t valid = std::min<std::int64_t>(kBlockPixels, grid_pixels_ - p0);
  const bool binary = kind_ == ConvKind::Binary;
  const int per = binary ? 8 : 4;
  const std::uint8_t qmin_byte = static_cast<std::uint8_t>(p_.input_signed ? 0xFF : 0x00);
  if (quad_bits_) {  // 32 taps (4 bytes of 8) per pixel and quad step
    for (std::int64_t q = 0; q < k_steps_ / 4; ++q) {
      const std::uint8_t* r[32] = {};
      for (int t = 0; t < 32; ++t)
        if (q * 32 + t < K_) r[t] = rows.row(q * 32 + t);
      detail::pack_bits4_avx512(r, p0, valid, qmin_byte, panel + q * kBlockPixels * 4);
    }
    return;
  }
  for (std::int64_t s = 0; s < k_steps_; ++s) {
    const std::uint8_t* r[8] = {};
    for (int j = 0; j < per; ++j)
      if (s * per + j < K_) r[j] = rows.row(s * per + j);
    std::uint8_t* out = panel + s * kBlockPixels * (binary ? 1 : 4);
    if (isa_ == Isa::Avx512) {
      detail::interleave4_avx512(r, p0, valid, flip_, out);  // binary AVX-512 took the quad path above
      continue;
    }
    if (binary) {
      for (std::int64_t i = 0; i < kBlockPixels; ++i) {
        unsigned byte = 0;
        if (i < valid)
          for (int j = 0; j < 8; ++j)
            if (r[j]) byte |= ((static_cast<unsigned>(r[j][p0 + i] - qmin_byte)) & 1u) << j;
        out[i] = static_cast<std::uint8_t>(byte);
      }
    } else {
      for (std::int64_t i = 0; i < kBlockPixels; ++i)
        for (int j = 0; j < 4; ++j)
          out[i * 4 + j] = (i < valid && r[j]) ? static_cast<std::uint8_t>(r[j][p0 + i] ^ flip_) : 0;
    }
  }
}

// Phase (a, b) of channel c holds padded position (y·sh + a, x·sw + b) at (y, x); padding
// (and the positions past Hp × Wp that round the phases up) hold code zx (§14.1).
void PackedConv::build_phases(const std::uint8_t* in, std::uint8_t* plane) const {
  const ConvProblem& p = p_;
  std::memset(plane, static_cast<std::uint8_t>(p.input_zero_point), plane_bytes_);
  const std::int64_t sh = p.stride_h, sw = p.stride_w;
  const std::int64_t phase_size = Hq_ * Wq_;
  if (sw == 2 && isa_ == Isa::Avx512) {
    // Input column ix goes to column phase (ix + pad_w) % 2 at x = (ix + pad_w) / 2: one pass per
    // input row splits it into its even and odd columns.
    const std::int64_t be = p.pad_w % 2, bo = 1 - be;
    for (std::int64_t c = 0; c < Cg_; ++c) {
      // Input row iy is row y of row phase a, (a, y) = divmod(iy + pad_h, sh), stepped without divisions.
      std::int64_t a = p.pad_h % sh, y = p.pad_h / sh;
      for (std::int64_t iy = 0; iy < p.H; ++iy) {
        auto target = [&](std::int64_t b, std::int64_t x) -> std::uint8_t* {
          if (phase_used_[static_cast<std::size_t>(a * sw + b)] == 0) return nullptr;
          return plane + ((c * sh + a) * sw + b) * phase_size + y * Wq_ + x;
        };
        std::uint8_t* even = target(be, p.pad_w / 2);
        std::uint8_t* odd = target(bo, (p.pad_w + 1) / 2);
        if (even != nullptr || odd != nullptr) detail::split_columns2_avx512(in + (c * p.H + iy) * p.W, p.W, even, odd);
        if (++a == sh) {
          a = 0;
          ++y;
        }
      }
    }
    return;
  }
  for (std::int64_t c = 0; c < Cg_; ++c)
    for (std::int64_t a = 0; a < sh; ++a)
      for (std::int64_t b = 0; b < sw; ++b) {
        if (phase_used_[static_cast<std::size_t>(a * sw + b)] == 0) continue;
        std::uint8_t* phase = plane + ((c * sh + a) * sw + b) * phase_size;
        // Columns x with input column x·sw + b − pad_w in [0, W).
        const std::int64_t x0 = p.pad_w > b ? ceil_div(p.pad_w - b, sw) : 0;
        const std::int64_t last = p.W - 1 + p.pad_w - b;
        const std::int64_t x1 = last < 0 ? 0 : std::min(Wq_, last / sw + 1);
        if (x0 >= x1) continue;
        for (std::int64_t y = 0; y < Hq_; ++y) {
          const std::int64_t iy = y * sh + a - p.pad_h;
          if (iy < 0 || iy >= p.H) continue;
          const std::uint8_t* src = in + (c * p.H + iy) * p.W + x0 * sw + b - p.pad_w;
          std::uint8_t* dst = phase + y * Wq_ + x0;
          if (sw == 1) {
            std::memcpy(dst, src, static_cast<std::size_t>(x1 - x0));
          } else {
            for (std::int64_t x = 0; x < x1 - x0; ++x) dst[x] = src[x * sw];
          }
        }
      }
}

void PackedConv::multiply(const std::uint8_t* panel, std::int64_t g, std::int64_t o0, std::int64_t valid,
                          std::int32_t* raw) const {
  const std::int64_t row = g * rows_ + o0;
  // Rows that hold output channels (binary: + the all-ones row) and 16-pixel vectors that hold valid pixels.
  const int used_rows = static_cast<int>(std::min<std::int64_t>(kBlockRows, Og_ + (kind_ == ConvKind::Binary ? 1 : 0) - o0));
  const int vectors = static_cast<int>(ceil_div(std::min<std::int64_t>(valid, kBlockPixels), 16));
  if (kind_ == ConvKind::Binary) {
    const std::uint8_t* w = &wbits_[static_cast<std::size_t>(row * k_steps_)];
    if (isa_ == Isa::Avx512) return detail::multiply_binary_avx512(panel, w, k_steps_ / 4, raw, used_rows, vectors);
    if (isa_ == Isa::Avx2) return detail::multiply_binary_avx2(panel, w, k_steps_, raw);
    for (int r = 0; r < kBlockRows; ++r)
      for (int i = 0; i < kBlockPixels; ++i) {
        std::int32_t s = 0;
        for (std::int64_t k = 0; k < k_steps_; ++k)
          s += std::popcount(static_cast<unsigned>(panel[k * kBlockPixels + i] & w[r * k_steps_ + k]));
        raw[r * kBlockPixels + i] = s;
      }
    return;
  }
  if (quad_plane_)
    return detail::multiply_int8_quads_avx512(panel, quad_offsets_.data(), &w8_[static_cast<std::size_t>(row * k_steps_ * 4)],
                                              k_steps_, raw, used_rows, vectors);
  if (isa_ == Isa::Avx512)
    return detail::multiply_int8_avx512(panel, &w8_[static_cast<std::size_t>(row * k_steps_ * 4)], k_steps_, raw, used_rows, vectors);
  if (isa_ == Isa::Avx2) return detail::multiply_int8_avx2(panel, &w16_[static_cast<std::size_t>(row * k_steps_ * 2)], k_steps_, raw);
  const std::int8_t* w = &w8_[static_cast<std::size_t>(row * k_steps_ * 4)];
  for (int r = 0; r < kBlockRows; ++r) {
    std::uint32_t acc[kBlockPixels] = {};
    for (std::int64_t k = 0; k < k_steps_; ++k)
      for (int j = 0; j < 4; ++j) {
        const auto wv = static_cast<std::uint32_t>(static_cast<std::int32_t>(w[r * k_steps_ * 4 + k * 4 + j]));
        const std::uint8_t* x = panel + k * kBlockPixels * 4 + j;
        for (int i = 0; i < kBlockPixels; ++i) acc[i] += x[i * 4] * wv;  // wraps mod 2^32, see header
      }
    for (int i = 0; i < kBlockPixels; ++i) raw[r * kBlockPixels + i] = static_cast<std::int32_t>(acc[i]);
  }
}

void PackedConv::epilogue(const std::int32_t* raw, const std::int32_t* ones, std::int64_t g, std::int64_t o0,
                          std::int64_t n, std::int64_t p0, void* output) const {
  const int count = static_cast<int>(std::min<std::int64_t>(kBlockRows, Og_ - o0));
  if (count <= 0) return;
  const std::int64_t o_first = g * Og_ + o0;
  // Staging for the block's results sits right after `raw` in scratch (see run()).
  auto* staging = const_cast<std::int32_t*>(raw + kBlockRows * kBlockPixels);
  detail::EpilogueArgs a{raw, ones, count, &offset_[static_cast<std::size_t>(o_first)], &mult_[static_cast<std::size_t>(o_first)],
                         &shift_[static_cast<std::size_t>(o_first)], p_.output_zero_point, p_.lo, p_.hi, p_.requant,
                         reinterpret_cast<std::uint8_t*>(staging), staging};
  a.narrow = &narrow_[static_cast<std::size_t>(o_first)];
  a.fold = &fold_[static_cast<std::size_t>(o_first)];
  if (isa_ == Isa::Avx512)  // the AVX-512 kernels leave raw beyond the valid pixels' vectors stale
    a.vectors = static_cast<int>(ceil_div(std::min<std::int64_t>(kBlockPixels, grid_pixels_ - p0), 16));
  if (!segments_.empty() && !wide_multiplier_) {  // AVX-512, requant: stored from registers
    const auto b = static_cast<std::size_t>(p0 / kBlockPixels);
    a.segments = &segments_[static_cast<std::size_t>(segment_begin_[b])];
    a.segment_count = segment_begin_[b + 1] - segment_begin_[b];
    a.out = static_cast<std::uint8_t*>(output) + (n * p_.O + o_first) * p_.OH * p_.OW;
    a.out_stride = p_.OH * p_.OW;
    detail::epilogue_avx512(a);
    return;
  }
  if (isa_ == Isa::Avx512 && !wide_multiplier_) detail::epilogue_avx512(a);
  else epilogue_portable(a, wide_multiplier_);

  const std::size_t elem = p_.requant ? 1 : 4;
  const auto* src = reinterpret_cast<const std::uint8_t*>(staging);
  auto* dst = static_cast<std::uint8_t*>(output);
  const std::int64_t valid = std::min<std::int64_t>(kBlockPixels, grid_pixels_ - p0);
  for (int r = 0; r < count; ++r) {
    const std::int64_t o = o_first + r;
    const std::uint8_t* s = src + static_cast<std::size_t>(r * kBlockPixels) * elem;
    if (p_.linear) {
      for (std::int64_t i = 0; i < valid; ++i)
        std::memcpy(dst + static_cast<std::size_t>((p0 + i) * p_.O + o) * elem, s + i * elem, elem);
      continue;
    }
    std::uint8_t* plane = dst + static_cast<std::size_t>((n * p_.O + o) * p_.OH * p_.OW) * elem;
    if (grid_w_ == p_.OW) {  // no dropped columns: one contiguous run
      std::memcpy(plane + static_cast<std::size_t>(p0) * elem, s, static_cast<std::size_t>(valid) * elem);
      continue;
    }
    std::int64_t i = 0;
    std::int64_t oy = p0 / grid_w_, ox = p0 % grid_w_;
    while (i < valid) {
      const std::int64_t run = std::min(valid - i, grid_w_ - ox);  // to the end of this grid row
      if (ox < p_.OW) {
        const std::int64_t keep = std::min(run, p_.OW - ox);
        std::memcpy(plane + static_cast<std::size_t>(oy * p_.OW + ox) * elem, s + i * elem, static_cast<std::size_t>(keep) * elem);
      }
      i += run;
      ox = 0;
      ++oy;
    }
  }
}

void PackedConv::run(const std::uint8_t* input, void* output, std::uint8_t* scratch) const {
  const ConvProblem& p = p_;
  std::uint8_t* quad = scratch;
  std::uint8_t* plane = quad + align64(quad_bytes_);
  std::uint8_t* gather = plane + align64(plane_bytes_);
  std::uint8_t* bits = gather + align64(gather_bytes_);
  std::uint8_t* panel = bits + align64(bit_plane_bytes_);
  auto* raw = reinterpret_cast<std::int32_t*>(panel + align64(panel_bytes_));
  auto* ones = raw + 2 * kBlockRows * kBlockPixels;  // raw, then the epilogue's staging, then ones
  const auto zx = static_cast<std::uint8_t>(p.input_zero_point);
  const bool binary = kind_ == ConvKind::Binary;
  const std::int64_t samples = p.linear ? 1 : p.N;

  for (std::int64_t n = 0; n < samples; ++n) {
    for (std::int64_t g = 0; g < p.groups; ++g) {
      Rows rows{nullptr, row_offsets_.data()};
      if (p.linear) {
        // im2col of a linear layer: row k holds feature k of every sample.
        for (std::int64_t k = 0; k < K_; ++k)
          for (std::int64_t s = 0; s < p.N; ++s) gather[k * p.N + s] = input[s * p.C + k];
        rows.base = gather;
      } else {
        const std::uint8_t* in = input + (n * p.C + g * Cg_) * p.H * p.W;
        if (phased_) {
          build_phases(in, plane);
          rows.base = plane;
        } else if (bit_plane_ || !padded_plane_) {
          rows.base = in;  // the bit plane below is built straight from the input
        } else {
          // Padding holds code zx (§14.1), so the correction term cancels it.
          std::memset(plane, zx, plane_bytes_);
          for (std::int64_t c = 0; c < Cg_; ++c)
            for (std::int64_t y = 0; y < p.H; ++y)
              std::memcpy(plane + (c * Hp_ + y + p.pad_h) * Wp_ + p.pad_w, in + (c * p.H + y) * p.W, static_cast<std::size_t>(p.W));
          rows.base = plane;
        }
      }
      if (quad_plane_) {
        for (std::int64_t cq = 0; cq * 4 < Cg_; ++cq) {
          const std::uint8_t* r[4] = {};
          for (int j = 0; j < 4; ++j)
            if (cq * 4 + j < Cg_) r[j] = rows.base + (cq * 4 + j) * quad_block_;
          detail::quad_rows_avx512(r, quad_block_, flip_, quad + cq * quad_block_ * 4);
        }
        std::memset(quad + quad_bytes_ - kQuadTail, 0, kQuadTail);
      }
      if (bit_plane_) {
        // Bit j of byte (c8, y, x) = bit of channel 8·c8 + j at (y, x) of the padded plane; padding
        // holds code zx (§14.1), whose bit (zx − qmin) & 1 fills every channel's bit there (bits
        // of channels ≥ Cg meet zero weight bits, the all-ones row included).
        // The plane is [Cg/32][Hp·Wp][4 bytes], byte q of a pixel = channels 32·c32 + 8q + j at bit j.
        const std::uint8_t qmin_byte = static_cast<std::uint8_t>(p.input_signed ? 0xFF : 0x00);
        const std::int64_t plane_size = Hp_ * Wp_;
        if (padded_plane_) std::memset(bits, ((zx - qmin_byte) & 1) != 0 ? 0xFF : 0x00, bit_plane_bytes_);
        else std::memset(bits + bit_plane_bytes_ - kBinaryPlaneTail, 0, kBinaryPlaneTail);
        for (std::int64_t c32 = 0; c32 * 32 < Cg_; ++c32) {
          const std::uint8_t* r[32] = {};
          for (int j = 0; j < 32; ++j)
            if (c32 * 32 + j < Cg_) r[j] = rows.base + (c32 * 32 + j) * p.H * p.W;
          std::uint8_t* quads = bits + c32 * plane_size * 4;
          if (!padded_plane_) {  // the plane is the input's: one run
            detail::pack_bit_quads_avx512(r, 0, plane_size, qmin_byte, quads);
            continue;
          }
          for (std::int64_t y = 0; y < p.H; ++y)
            detail::pack_bit_quads_avx512(r, y * p.W, p.W, qmin_byte, quads + ((y + p.pad_h) * Wp_ + p.pad_w) * 4);
        }
      }
      for (std::int64_t p0 = 0; p0 < grid_pixels_; p0 += kBlockPixels) {
        if (quad_plane_) {  // every step is a slice of the quad plane
          const std::int64_t valid = std::min<std::int64_t>(kBlockPixels, grid_pixels_ - p0);
          for (std::int64_t o0 = 0; o0 < Og_; o0 += kBlockRows) {
            multiply(quad + 4 * p0, g, o0, valid, raw);
            epilogue(raw, nullptr, g, o0, n, p0, output);
          }
          continue;
        }
        if (bit_plane_) {  // every quad step is a slice of the bit plane
          binary_panel_avx512(bits + 4 * p0, step_offsets_.data(), g, n, p0, raw, ones, output);
          continue;
        }
        build_panel(rows, p0, panel);
        const std::int64_t valid = std::min<std::int64_t>(kBlockPixels, grid_pixels_ - p0);
        if (binary && isa_ == Isa::Avx512 && K_ <= kBinaryMaxDotTaps) {
          binary_panel_avx512(panel, nullptr, g, n, p0, raw, ones, output);
        } else if (binary) {
          // The block holding the all-ones row goes first: its counts feed every epilogue.
          const std::int64_t ob = Og_ / kBlockRows * kBlockRows;
          multiply(panel, g, ob, valid, raw);
          std::memcpy(ones, raw + (Og_ - ob) * kBlockPixels, sizeof(std::int32_t) * kBlockPixels);
          epilogue(raw, ones, g, ob, n, p0, output);
          for (std::int64_t o0 = 0; o0 < ob; o0 += kBlockRows) {
            multiply(panel, g, o0, valid, raw);
            epilogue(raw, ones, g, o0, n, p0, output);
          }
        } else {
          for (std::int64_t o0 = 0; o0 < Og_; o0 += kBlockRows) {
            multiply(panel, g, o0, valid, raw);
            epilogue(raw, nullptr, g, o0, n, p0, output);
          }
        }
      }
    }
  }
}

}  // namespace bitlab::runtime::fast
