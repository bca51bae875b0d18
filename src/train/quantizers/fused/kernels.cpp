#include "train/quantizers/fused/kernels.h"

#include <algorithm>

namespace bitlab::train::fused {
namespace {

// Round half to even for |v| <= 2^22 under the default rounding mode: after
// adding 1.5 * 2^23 no fraction bits are left, so the FPU's own rounding (to
// nearest, ties to even) does it. std::nearbyint would be a libm call per
// element on baseline x86-64 (no SSE4.1 round instruction); this vectorises.
// Callers clamp to the code range (|q| <= 2^16) first. It returns +0 where
// torch.round returns -0; every caller adds a term that turns -0 into +0 in
// the reference too (ste_round below, PACT's "+ (y - y)"), so outputs agree.
constexpr float kRoundMagic = 12582912.0f;
inline float round_half_even(float v) { return (v + kRoundMagic) - kRoundMagic; }

// The value of ste::round(v) = v + (round(v) - v), computed the same way.
inline float ste_round(float v) { return v + (round_half_even(v) - v); }

// torch.clamp's scalar kernel (std::min(std::max(...))), NaN in, NaN out.
inline float clamp(float v, CodeBounds b) { return std::min(std::max(v, b.qmin), b.qmax); }

// torch.clamp's backward keeps the gradient on the bounds too.
inline bool inside(float v, CodeBounds b) { return (v >= b.qmin) & (v <= b.qmax); }  // & keeps it branch-free

constexpr int kLanes = 8;  // independent partial sums, so a reduction is not one dependency chain

}  // namespace

void ste_forward(const float* __restrict x, float* __restrict out, std::int64_t n, float s, float z, CodeBounds b) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = (ste_round(clamp(x[i] / s + z, b)) - z) * s;
}

void ste_backward(const float* __restrict x, const float* __restrict g, float* __restrict grad_x, std::int64_t n,
                  float s, float z, CodeBounds b) {
  // Mul's backward (g * s), the clamp's mask, then the division's (/ s): not
  // simplified to g, so the result is the reference's to the bit.
  for (std::int64_t i = 0; i < n; ++i) {
    const float gs = g[i] * s;
    grad_x[i] = (inside(x[i] / s + z, b) ? gs : 0.0f) / s;
  }
}

void lsq_forward(const float* __restrict x, float* __restrict out, std::int64_t n, float s, CodeBounds b) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = ste_round(clamp(x[i] / s, b)) * s;
}

namespace {

template <bool kGradX>
double lsq_backward_impl(const float* __restrict x, const float* __restrict g, float* __restrict grad_x,
                         std::int64_t n, float s, CodeBounds b) {
  auto term = [&](std::int64_t i) {
    const float v = x[i] / s;
    const float gs = g[i] * s;
    const float gv = inside(v, b) ? gs : 0.0f;
    if constexpr (kGradX) grad_x[i] = gv / s;
    // d(r * s)/ds = r, and d(x / s)/ds = -(x / s) / s as div's backward writes it.
    return static_cast<double>(g[i] * ste_round(clamp(v, b))) + static_cast<double>(-gv * (v / s));
  };
  double acc[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += term(i + j);
  for (; i < n; ++i) acc[0] += term(i);
  double total = 0.0;
  for (double a : acc) total += a;
  return total;
}

template <bool kGradX>
PactClipGradients pact_backward_impl(const float* __restrict x, const float* __restrict g, float* __restrict grad_x,
                                     std::int64_t n, const PactParams& p) {
  // The two torch::where of the forward: the outer one sends g to alpha where
  // x >= alpha, the inner one to `lower` where x <= lower; x keeps the rest.
  double upper[kLanes] = {};
  double lower[kLanes] = {};
  auto step = [&](std::int64_t i, int lane) {
    const float xi = x[i];
    const double gi = g[i];
    const bool hi = xi >= p.alpha;
    const bool lo = !hi & (xi <= p.lower);
    if constexpr (kGradX) grad_x[i] = (hi | lo) ? 0.0f : g[i];
    upper[lane] += hi ? gi : 0.0;
    lower[lane] += lo ? gi : 0.0;
  };
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) step(i + j, j);
  for (; i < n; ++i) step(i, 0);
  PactClipGradients sums;
  for (int j = 0; j < kLanes; ++j) {
    sums.upper += upper[j];
    sums.lower += lower[j];
  }
  return sums;
}

}  // namespace

double lsq_backward(const float* x, const float* g, float* grad_x, std::int64_t n, float s, CodeBounds b) {
  return grad_x ? lsq_backward_impl<true>(x, g, grad_x, n, s, b) : lsq_backward_impl<false>(x, g, nullptr, n, s, b);
}

void pact_forward(const float* __restrict x, float* __restrict out, std::int64_t n, const PactParams& p) {
  for (std::int64_t i = 0; i < n; ++i) {
    // x >= alpha ? alpha : (x <= lower ? lower : x), as two selects.
    const float xi = x[i];
    float y = xi <= p.lower ? p.lower : xi;
    y = xi >= p.alpha ? p.alpha : y;
    // Clamping before rounding equals the reference's clamp(round(.)) (integer
    // bounds, monotone rounding) and keeps round_half_even in its range.
    // "+ (y - y)" is ste::with_gradient_of's exact zero, kept for its -0 -> +0.
    out[i] = round_half_even(clamp(y / p.scale, p.codes)) * p.scale + (y - y);
  }
}

PactClipGradients pact_backward(const float* x, const float* g, float* grad_x, std::int64_t n, const PactParams& p) {
  return grad_x ? pact_backward_impl<true>(x, g, grad_x, n, p) : pact_backward_impl<false>(x, g, nullptr, n, p);
}

}  // namespace bitlab::train::fused
