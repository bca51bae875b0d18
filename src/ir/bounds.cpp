#include "ir/bounds.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "ir/error.h"

namespace bitlab::ir {
namespace {

__extension__ using Int128 = __int128;  // -Wpedantic: a GCC/Clang extension, as in quant

std::int64_t saturate(Int128 v) {
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  return v > hi ? hi : static_cast<std::int64_t>(v);
}

Int128 magnitude(std::int64_t v) { return v < 0 ? -static_cast<Int128>(v) : static_cast<Int128>(v); }

}  // namespace

std::int64_t code_magnitude(const Tensor& codes) {
  const Quantization& q = codes.quant();
  std::int64_t out = 0;
  for (std::size_t c = 0; c < q.num_channels(); ++c) {
    const std::int64_t z = q.zero_point(c);
    out = std::max({out, std::abs(codes.type.min_value() - z), std::abs(codes.type.max_value() - z)});
  }
  return out;
}

std::int64_t accumulator_bound(const Graph& graph, const Node& node) {
  const Tensor& x = graph.tensor(node.inputs.at(0));
  const Int128 ax = code_magnitude(x);
  if (node.op == OpKind::AvgPool) {
    const auto& k = node.attrs<PoolAttrs>().kernel;
    return saturate(ax * k[0] * k[1]);
  }
  if (node.op != OpKind::Conv2d && node.op != OpKind::Linear) {
    throw GraphError(fmt::format("node \"{}\" ({}) has no accumulator", node.name, to_string(node.op)));
  }
  const Tensor& w = graph.tensor(node.inputs.at(1));
  if (!w.int_data) throw GraphError(fmt::format("weights \"{}\" of node \"{}\" are not an integer constant", w.name, node.name));
  const Tensor* bias = node.inputs.size() > 2 ? &graph.tensor(node.inputs[2]) : nullptr;
  const std::int64_t out_channels = w.shape.at(0);
  const std::int64_t per_channel = out_channels == 0 ? 0 : num_elements(w.shape) / out_channels;
  const Quantization& wq = w.quant();
  Int128 bound = 0;
  for (std::int64_t c = 0; c < out_channels; ++c) {
    const std::int64_t zw = wq.zero_point(wq.num_channels() == 1 ? 0 : static_cast<std::size_t>(c));
    Int128 sum = 0;
    for (std::int64_t k = 0; k < per_channel; ++k) sum += magnitude((*w.int_data)[c * per_channel + k] - zw);
    Int128 channel = ax * sum;
    if (bias && bias->int_data) channel += magnitude((*bias->int_data)[c]);
    bound = std::max(bound, channel);
  }
  return saturate(bound);
}

}  // namespace bitlab::ir
