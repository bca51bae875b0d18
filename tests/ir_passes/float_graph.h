#pragma once
// Builds fake-quantised float graphs op by op for the conversion tests, the
// way a tracer emits them from a QAT model. Activation quants are calibrated
// like PTQ: the graph built so far runs on calibration inputs through the
// float executor and quant::fit_range picks scale and zero point.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ir/graph.h"
#include "ir/shape_inference.h"
#include "quant/range.h"
#include "runtime/fake_quant.h"

namespace bitlab::ir::passes::testing {

inline quant::QuantSpec uint_act(int bits = 8) {
  return {.bits = bits, .is_signed = false, .symmetric = false, .scales = {1.0}, .zero_points = {0}};
}
inline quant::QuantSpec int_act(int bits = 8) { return {.bits = bits, .is_signed = true, .symmetric = true, .scales = {1.0}}; }
inline quant::QuantSpec weight_format(int bits, bool per_channel, std::size_t channels) {
  return {.bits = bits, .is_signed = true, .narrow_range = true, .symmetric = true,
          .granularity = per_channel ? quant::Granularity::PerChannel : quant::Granularity::PerTensor,
          .scales = std::vector<double>(per_channel ? channels : 1, 1.0)};
}

class FloatGraph {
 public:
  FloatGraph(std::string name, std::uint64_t seed) : rng_(seed) { graph.name = std::move(name); }

  std::string input(const std::string& name, Shape shape) {
    graph.add_tensor(float_tensor(name, std::move(shape)));
    graph.inputs.push_back(name);
    return name;
  }

  // Random calibration / test inputs, uniform in [lo, hi).
  runtime::RealTensorMap random_inputs(double lo, double hi) {
    runtime::RealTensorMap out;
    std::uniform_real_distribution<double> u(lo, hi);
    for (const std::string& x : graph.inputs) {
      const Shape& s = graph.tensor(x).shape;
      runtime::RealTensor t{s, {}};
      // float32 values, as a real input would be
      for (std::int64_t i = 0; i < num_elements(s); ++i) t.values.push_back(static_cast<float>(u(rng_)));
      out.emplace(x, std::move(t));
    }
    return out;
  }

  // A quant with explicit spec.
  std::string quant(const std::string& x, const quant::QuantSpec& spec,
                    quant::RoundingMode rounding = quant::RoundingMode::HalfToEven) {
    return op(OpKind::Quant, {x}, QuantAttrs{spec, rounding});
  }
  // A quant whose range is fitted to what `x` holds on the calibration inputs.
  std::string calibrated_quant(const std::string& x, const quant::QuantSpec& format,
                               quant::RoundingMode rounding = quant::RoundingMode::HalfToEven) {
    Graph probe = graph;
    probe.outputs = {x};  // and every other tensor nothing reads yet, so none dangles
    for (const Node& n : graph.nodes) {
      const bool read = std::any_of(graph.nodes.begin(), graph.nodes.end(), [&](const Node& m) {
        return std::find(m.inputs.begin(), m.inputs.end(), n.output()) != m.inputs.end();
      });
      if (!read && n.output() != x) probe.outputs.push_back(n.output());
    }
    double lo = 0.0, hi = 0.0;
    const runtime::RealTensorMap values = runtime::run_fake_quantised(probe, calibration);
    for (const double v : values.at(x).values) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    return quant(x, quant::fit_range(format, lo, hi), rounding);
  }

  // conv2d / linear with random float weights (and bias); the weight spec is
  // fitted to the weights, per channel or per tensor.
  std::string conv(const std::string& x, std::int64_t out_channels, std::int64_t kernel, Conv2dAttrs a,
                   int weight_bits = 8, bool per_channel = true, bool bias = true) {
    const std::int64_t in_channels = graph.tensor(x).shape.at(1);
    auto [inputs, spec] = layer(x, {out_channels, in_channels / a.groups, kernel, kernel}, weight_bits, per_channel, bias);
    a.weight_quant = spec;
    return op(OpKind::Conv2d, inputs, a);
  }
  std::string linear(const std::string& x, std::int64_t out_features, int weight_bits = 8, bool per_channel = true,
                     bool bias = true) {
    auto [inputs, spec] = layer(x, {out_features, graph.tensor(x).shape.at(1)}, weight_bits, per_channel, bias);
    return op(OpKind::Linear, inputs, LinearAttrs{spec});
  }
  std::string batchnorm(const std::string& x, bool negative_gamma = false) {
    const std::int64_t c = graph.tensor(x).shape.at(1);
    std::uniform_real_distribution<double> gamma(0.5, 1.5), beta(-0.3, 0.3), mean(-0.2, 0.2), var(0.5, 2.0);
    std::vector<std::string> params;
    for (auto* dist : {&gamma, &beta, &mean, &var}) {
      std::vector<float> v;
      for (std::int64_t i = 0; i < c; ++i) {
        float value = static_cast<float>((*dist)(rng_));
        if (dist == &gamma && negative_gamma && i % 2 == 1) value = -value;
        v.push_back(value);
      }
      params.push_back(constant({c}, std::move(v)));
    }
    return op(OpKind::BatchNorm, {x, params[0], params[1], params[2], params[3]}, BatchNormAttrs{1e-5});
  }
  std::string relu(const std::string& x) { return op(OpKind::Relu, {x}, ReluAttrs{}); }
  std::string add(std::vector<std::string> xs) { return op(OpKind::Add, std::move(xs), AddAttrs{}); }
  std::string concat(std::vector<std::string> xs) { return op(OpKind::Concat, std::move(xs), ConcatAttrs{1}); }
  std::string avgpool(const std::string& x, PoolAttrs a = {}) { return op(OpKind::AvgPool, {x}, a); }
  std::string maxpool(const std::string& x, PoolAttrs a = {}) { return op(OpKind::MaxPool, {x}, a); }
  std::string flatten(const std::string& x) { return op(OpKind::Flatten, {x}, FlattenAttrs{}); }
  std::string reshape(const std::string& x, Shape s) { return op(OpKind::Reshape, {x}, ReshapeAttrs{std::move(s)}); }

  std::string op(OpKind kind, std::vector<std::string> inputs, Attributes attributes) {
    const std::string name = fmt::format("t{}", counter_++);
    Node n{fmt::format("{}_{}", name, to_string(kind)), kind, std::move(inputs), {name}, std::move(attributes)};
    graph.add_tensor(float_tensor(name, infer_output_shape(graph, n)));
    graph.add_node(std::move(n));
    return name;
  }
  std::string constant(Shape shape, std::vector<float> values) {
    const std::string name = fmt::format("c{}", counter_++);
    graph.add_tensor(float_constant(name, std::move(shape), std::move(values)));
    return name;
  }

  Graph build(std::vector<std::string> outputs) {
    Graph g = graph;
    g.outputs = std::move(outputs);
    return g;
  }

  Graph graph;
  runtime::RealTensorMap calibration;

 private:
  std::pair<std::vector<std::string>, quant::QuantSpec> layer(const std::string& x, const Shape& ws, int bits,
                                                               bool per_channel, bool bias) {
    const std::int64_t out = ws[0];
    const std::int64_t fan_in = num_elements(ws) / out;
    std::normal_distribution<double> w(0.0, 1.0 / std::sqrt(static_cast<double>(fan_in)));
    std::vector<float> wv;
    std::vector<double> mins(static_cast<std::size_t>(out), 0.0), maxs(static_cast<std::size_t>(out), 0.0);
    for (std::int64_t i = 0; i < num_elements(ws); ++i) {
      wv.push_back(static_cast<float>(w(rng_)));
      const auto c = static_cast<std::size_t>(i / fan_in);
      mins[c] = std::min(mins[c], static_cast<double>(wv.back()));
      maxs[c] = std::max(maxs[c], static_cast<double>(wv.back()));
    }
    const quant::QuantSpec format = weight_format(bits, per_channel, static_cast<std::size_t>(out));
    const quant::QuantSpec spec = per_channel ? quant::fit_range(format, mins, maxs)
                                              : quant::fit_range(format, *std::min_element(mins.begin(), mins.end()),
                                                                 *std::max_element(maxs.begin(), maxs.end()));
    std::vector<std::string> in{x, constant(ws, std::move(wv))};
    if (bias) {
      std::uniform_real_distribution<double> b(-0.2, 0.2);
      std::vector<float> bv;
      for (std::int64_t i = 0; i < out; ++i) bv.push_back(static_cast<float>(b(rng_)));
      in.push_back(constant({out}, std::move(bv)));
    }
    return {in, spec};
  }

  std::mt19937_64 rng_;
  int counter_ = 0;
};

}  // namespace bitlab::ir::passes::testing
