#pragma once
// Single-pass CPU kernels for per-tensor fake quantisation (float32, contiguous).
// Torch-free on purpose: plain loops the compiler vectorises, wrapped as
// autograd functions in fused/fake_quant.h.
//
// Each kernel repeats, element by element and in the same order, the float32
// operations of the LibTorch graph it replaces (ste.cpp, lsq.cpp, pact.cpp: the
// reference kernels), so the forward is bit-identical and the input gradient
// is too. Parameter gradients are the same per-element terms, summed in double
// (LibTorch sums them in float, so those agree to float rounding only).
#include <cstdint>

namespace bitlab::train::fused {

// Integer code bounds as floats (|q| <= 2^16, exact).
struct CodeBounds {
  float qmin = 0.0f;
  float qmax = 0.0f;
};

// "ste": out = (round_ste(clamp(x / s + z, qmin, qmax)) - z) * s.
void ste_forward(const float* x, float* out, std::int64_t n, float s, float z, CodeBounds b);
// grad_x = (inside ? g * s : 0) / s, inside = qmin <= x / s + z <= qmax.
void ste_backward(const float* x, const float* g, float* grad_x, std::int64_t n, float s, float z, CodeBounds b);

// "lsq": out = round_ste(clamp(x / s, qmin, qmax)) * s.
void lsq_forward(const float* x, float* out, std::int64_t n, float s, CodeBounds b);
// Writes grad_x (unless null) as ste_backward with z = 0 and returns the
// gradient reaching s before LSQ's gradient scale: sum of g * round_ste(v)
// (from the final product) and -(inside ? g * s : 0) * ((x / s) / s) (from the division).
double lsq_backward(const float* x, const float* g, float* grad_x, std::int64_t n, float s, CodeBounds b);

// "pact": y = x >= alpha ? alpha : (x <= lower ? lower : x),
// out = clamp(round(y / s), kmin, qmax) * s + (y - y); `lower` is 0 or -alpha.
struct PactParams {
  float alpha = 0.0f;
  float lower = 0.0f;
  float scale = 0.0f;
  CodeBounds codes;  // kmin, qmax
};
void pact_forward(const float* x, float* out, std::int64_t n, const PactParams& p);
// Writes grad_x (unless null): g strictly between lower and alpha, else 0.
// Returns the sums of g where x >= alpha (`upper`) and where x < alpha and x <= lower (`lower`).
struct PactClipGradients {
  double upper = 0.0;
  double lower = 0.0;
};
PactClipGradients pact_backward(const float* x, const float* g, float* grad_x, std::int64_t n, const PactParams& p);

}  // namespace bitlab::train::fused
