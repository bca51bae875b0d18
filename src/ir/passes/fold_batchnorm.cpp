#include "ir/passes/fold_batchnorm.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "ir/passes/conversion_error.h"
#include "ir/passes/graph_edit.h"
#include "ir/validate.h"
#include "quant/uniform.h"

namespace bitlab::ir::passes {
namespace {

[[noreturn]] void refuse(const Graph& g, const Node& n, const std::string& why) {
  throw ConversionError(fmt::format("graph \"{}\": node \"{}\" ({}): {}", g.name, n.name, to_string(n.op), why));
}

// The per-channel BN factors a_c = gamma_c / sqrt(var_c + eps) and offsets
// beta_c − a_c·mean_c, in float64.
struct Affine {
  std::vector<double> scale;
  std::vector<double> shift;
};

Affine batchnorm_affine(const Graph& g, const Node& bn) {
  auto values = [&](std::size_t i) -> const std::vector<float>& {
    const Tensor& t = g.tensor(bn.inputs.at(i));
    if (!t.float_data) refuse(g, bn, fmt::format("\"{}\" must be a float constant", t.name));
    return *t.float_data;
  };
  const auto& gamma = values(1);
  const auto& beta = values(2);
  const auto& mean = values(3);
  const auto& var = values(4);
  const double eps = bn.attrs<BatchNormAttrs>().epsilon;
  Affine a;
  for (std::size_t c = 0; c < gamma.size(); ++c) {
    const double denom = std::sqrt(static_cast<double>(var[c]) + eps);
    if (!(denom > 0.0)) refuse(g, bn, fmt::format("channel {}: var + epsilon must be > 0", c));
    a.scale.push_back(static_cast<double>(gamma[c]) / denom);
    a.shift.push_back(static_cast<double>(beta[c]) - a.scale.back() * static_cast<double>(mean[c]));
  }
  return a;
}

void fold_one(Graph& g, std::size_t bn_index) {
  const Node bn = g.nodes[bn_index];
  const auto layer_index = producer(g, bn.inputs[0]);
  if (!layer_index || (g.nodes[*layer_index].op != OpKind::Conv2d && g.nodes[*layer_index].op != OpKind::Linear) ||
      !has_single_reader(g, bn.inputs[0])) {
    refuse(g, bn, "a batchnorm must directly follow a conv2d or linear whose output nothing else reads");
  }
  Node& layer = g.nodes[*layer_index];
  const std::optional<quant::QuantSpec> spec = *weight_spec(layer);  // a conv2d or linear, checked above
  if (!spec) refuse(g, layer, "has float weights without weight_quant; the integer graph needs their codes");
  const Affine bn_affine = batchnorm_affine(g, bn);

  if (readers(g, layer.inputs[1]).size() > 1) {  // shared weights: fold into a copy
    Tensor copy = g.tensor(layer.inputs[1]);
    copy.name = unique_tensor_name(g, fmt::format("{}_folded", copy.name));
    layer.inputs[1] = copy.name;
    g.add_tensor(std::move(copy));
  }
  Tensor& w = g.tensor(layer.inputs[1]);
  if (!w.float_data) refuse(g, layer, fmt::format("weights \"{}\" must be a float constant", w.name));
  const std::int64_t out_channels = w.shape.at(0);
  const std::int64_t per_channel = num_elements(w.shape) / std::max<std::int64_t>(out_channels, 1);
  const std::vector<std::int32_t> codes = quant::quantise(*w.float_data, w.shape, *spec);  // §4, half to even

  quant::QuantSpec folded = *spec;
  folded.granularity = quant::Granularity::PerChannel;
  folded.axis = 0;
  folded.scale_kind = quant::ScaleKind::Float;  // |a_c|·2^e is no power of two in general
  folded.scales.assign(static_cast<std::size_t>(out_channels), 0.0);
  folded.zero_points.clear();
  std::vector<std::int32_t> zero_points;
  std::vector<float> new_w(codes.size());
  for (std::int64_t c = 0; c < out_channels; ++c) {
    const std::size_t cs = spec->num_channels() == 1 ? 0 : static_cast<std::size_t>(c);
    const double a = bn_affine.scale[static_cast<std::size_t>(c)];
    const std::int32_t z = spec->zero_point(cs);
    // a = 0 zeroes the channel: any scale will do, the codes become z.
    folded.scales[static_cast<std::size_t>(c)] = a == 0.0 ? spec->scales[cs] : std::abs(a) * spec->scales[cs];
    zero_points.push_back(z);
    for (std::int64_t k = 0; k < per_channel; ++k) {
      const std::size_t i = static_cast<std::size_t>(c * per_channel + k);
      std::int32_t q = codes[i];
      if (a == 0.0) {
        q = z;
      } else if (a < 0.0) {
        if (z != 0) refuse(g, layer, fmt::format("channel {}: batchnorm gamma < 0 needs symmetric weights (zero point {})", c, z));
        q = -q;
        if (q < spec->qmin() || q > spec->qmax()) {
          refuse(g, layer, fmt::format("channel {}: batchnorm gamma < 0 negates code {} to {}, outside [{}, {}]; use a "
                                       "narrow-range signed weight spec",
                                       c, -q, q, spec->qmin(), spec->qmax()));
        }
      }
      new_w[i] = static_cast<float>(folded.scales[static_cast<std::size_t>(c)] * static_cast<double>(q - z));
    }
  }
  if (std::any_of(zero_points.begin(), zero_points.end(), [](std::int32_t z) { return z != 0; })) {
    folded.zero_points = zero_points;
  }
  folded.symmetric = folded.zero_points.empty();
  folded.validate();
  w.float_data = std::move(new_w);
  *weight_spec(layer) = folded;

  // Bias: a_c·(b_c − mean_c) + beta_c = a_c·b_c + shift_c.
  std::vector<float> bias(static_cast<std::size_t>(out_channels));
  const Tensor* old_bias = layer.inputs.size() > 2 ? &g.tensor(layer.inputs[2]) : nullptr;
  for (std::size_t c = 0; c < bias.size(); ++c) {
    const double b = old_bias ? static_cast<double>(old_bias->float_data->at(c)) : 0.0;
    bias[c] = static_cast<float>(bn_affine.scale[c] * b + bn_affine.shift[c]);
  }
  if (old_bias && readers(g, old_bias->name).size() == 1) {
    g.tensor(layer.inputs[2]).float_data = std::move(bias);
  } else {
    const std::string name = unique_tensor_name(g, fmt::format("{}_bias", layer.name));
    g.add_tensor(float_constant(name, {out_channels}, std::move(bias)));
    if (layer.inputs.size() > 2) {
      layer.inputs[2] = name;
    } else {
      layer.inputs.push_back(name);
    }
  }
  // The layer now computes the batchnorm's output: drop the batchnorm (its
  // input is a node output read by it alone, so bypass_node keeps names).
  g.nodes[bn_index].inputs.resize(1);
  bypass_node(g, bn_index);
}

}  // namespace

Graph fold_batchnorm(const Graph& graph) {
  validate(graph);
  Graph g = graph;
  for (std::size_t i = 0; i < g.nodes.size();) {
    if (g.nodes[i].op == OpKind::BatchNorm) {
      fold_one(g, i);  // removes node i
    } else {
      ++i;
    }
  }
  validate(g);
  return g;
}

}  // namespace bitlab::ir::passes
