#include "ir/passes/lift_collapsed_steps.h"

#include <algorithm>
#include <cmath>

#include "ir/passes/graph_edit.h"
#include "ir/passes/grid.h"

namespace bitlab::ir::passes {
namespace {

// The products' own bound fan_in·max|x − z_x|·max|w|: a bias code no larger
// keeps the channel's accumulator within twice what any channel of the layer
// can reach, so its requant is as representable as theirs.
double products_bound(const Graph& g, const Node& n, const quant::QuantSpec& x, const quant::QuantSpec& w) {
  const Tensor& weights = g.tensor(n.inputs[1]);
  const std::int64_t out_channels = std::max<std::int64_t>(weights.shape.at(0), 1);
  const double fan_in = static_cast<double>(num_elements(weights.shape) / out_channels);
  const double zx = x.zero_point(0);
  const double ax = std::max(std::abs(x.qmin() - zx), std::abs(x.qmax() - zx));
  const double aw = std::max(std::abs(static_cast<double>(w.qmin())), static_cast<double>(w.qmax()));
  return std::max(fan_in * ax * aw, 1.0);
}

}  // namespace

Graph lift_collapsed_steps(const Graph& graph) {
  Graph g = graph;
  for (Node& n : g.nodes) {
    std::optional<quant::QuantSpec>* spec = weight_spec(n);
    if (spec == nullptr || !*spec || (*spec)->granularity != quant::Granularity::PerChannel) continue;
    std::vector<double>& steps = (*spec)->scales;
    const double largest = *std::max_element(steps.begin(), steps.end());
    if (!(largest > 0.0) || !std::isfinite(largest)) continue;  // pass 4 reports such grids
    const double floor = largest * kCollapsedStepRatio;
    std::optional<quant::QuantSpec> x = float_grid(g, n.inputs[0]);
    if (x && x->num_channels() != 1) x.reset();  // s_x must be one scale
    const Tensor* bias = n.inputs.size() > 2 ? &g.tensor(n.inputs[2]) : nullptr;
    const double limit = x ? products_bound(g, n, *x, **spec) : 0.0;
    for (std::size_t c = 0; c < steps.size(); ++c) {
      double& s = steps[c];
      if (!(s > 0.0) || s >= floor) continue;
      while (s < floor) s *= 2.0;
      if (!x || bias == nullptr || !bias->float_data || c >= bias->float_data->size()) continue;
      const double b = std::abs(static_cast<double>((*bias->float_data)[c]));
      for (int k = 0; k < 64 && std::isfinite(b) && b / (x->step(0) * s) > limit; ++k) s *= 2.0;
    }
  }
  return g;
}

}  // namespace bitlab::ir::passes
