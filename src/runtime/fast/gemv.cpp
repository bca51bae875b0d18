// Gemv: weight packing, the per-sample driver (input conversion, epilogue), and the portable path.
#include "runtime/fast/gemv.h"

#include <algorithm>
#include <stdexcept>

#include "runtime/fast/elementwise_impl.h"
#include "runtime/fast/gemv_impl.h"
#include "runtime/fast/target.h"

namespace bitlab::runtime::fast {

namespace detail {
void gemv_dots_portable(const GemvArgs& a) { impl::gemv_dots16_body(a); }
}  // namespace detail

bool Gemv::eligible(const ConvProblem& p) {
  return p.linear && p.input_bits >= 1 && p.input_bits <= 8 && int8_eligible(p);
}

Gemv::Gemv(const ConvProblem& p, Isa isa) : isa_(isa) {
  if (!eligible(p)) throw std::invalid_argument("Gemv: problem is not an eligible linear layer");
  if (!isa_supported(isa)) throw std::invalid_argument("Gemv: ISA not supported here");
  vnni_ = vector_path(isa) == Isa::Avx512;
  N_ = p.N, I_ = p.C, O_ = p.O;
  Ip_ = (I_ + 63) / 64 * 64;
  input_signed_ = p.input_signed;
  zx_ = p.input_zero_point;
  requant_ = p.requant;
  const std::int64_t off = p.input_signed ? 128 : 0;
  if (vnni_) w8_.assign(static_cast<std::size_t>(O_ * Ip_), 0);
  else w16_.assign(static_cast<std::size_t>(O_ * Ip_), 0);
  for (std::int64_t o = 0; o < O_; ++o) {
    std::int64_t sum_w = 0;
    for (std::int64_t i = 0; i < I_; ++i) {
      const std::int64_t w = p.weights[static_cast<std::size_t>(o * I_ + i)] - p.weight_zero_points[static_cast<std::size_t>(o)];
      sum_w += w;
      if (vnni_) w8_[static_cast<std::size_t>(o * Ip_ + i)] = static_cast<std::int8_t>(w);
      else w16_[static_cast<std::size_t>(o * Ip_ + i)] = static_cast<std::int16_t>(w);
    }
    const std::int64_t bias = p.bias.empty() ? 0 : p.bias[static_cast<std::size_t>(o)];
    offset_.push_back(vnni_ ? bias - (zx_ + off) * sum_w : bias);
    if (requant_) {
      const quant::DyadicMultiplier& m = p.multipliers[static_cast<std::size_t>(o)];
      params_.push_back({.zx = p.requant_input_zero_points[static_cast<std::size_t>(o)], .m = m.multiplier, .shift = m.shift,
                         .zy = p.output_zero_point, .lo = p.lo, .hi = p.hi});
      requantisers_.push_back({m, p.output_zero_point, {p.lo, p.hi}});
      wide_.push_back(m.multiplier >= (std::int64_t{1} << 31) ? 1 : 0);
    }
  }
  // x' (bytes) or x − zx (int16), then the dots.
  const std::size_t x_bytes = static_cast<std::size_t>(Ip_) * (vnni_ ? 1 : 2);
  scratch_bytes_ = (x_bytes + 63) / 64 * 64 + static_cast<std::size_t>(O_) * sizeof(std::int32_t);
}

void Gemv::run(const std::uint8_t* input, void* output, std::uint8_t* scratch) const {
  detail::GemvArgs a;
  a.O = O_;
  a.Ip = Ip_;
  a.w8 = w8_.data();
  a.w16 = w16_.data();
  const std::size_t x_bytes = static_cast<std::size_t>(Ip_) * (vnni_ ? 1 : 2);
  a.dots = reinterpret_cast<std::int32_t*>(scratch + (x_bytes + 63) / 64 * 64);
  const std::uint8_t flip = input_signed_ ? 0x80 : 0;
  for (std::int64_t n = 0; n < N_; ++n) {
    const std::uint8_t* x = input + n * I_;
    if (vnni_) {
      std::uint8_t* x8 = scratch;
      for (std::int64_t i = 0; i < I_; ++i) x8[i] = x[i] ^ flip;
      std::fill(x8 + I_, x8 + Ip_, std::uint8_t{0});
      a.x8 = x8;
    } else {
      auto* x16 = reinterpret_cast<std::int16_t*>(scratch);
      for (std::int64_t i = 0; i < I_; ++i)
        x16[i] = static_cast<std::int16_t>((input_signed_ ? static_cast<std::int32_t>(static_cast<std::int8_t>(x[i])) : x[i]) - zx_);
      std::fill(x16 + I_, x16 + Ip_, std::int16_t{0});
      a.x16 = x16;
    }
#if BITLAB_FAST_X86
    switch (vector_path(isa_)) {
      case Isa::Avx512: detail::gemv_dots_avx512(a); break;
      case Isa::Avx2: detail::gemv_dots_avx2(a); break;
      case Isa::Portable: detail::gemv_dots_portable(a); break;
    }
#else
    detail::gemv_dots_portable(a);
#endif
    for (std::int64_t o = 0; o < O_; ++o) {
      // Wrapping add: the true accumulator fits int32 (§13), so the wrapped sum equals it.
      const auto acc = static_cast<std::int32_t>(static_cast<std::uint32_t>(a.dots[o]) +
                                                 static_cast<std::uint32_t>(offset_[static_cast<std::size_t>(o)]));
      if (!requant_) {
        static_cast<std::int32_t*>(output)[n * O_ + o] = acc;
      } else if (wide_[static_cast<std::size_t>(o)]) {
        const RequantParams& r = params_[static_cast<std::size_t>(o)];
        static_cast<std::uint8_t*>(output)[n * O_ + o] =
            static_cast<std::uint8_t>(requantisers_[static_cast<std::size_t>(o)].apply(static_cast<std::int64_t>(acc) - r.zx));
      } else {
        impl::requant_body<false>(&acc, 1, params_[static_cast<std::size_t>(o)], static_cast<std::uint8_t*>(output) + n * O_ + o);
      }
    }
  }
}

}  // namespace bitlab::runtime::fast
