#include "runtime/conv_split.h"

#include <algorithm>

namespace bitlab::runtime {
namespace {

template <class T>
std::vector<T> sub(const std::vector<T>& v, std::int64_t begin, std::int64_t end) {
  if (v.empty()) return {};
  return {v.begin() + begin, v.begin() + end};
}

// Output channels [o0, o1) of p with their weights ([O][per_o] codes) and per-channel parameters.
void keep_channels(fast::ConvProblem& q, const fast::ConvProblem& p, std::int64_t o0, std::int64_t o1, std::int64_t per_o) {
  q.O = o1 - o0;
  q.weights = sub(p.weights, o0 * per_o, o1 * per_o);
  q.weight_zero_points = sub(p.weight_zero_points, o0, o1);
  q.bias = sub(p.bias, o0, o1);
  q.multipliers = sub(p.multipliers, o0, o1);
  q.requant_input_zero_points = sub(p.requant_input_zero_points, o0, o1);
}

}  // namespace

std::int64_t conv_macs(const fast::ConvProblem& p) {
  if (p.linear) return p.N * p.O * p.C;
  return p.N * p.O * p.OH * p.OW * (p.C / p.groups) * p.KH * p.KW;
}

std::vector<ConvSlice> split_conv(const fast::ConvProblem& p, int parts) {
  const std::int64_t H = p.linear ? 1 : p.H, W = p.linear ? 1 : p.W;
  const std::int64_t OH = p.linear ? 1 : p.OH, OW = p.linear ? 1 : p.OW;
  const std::int64_t groups = p.linear ? 1 : p.groups;
  // What is cut: samples, output channels or groups.
  const std::int64_t units = p.N > 1 ? p.N : groups > 1 ? groups : p.O;
  const std::int64_t n = std::min<std::int64_t>(std::max(parts, 1), units);
  std::vector<ConvSlice> out;
  if (n <= 1) {
    out.push_back({p, 0, 0});
    return out;
  }
  const std::int64_t Cg = p.C / groups, Og = p.O / groups, per_o = Cg * p.KH * p.KW;
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int64_t u0 = units * k / n, u1 = units * (k + 1) / n;
    ConvSlice s{p, 0, 0};
    if (p.N > 1) {
      s.problem.N = u1 - u0;
      s.input_offset = u0 * p.C * H * W;
      s.output_offset = u0 * p.O * OH * OW;
    } else if (groups > 1) {
      s.problem.groups = u1 - u0;
      s.problem.C = (u1 - u0) * Cg;
      keep_channels(s.problem, p, u0 * Og, u1 * Og, per_o);
      s.input_offset = u0 * Cg * H * W;
      s.output_offset = u0 * Og * OH * OW;
    } else {
      keep_channels(s.problem, p, u0, u1, per_o);
      s.output_offset = u0 * OH * OW;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace bitlab::runtime
