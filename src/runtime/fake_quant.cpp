#include "runtime/fake_quant.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "ir/validate.h"
#include "quant/layout.h"
#include "quant/rounding.h"
#include "quant/uniform.h"
#include "runtime/kernels.h"

namespace bitlab::runtime {
namespace {

// §4 then §5 on one value, in float64: the division and the product round once each.
double fake_quantise(double x, double scale, std::int32_t zero_point, std::int32_t qmin, std::int32_t qmax,
                     quant::RoundingMode mode) {
  const double q = std::clamp(quant::round_value(x / scale, mode) + zero_point, static_cast<double>(qmin),
                              static_cast<double>(qmax));
  return scale * (q - zero_point);
}

RealTensor quantise_tensor(const RealTensor& x, const ir::QuantAttrs& a) {
  const quant::QuantSpec& spec = a.spec;
  std::optional<quant::ChannelLayout> layout;
  if (spec.granularity == quant::Granularity::PerChannel) layout.emplace(x.shape, spec.axis);
  RealTensor y{x.shape, std::vector<double>(x.values.size())};
  for (std::size_t i = 0; i < x.values.size(); ++i) {
    if (std::isnan(x.values[i])) throw std::invalid_argument(fmt::format("quant: NaN at index {}", i));
    const std::size_t c = layout ? layout->channel_of(i) : 0;
    y.values[i] = fake_quantise(x.values[i], spec.scales[c], spec.zero_point(c), spec.qmin(), spec.qmax(), a.rounding);
  }
  return y;
}

std::vector<double> widen(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// The float weights as the fake quantiser leaves them: s_c·(q − z_c), q per §4 with half to even.
RealTensor weights(const ir::Tensor& w, const std::optional<quant::QuantSpec>& spec) {
  RealTensor out{w.shape, widen(*w.float_data)};
  if (!spec) return out;
  const std::vector<std::int32_t> codes = quant::quantise(*w.float_data, w.shape, *spec);
  std::optional<quant::ChannelLayout> layout;
  if (spec->granularity == quant::Granularity::PerChannel) layout.emplace(w.shape, spec->axis);
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const std::size_t c = layout ? layout->channel_of(i) : 0;
    out.values[i] = spec->scales[c] * (static_cast<double>(codes[i]) - spec->zero_point(c));
  }
  return out;
}

RealTensor batchnorm(const RealTensor& x, const ir::Graph& g, const ir::Node& n) {
  auto param = [&](std::size_t i) { return widen(*g.tensor(n.inputs.at(i)).float_data); };
  const auto gamma = param(1), beta = param(2), mean = param(3), var = param(4);
  const double eps = n.attrs<ir::BatchNormAttrs>().epsilon;
  const quant::ChannelLayout layout(x.shape, 1);
  RealTensor y{x.shape, std::vector<double>(x.values.size())};
  for (std::size_t i = 0; i < y.values.size(); ++i) {
    const std::size_t c = layout.channel_of(i);
    y.values[i] = gamma[c] * (x.values[i] - mean[c]) / std::sqrt(var[c] + eps) + beta[c];
  }
  return y;
}

}  // namespace

RealTensorMap run_fake_quantised(const ir::Graph& graph, const RealTensorMap& inputs) {
  ir::validate(graph);
  for (const ir::Tensor& t : graph.tensors) {
    if (!t.type.is_float()) {
      throw std::invalid_argument(fmt::format("graph \"{}\": tensor \"{}\" is {}; the fake-quantised executor runs "
                                              "float32 graphs only",
                                              graph.name, t.name, ir::to_string(t.type)));
    }
  }
  RealTensorMap values;
  for (const std::string& name : graph.inputs) {
    auto it = inputs.find(name);
    if (it == inputs.end()) throw std::invalid_argument(fmt::format("input \"{}\" of graph \"{}\" is missing", name, graph.name));
    const ir::Shape& shape = graph.tensor(name).shape;
    if (it->second.shape != shape || it->second.values.size() != static_cast<std::size_t>(ir::num_elements(shape))) {
      throw std::invalid_argument(fmt::format("input \"{}\" has shape {}; the graph expects {}", name,
                                              ir::to_string(it->second.shape), ir::to_string(shape)));
    }
    values.emplace(name, it->second);
  }
  if (inputs.size() != graph.inputs.size()) throw std::invalid_argument("inputs hold a tensor that is no graph input");
  for (const ir::Tensor& t : graph.tensors)
    if (t.float_data) values.emplace(t.name, RealTensor{t.shape, widen(*t.float_data)});

  for (const ir::Node& node : graph.nodes) {
    const ir::Shape& out_shape = graph.tensor(node.output()).shape;
    auto in = [&](std::size_t i) -> const RealTensor& { return values.at(node.inputs.at(i)); };
    RealTensor y;
    switch (node.op) {
      case ir::OpKind::Quant: y = quantise_tensor(in(0), node.attrs<ir::QuantAttrs>()); break;
      case ir::OpKind::BatchNorm: y = batchnorm(in(0), graph, node); break;
      case ir::OpKind::Relu:
        y = in(0);
        for (double& v : y.values) v = std::max(v, 0.0);
        break;
      case ir::OpKind::Conv2d:
      case ir::OpKind::Linear: {
        const bool conv = node.op == ir::OpKind::Conv2d;
        const auto& spec = conv ? node.attrs<ir::Conv2dAttrs>().weight_quant : node.attrs<ir::LinearAttrs>().weight_quant;
        const RealTensor w = weights(graph.tensor(node.inputs[1]), spec);
        const std::vector<double> zw(static_cast<std::size_t>(w.shape[0]), 0.0);
        const std::vector<double>* bias = node.inputs.size() > 2 ? &in(2).values : nullptr;
        y = conv ? kernels::conv2d<double>(in(0), 0.0, w, zw, bias, node.attrs<ir::Conv2dAttrs>(), out_shape)
                 : kernels::linear<double>(in(0), 0.0, w, zw, bias);
        break;
      }
      case ir::OpKind::Add:
        y = in(0);
        for (std::size_t i = 1; i < node.inputs.size(); ++i)
          for (std::size_t e = 0; e < y.values.size(); ++e) y.values[e] += in(i).values[e];
        break;
      case ir::OpKind::Concat: {
        std::vector<const RealTensor*> xs;
        for (std::size_t i = 0; i < node.inputs.size(); ++i) xs.push_back(&in(i));
        y = kernels::concat<double>(xs, node.attrs<ir::ConcatAttrs>().axis, out_shape);
        break;
      }
      case ir::OpKind::AvgPool: {
        const auto& a = node.attrs<ir::PoolAttrs>();
        y = kernels::avgpool_sum<double>(in(0), 0.0, a, out_shape);
        const auto k = static_cast<double>(a.kernel[0] * a.kernel[1]);
        for (double& v : y.values) v /= k;
        break;
      }
      case ir::OpKind::MaxPool: y = kernels::maxpool<double>(in(0), node.attrs<ir::PoolAttrs>(), out_shape); break;
      case ir::OpKind::Flatten:
      case ir::OpKind::Reshape: y = RealTensor{out_shape, in(0).values}; break;
      default:
        throw std::invalid_argument(fmt::format("node \"{}\": {} is not an op of the fake-quantised graph", node.name,
                                                ir::to_string(node.op)));
    }
    values.insert_or_assign(node.output(), std::move(y));
  }
  RealTensorMap outputs;
  for (const std::string& name : graph.outputs) outputs.emplace(name, values.at(name));
  return outputs;
}

}  // namespace bitlab::runtime
