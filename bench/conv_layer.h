#pragma once
// The single-conv integer graph of the layer benchmarks: bench_runtime's
// BM_Conv times it on the fast executor, bench_layer_graphs writes it as
// NET.tq.json and as ONNX Runtime's QLinear model (bench/peer/layers.sh), so
// both sides of docs/benchmarks.md's layer tables run the same layer.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "ir/graph.h"
#include "ir/requant_params.h"
#include "ir/shape_inference.h"

namespace bitlab::bench {

enum class Weights { Int8, Int4, Binary };

// x (uint8, or uint1 for binary) [1, C, S, S] → conv k×k pad k/2 → int32 → requant → uint8.
// Random weights (fixed seed) and a multiplier that keeps typical outputs inside uint8.
inline ir::Graph conv_layer(std::int64_t C, std::int64_t O, std::int64_t S, std::int64_t k, Weights weights) {
  std::mt19937_64 rng(42);
  ir::Graph g;
  const bool binary = weights == Weights::Binary;
  const ir::ElementType xt = ir::ElementType::integer(binary ? 1 : 8, false);
  const ir::ElementType wt = binary ? ir::ElementType::integer(2, true, true)
                                    : ir::ElementType::integer(weights == Weights::Int4 ? 4 : 8, true, true);
  g.add_tensor(ir::int_tensor("x", {1, C, S, S}, xt, ir::Quantization::per_tensor(0.05, 0)));
  std::vector<std::int64_t> w(static_cast<std::size_t>(O * C * k * k));
  const std::int64_t wmax = wt.max_value();
  for (auto& v : w) v = binary ? ((rng() & 1) ? 1 : -1) : static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * wmax + 1)) - wmax;
  g.add_tensor(ir::int_constant("w", {O, C, k, k}, wt, ir::Quantization::per_tensor(0.01), w));
  ir::Node conv{"conv", ir::OpKind::Conv2d, {"x", "w"}, {"acc"}, ir::Conv2dAttrs{.padding = {k / 2, k / 2}}};
  g.add_tensor(ir::int_tensor("acc", ir::infer_output_shape(g, conv), ir::ElementType::integer(32, true),
                              ir::Quantization::per_tensor(0.05 * 0.01)));
  g.add_node(conv);
  const double typical = std::sqrt(static_cast<double>(C * k * k)) * (binary ? 1.0 : 255.0 * static_cast<double>(wmax)) / 2.0;
  const std::vector<double> m = {256.0 / typical};
  g.add_tensor(ir::int_tensor("y", g.tensor("acc").shape, ir::ElementType::integer(8, false), ir::Quantization::per_tensor(0.1, 0)));
  g.add_node(ir::Node{"rq", ir::OpKind::Requant, {"acc"}, {"y"}, ir::make_requant(m, quant::OutputClamp{0, 255})});
  g.inputs = {"x"};
  g.outputs = {"y"};
  return g;
}

}  // namespace bitlab::bench
