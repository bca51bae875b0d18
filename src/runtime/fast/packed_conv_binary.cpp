// Binary packed conv on AVX-512, one 64-pixel block (packed_conv.h; docs/runtime.md "Binary").
//
// popcount(β) per pixel is counted once per block (the all-ones weight row) and stored as n·2^16,
// the start value of every channel's dword counters, so that a counter ends as the word pair
// (p, n) = (popcount(β ∧ β_w), popcount(β)) and one VPDPWSSD gives the dot product d = 2p − n.
// When every channel's requant has an exact 32-bit form on its dot products (binary_requant.h),
// the kernel turns them into codes in registers and stores only the 64 bytes of each channel;
// otherwise d goes through the generic epilogue (no `ones` fix-up).
#include <algorithm>

#include "runtime/fast/packed_conv.h"

namespace bitlab::runtime::fast {

void PackedConv::binary_panel_avx512(const std::uint8_t* panel, const std::int64_t* offsets, std::int64_t g, std::int64_t n,
                                     std::int64_t p0, std::int32_t* raw, std::int32_t* ones, void* output) const {
  const std::int64_t valid = std::min<std::int64_t>(kBlockPixels, grid_pixels_ - p0);
  const int vectors = static_cast<int>((valid + 15) / 16);
  const std::int64_t k_quads = k_steps_ / 4;
  const std::uint8_t* w = &wbits_[static_cast<std::size_t>(g * rows_ * k_steps_)];
  // ones[i] = popcount(β_i)·2^16: the all-ones row (bits only at real taps).
  detail::multiply_binary_avx512(panel, w + Og_ * k_steps_, k_quads, ones, 1, vectors,
                                 {.offsets = offsets, .final = detail::BinaryOut::Final::High});
  detail::BinaryOut out{.init = ones, .offsets = offsets, .final = detail::BinaryOut::Final::Dot};
  if (!binary_fused_ || segment_begin_.empty()) {  // (the store segments exist for every AVX-512 conv with a requant)
    for (std::int64_t o0 = 0; o0 < Og_; o0 += kBlockRows) {
      const int rows = static_cast<int>(std::min<std::int64_t>(kBlockRows, Og_ - o0));
      detail::multiply_binary_avx512(panel, w + o0 * k_steps_, k_quads, raw, rows, vectors, out);
      epilogue(raw, nullptr, g, o0, n, p0, output);  // raw holds the dot products
    }
    return;
  }
  out.requant = &binary_requant_[static_cast<std::size_t>(g * Og_)];
  out.out = static_cast<std::uint8_t*>(output) + (n * p_.O + g * Og_) * p_.OH * p_.OW;
  out.out_stride = p_.OH * p_.OW;
  // Where the block's pixels land in each channel's plane (the same for every channel). Without
  // dropped columns the block is one run, one plain store when full (segments_ splits it at grid
  // rows into masked stores: 1×1 layers ran 10 % slower that way).
  const std::int64_t b = p0 / kBlockPixels;
  const detail::StoreSegment run{p0, valid >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << valid) - 1};
  if (grid_w_ == p_.OW) {
    out.segments = &run;
    out.segment_count = 1;
  } else {
    out.segments = &segments_[static_cast<std::size_t>(segment_begin_[static_cast<std::size_t>(b)])];
    out.segment_count = segment_begin_[static_cast<std::size_t>(b + 1)] - segment_begin_[static_cast<std::size_t>(b)];
  }
  out.lo = p_.lo;
  out.hi = p_.hi;
  out.unsigned_bytes = p_.lo >= 0 && p_.hi <= 255;
  out.clamp = out.unsigned_bytes ? (p_.lo > 0 || p_.hi < 255) : (p_.lo > -128 || p_.hi < 127);
  detail::binary_requant_panel_avx512(panel, w, k_quads, Og_, vectors, raw, out);
}

}  // namespace bitlab::runtime::fast
