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
  quad_bits_ = binary && isa == Isa::Avx512;
  // Stride-1 binary convs on AVX-512 pack the input's bits once per run (8 channels per byte),
  // so each tap byte is a plain slice of that bit plane: steps are (channel octet, ky, kx).
  bit_plane_ = quad_bits_ && !p.linear && p.stride_h == 1 && p.stride_w == 1;
  if (bit_plane_) k_steps_ = ceil_div(Cg_, 8) * p.KH * p.KW;
  bit_steps_ = k_steps_;
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

  // Weights in the micro-kernels' order.
  const std::int64_t G = p.groups;
  if (!binary) {
    const std::int64_t KP = k_steps_ * 4;
    w8_.assign(static_cast<std::size_t>(G * rows_ * KP), 0);
    for (std::int64_t g = 0; g < G; ++g)
      for (std::int64_t r = 0; r < Og_; ++r)
        for (std::int64_t k = 0; k < K_; ++k)
          w8_[static_cast<std::size_t>((g * rows_ + r) * KP + k)] =
              static_cast<std::int8_t>(weight_minus_zero(p, g * Og_ + r, k, K_));
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
          // k = (c·KH + ky)·KW + kx; with the bit plane, byte (c/8, ky, kx) holds channel c at bit c % 8.
          const std::int64_t c = k / (p.KH * p.KW), tap = k % (p.KH * p.KW);
          const std::int64_t step = bit_plane_ ? (c / 8) * p.KH * p.KW + tap : k / 8;
          const unsigned bit = static_cast<unsigned>(bit_plane_ ? c % 8 : k % 8);
          if (set) wbits_[static_cast<std::size_t>((g * rows_ + r) * k_steps_ + step)] |= static_cast<std::uint8_t>(1u << bit);
        }
      }
    }
  }

  // Pixel grid and scratch.
  if (p.linear) {
    direct_rows_ = false;
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
    direct_rows_ = false;
    grid_w_ = p.OW;
    grid_pixels_ = p.OH * p.OW;
    gather_bytes_ = static_cast<std::size_t>(K_ * grid_pixels_);
  }
  // Where im2col row k = (c, ky, kx) starts, relative to the plane / gather base (precomputed:
  // divisions per row per panel would cost more than the panel itself).
  std::int64_t cs = 0, kys = 0, kxs = 0;
  if (p.linear) {
    cs = p.N;
  } else if (direct_rows_) {
    const std::int64_t w = padded_plane_ ? Wp_ : p.W;
    cs = (padded_plane_ ? Hp_ : p.H) * w;
    kys = p.dil_h * w;
    kxs = p.dil_w;
  } else {
    cs = p.KH * p.KW * grid_pixels_;
    kys = p.KW * grid_pixels_;
    kxs = grid_pixels_;
  }
  for (std::int64_t c = 0; c < Cg_; ++c)
    for (std::int64_t ky = 0; ky < p.KH; ++ky)
      for (std::int64_t kx = 0; kx < p.KW; ++kx) row_offsets_.push_back(c * cs + ky * kys + kx * kxs);
  if (bit_plane_) {  // bit plane [Cg/8][padded plane] bytes
    bit_plane_bytes_ = static_cast<std::size_t>(ceil_div(Cg_, 8) * cs);
    for (std::int64_t c8 = 0; c8 < ceil_div(Cg_, 8); ++c8)
      for (std::int64_t ky = 0; ky < p.KH; ++ky)
        for (std::int64_t kx = 0; kx < p.KW; ++kx) step_offsets_.push_back(c8 * cs + ky * kys + kx * kxs);
  }
  panel_bytes_ = static_cast<std::size_t>(k_steps_ * kBlockPixels * (binary ? 1 : 4));
  scratch_bytes_ = align64(plane_bytes_) + align64(gather_bytes_) + align64(bit_plane_bytes_) + align64(panel_bytes_) +
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
  if (bit_plane_) {  // rows are slices of the bit plane: 4 tap bytes per pixel and quad step
    for (std::int64_t q = 0; q < k_steps_ / 4; ++q) {
      const std::uint8_t* r[4] = {};
      for (int j = 0; j < 4; ++j)
        if (q * 4 + j < bit_steps_) r[j] = rows.row(q * 4 + j);
      detail::interleave4_avx512(r, p0, valid, 0, panel + q * kBlockPixels * 4);
    }
    return;
  }
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
    if (elem == 1 && isa_ == Isa::Avx512) {
      detail::scatter_codes_avx512(s, valid, p0, grid_w_, p_.OW, plane);
      continue;
    }
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
  std::uint8_t* plane = scratch;
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
        if (bit_plane_ || (direct_rows_ && !padded_plane_)) {
          rows.base = in;  // the bit plane below is built straight from the input
        } else if (direct_rows_) {
          // Padding holds code zx (§14.1), so the correction term cancels it.
          std::memset(plane, zx, plane_bytes_);
          for (std::int64_t c = 0; c < Cg_; ++c)
            for (std::int64_t y = 0; y < p.H; ++y)
              std::memcpy(plane + (c * Hp_ + y + p.pad_h) * Wp_ + p.pad_w, in + (c * p.H + y) * p.W, static_cast<std::size_t>(p.W));
          rows.base = plane;
        } else {
          const std::int64_t P = p.OH * p.OW;
          for (std::int64_t c = 0; c < Cg_; ++c)
            for (std::int64_t ky = 0; ky < p.KH; ++ky)
              for (std::int64_t kx = 0; kx < p.KW; ++kx) {
                std::uint8_t* dst = gather + ((c * p.KH + ky) * p.KW + kx) * P;
                for (std::int64_t oy = 0; oy < p.OH; ++oy) {
                  const std::int64_t iy = oy * p.stride_h - p.pad_h + ky * p.dil_h;
                  for (std::int64_t ox = 0; ox < p.OW; ++ox) {
                    const std::int64_t ix = ox * p.stride_w - p.pad_w + kx * p.dil_w;
                    dst[oy * p.OW + ox] = (iy < 0 || iy >= p.H || ix < 0 || ix >= p.W) ? zx : in[(c * p.H + iy) * p.W + ix];
                  }
                }
              }
          rows.base = gather;
        }
      }
      if (bit_plane_) {
        // Bit j of byte (c8, y, x) = bit of channel 8·c8 + j at (y, x) of the padded plane; padding
        // holds code zx (§14.1), whose bit (zx − qmin) & 1 fills every channel's bit there (bits
        // of channels ≥ Cg meet zero weight bits, the all-ones row included).
        const std::uint8_t qmin_byte = static_cast<std::uint8_t>(p.input_signed ? 0xFF : 0x00);
        const std::int64_t plane_size = Hp_ * Wp_;
        if (padded_plane_) std::memset(bits, ((zx - qmin_byte) & 1) != 0 ? 0xFF : 0x00, bit_plane_bytes_);
        for (std::int64_t c8 = 0; c8 * 8 < Cg_; ++c8) {
          const std::uint8_t* r[8] = {};
          for (int j = 0; j < 8; ++j)
            if (c8 * 8 + j < Cg_) r[j] = rows.base + (c8 * 8 + j) * p.H * p.W;
          if (!padded_plane_) {  // the plane is the input's: one run
            for (std::int64_t at = 0; at < plane_size; at += kBlockPixels)
              detail::pack_bits_avx512(r, at, std::min<std::int64_t>(kBlockPixels, plane_size - at), qmin_byte,
                                       bits + c8 * plane_size + at);
            continue;
          }
          for (std::int64_t y = 0; y < p.H; ++y)
            for (std::int64_t x = 0; x < p.W; x += kBlockPixels)
              detail::pack_bits_avx512(r, y * p.W + x, std::min<std::int64_t>(kBlockPixels, p.W - x), qmin_byte,
                                       bits + c8 * plane_size + (y + p.pad_h) * Wp_ + p.pad_w + x);
        }
        rows = Rows{bits, step_offsets_.data()};
      }
      for (std::int64_t p0 = 0; p0 < grid_pixels_; p0 += kBlockPixels) {
        build_panel(rows, p0, panel);
        const std::int64_t valid = std::min<std::int64_t>(kBlockPixels, grid_pixels_ - p0);
        if (binary) {
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
