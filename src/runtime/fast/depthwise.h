#pragma once
// Depthwise conv2d (groups = C = O, §14.1) as a direct kernel with the
// requantisation of §14.9 fused in. The grouped GEMM of packed_conv.h would
// give each channel its own one-row GEMM and waste almost all of a VNNI block;
// here every channel is one small 2-D convolution, vectorised over its output
// pixels:
//
//   plane[i]  = x − zx as int32 over the zero-padded input plane (real 0 = code zx)
//   acc[p]    = bias + Σ_taps w'_t · plane[p + off_t]     p = oy·Wg + ox
//
// so the whole plane is one flat loop over 16-pixel blocks (columns ox ≥ OW of
// the grid are computed and dropped), requantised in registers. Stride 1
// keeps the rows unpadded (Wg = W, off_t = ky·dh·W + kx·dw − pad_w) and zeroes
// the taps that fall off a row's side with a per-column mask, so the plane is
// one contiguous conversion and needs no per-row work (the small planes of
// these networks, 25 × 5 or 3 × 3, have more rows than columns). Stride 2
// splits the padded plane into its four (row, column) parity phases of
// ⌈Wp/2⌉-wide rows: tap (dy, dx) = (ky·dh, kx·dw) of output (oy, ox) is
// element (oy + dy/2, ox + dx/2) of phase (dy mod 2, dx mod 2), so it too is
// plane[p + off_t], without strided loads or half the grid wasted. Stride 1
// with outputs wider than the input pads the rows (Wg = W + 2·pad_w). w' = w − zw fits int8 and
// |x − zx| ≤ 255, so products fit int32 and the validator's bound (§13) keeps
// the sums exact. The plane is int32 so the inner loop needs no widening. The loops are plain C++ (depthwise_impl.h) instantiated per
// ISA (runtime/fast/target.h); kernels::conv2d is the reference they are
// tested against (tests/runtime/executor_test.cpp, depthwise_test.cpp).
// On AVX-512 with VBMI most layers skip all of this: depthwise_gather.h
// gathers the taps' bytes from the input with VPERMB for VPDPBUSD.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "quant/dyadic.h"
#include "runtime/fast/depthwise_gather.h"
#include "runtime/fast/elementwise.h"
#include "runtime/fast/isa.h"
#include "runtime/fast/packed_conv.h"

namespace bitlab::runtime::fast {

namespace detail {
// Everything one run needs (built by DepthwiseConv, read by the ISA paths).
struct DepthwiseArgs {
  const std::uint8_t* input = nullptr;
  void* output = nullptr;
  std::uint8_t* scratch = nullptr;
  std::int64_t N = 1, C = 1, H = 1, W = 1, OH = 1, OW = 1;
  std::int64_t pad_h = 0, pad_w = 0, stride = 1, taps = 1, KW = 1;
  bool flat = false;           // stride 1 and OW ≤ W: rows of W, side padding by masks
  bool phases = false;         // stride 2: four phase planes of the padded plane, rows of ⌈Wp/2⌉
  std::int64_t Wg = 1;         // row width of the plane(s) and of the output grid (W, ⌈Wp/2⌉ or Wp)
  std::int64_t phase_len = 0;  // int32 elements of one phase plane, slack included
  std::int64_t row_len = 0;    // stride 2: int32 elements per padded input row in scratch (row + zero tail)
  std::int64_t front = 0;      // zeros before the plane (flat: taps left of column 0 read there)
  std::int64_t plane_len = 0;  // int32 elements of the plane, front and slack included
  std::int64_t grid = 0;       // OH·Wg rounded up to kDepthwiseChunk
  std::size_t plane_bytes = 0, acc_bytes = 0, codes_bytes = 0;
  const std::int64_t* tap_offsets = nullptr;  // [taps], relative to plane + front
  const std::int32_t* const* tap_masks = nullptr;  // [taps]: [grid] of −1 (column inside) / 0, or null
  const std::int32_t* weights = nullptr;      // [C][taps] w − zw
  const std::int32_t* bias = nullptr;         // [C]
  bool input_signed = false;
  std::int32_t zx = 0;
  bool requant = false;
  const RequantParams* params = nullptr;         // [C]
  const std::uint8_t* wide = nullptr;            // [C]: m ≥ 2^31, 128-bit scalar path
  const quant::Requantiser* requantisers = nullptr;  // [C], for the wide channels
};
inline constexpr std::int64_t kDepthwiseChunk = 16;  // the grid is a whole number of these (one zmm of int32)

void depthwise_portable(const DepthwiseArgs& a);
void depthwise_avx2(const DepthwiseArgs& a);
void depthwise_avx512(const DepthwiseArgs& a);
}  // namespace detail

class DepthwiseConv {
 public:
  // Depthwise (groups = C = O), equal strides 1 or 2, input codes ≤ 8
  // bits and w − zw in int8; requant (if fused) to codes ≤ 8 bits.
  static bool eligible(const ConvProblem& p);
  DepthwiseConv(const ConvProblem& p, Isa isa);

  [[nodiscard]] std::size_t scratch_bytes() const { return scratch_bytes_; }
  [[nodiscard]] std::size_t weight_bytes() const { return gather_ ? gather_->bytes() : w_.size() * sizeof(std::int32_t); }
  // Whether run() takes the AVX-512 VBMI gather path (depthwise_gather.h) rather than the int32 planes.
  [[nodiscard]] bool gathers() const { return gather_.has_value(); }
  // input: N·C·H·W bytes; output: N·C·OH·OW bytes (requant) or int32s.
  void run(const std::uint8_t* input, void* output, std::uint8_t* scratch) const;

 private:
  Isa isa_;
  std::optional<detail::GatherPlan> gather_;  // AVX-512 with VBMI, where the requant allows (depthwise_gather.h)
  detail::DepthwiseArgs args_;
  std::vector<std::int64_t> tap_offsets_;
  std::vector<std::int32_t> masks_;  // [KW][grid] (flat layout only)
  std::vector<const std::int32_t*> tap_masks_;
  std::vector<std::int32_t> w_;
  std::vector<std::int32_t> bias_;
  std::vector<RequantParams> params_;
  std::vector<std::uint8_t> wide_;
  std::vector<quant::Requantiser> requantisers_;
  std::size_t scratch_bytes_ = 0;
};

}  // namespace bitlab::runtime::fast
