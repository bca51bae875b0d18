#include "runtime/reference.h"

#include <optional>

#include "quant/dyadic.h"
#include "quant/layout.h"
#include "runtime/graph_walk.h"
#include "runtime/hardware_requant.h"

namespace bitlab::runtime {
namespace {

// The rounding ops in exact integer arithmetic (quant's 128-bit Requantiser).
struct IntegerRounding {
  const HardwareWidths* hardware = nullptr;  // §15 emulation when set

  // §14.9: y = clamp(((x − z_x)·m_c + 2^(s_c−1)) >> s_c) + z_y, lo, hi).
  IntTensor requant(const ir::Node& node, const IntTensor& x, const ir::Tensor& x_info, const ir::Tensor& y_info) {
    if (hardware) return hardware_requant(node, x, x_info, y_info, *hardware);
    const auto& a = node.attrs<ir::RequantAttrs>();
    const ir::Quantization& xq = x_info.quant();
    std::vector<quant::Requantiser> requantisers;
    for (const quant::DyadicMultiplier& m : a.multipliers) {
      requantisers.push_back({m, y_info.quant().zero_point(), {a.lo, a.hi}});
    }
    std::optional<quant::ChannelLayout> layout;
    if (a.multipliers.size() > 1) layout.emplace(x.shape, a.axis);
    IntTensor y{x.shape, std::vector<std::int64_t>(x.values.size())};
    for (std::size_t i = 0; i < x.values.size(); ++i) {
      const std::size_t c = layout ? layout->channel_of(i) : 0;
      const std::int64_t zx = xq.zero_point(xq.num_channels() == 1 ? 0 : c);
      y.values[i] = requantisers[c].apply(x.values[i] - zx);
    }
    return y;
  }

  // §14.3: t = (Σ_i (x_i − z_i)·m_i + 2^(s−1)) >> s, y = clamp(t + z_y, lo, hi): one
  // rounding of the exact sum, done by a Requantiser with multiplier 1 and shift s.
  IntTensor add(const ir::Node& node, const std::vector<const IntTensor*>& xs,
                const std::vector<const ir::Tensor*>& x_infos, const ir::Tensor& y_info) {
    const ir::AddRequant& a = *node.attrs<ir::AddAttrs>().requant;
    const quant::Requantiser round{{1, a.shift}, y_info.quant().zero_point(), {a.lo, a.hi}};
    IntTensor y{xs[0]->shape, std::vector<std::int64_t>(xs[0]->values.size())};
    for (std::size_t e = 0; e < y.values.size(); ++e) {
      std::int64_t sum = 0;  // cannot overflow: the validator bounds Σ |x_i − z_i|·m_i + 2^(s−1) by int64
      for (std::size_t i = 0; i < xs.size(); ++i) {
        sum += (xs[i]->values[e] - x_infos[i]->quant().zero_point()) * a.multipliers[i];
      }
      y.values[e] = round.apply(sum);
    }
    return y;
  }

  // int64 sums are exact: the validator bounds every accumulator by its type (§13).
  void check_accumulation(const ir::Graph&, const ir::Node&) {}
};

}  // namespace

IntTensorMap run_reference(const ir::Graph& graph, const IntTensorMap& inputs) {
  IntegerRounding rounding;
  return detail::walk_graph<std::int64_t>(graph, inputs, rounding);
}

IntTensorMap run_reference(const ir::Graph& graph, const IntTensorMap& inputs, const ReferenceOptions& options) {
  if (options.hardware) options.hardware->validate();
  IntegerRounding rounding{options.hardware ? &*options.hardware : nullptr};
  return detail::walk_graph<std::int64_t>(graph, inputs, rounding);
}

}  // namespace bitlab::runtime
