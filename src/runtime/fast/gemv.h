#pragma once
// linear (§14.2) at small batch as matrix-vector products, with the
// requantisation of §14.9 fused in. The packed GEMM (packed_conv.h) computes
// 64 "pixels" (samples) per block, so at batch 1 it wastes 63/64 of its work;
// here each output is one dot product over the input row.
//
//   AVX-512: u8 x' = x + off (off = 128 for signed codes) against s8 w' = w − zw,
//            VPDPBUSD over 64-byte chunks, four rows at a time, then
//            acc = Σ x'w' + (bias − (zx + off)·Σ w')   (int32, wrapping: exact
//            because the true accumulator fits int32, §13).
//   portable and AVX2: int16 (x − zx) · int16 w' summed in int32 (VPMADDWD when
//            vectorised; gemv_impl.h), acc = bias + that sum.
// kernels::linear is the reference (tests/runtime/executor_test.cpp).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "quant/dyadic.h"
#include "runtime/fast/elementwise.h"
#include "runtime/fast/isa.h"
#include "runtime/fast/packed_conv.h"

namespace bitlab::runtime::fast {

namespace detail {
struct GemvArgs {
  std::int64_t O = 1, Ip = 64;  // Ip: the input length padded to 64
  const std::int8_t* w8 = nullptr;    // AVX-512: [O][Ip]
  const std::int16_t* w16 = nullptr;  // otherwise: [O][Ip]
  const std::uint8_t* x8 = nullptr;   // [Ip] x' bytes
  const std::int16_t* x16 = nullptr;  // [Ip] x − zx
  std::int32_t* dots = nullptr;       // [O] out
};
void gemv_dots_portable(const GemvArgs& a);
void gemv_dots_avx2(const GemvArgs& a);
void gemv_dots_avx512(const GemvArgs& a);
}  // namespace detail

class Gemv {
 public:
  // A linear layer whose input codes have ≤ 8 bits and w − zw fits int8.
  static bool eligible(const ConvProblem& p);
  Gemv(const ConvProblem& p, Isa isa);

  [[nodiscard]] std::size_t scratch_bytes() const { return scratch_bytes_; }
  [[nodiscard]] std::size_t weight_bytes() const { return w8_.size() + w16_.size() * 2; }
  // input: N·I bytes; output: N·O bytes (requant) or int32s.
  void run(const std::uint8_t* input, void* output, std::uint8_t* scratch) const;

 private:
  Isa isa_;
  bool vnni_ = false;
  std::int64_t N_ = 1, I_ = 1, O_ = 1, Ip_ = 64;
  bool input_signed_ = false;
  std::int32_t zx_ = 0;
  bool requant_ = false;
  std::vector<std::int8_t> w8_;
  std::vector<std::int16_t> w16_;
  std::vector<std::int64_t> offset_;  // per O: what turns the dot into the accumulator
  std::vector<RequantParams> params_;
  std::vector<quant::Requantiser> requantisers_;
  std::vector<std::uint8_t> wide_;
  std::size_t scratch_bytes_ = 0;
};

}  // namespace bitlab::runtime::fast
