#include "runtime/simulation.h"

#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "ir/bounds.h"
#include "quant/layout.h"
#include "runtime/graph_walk.h"

namespace bitlab::runtime {
namespace {

constexpr double kTwo52 = 4503599627370496.0;   // 2^52
constexpr double kTwo53 = 9007199254740992.0;   // 2^53

[[noreturn]] void inexact(const ir::Node& node, const std::string& why) {
  throw SimulationRangeError(fmt::format("node \"{}\" ({}): float64 simulation would be inexact: {}", node.name,
                                         ir::to_string(node.op), why));
}

// §9.4: ⌊v·m·2^−s + 0.5⌋ is exact when |v|·m + 2^(s−1) < 2^53 (in units of
// 2^−s; for s = 0 the +0.5 needs |v·m| < 2^52). `magnitude` is Σ |v_i|·m_i.
void check_exact(const ir::Node& node, double magnitude, int shift) {
  if (shift > 53) inexact(node, fmt::format("shift {} > 53 puts 2^(s−1) beyond float64's 53 bits", shift));
  const double limit = shift == 0 ? kTwo52 : kTwo53 - std::ldexp(1.0, shift - 1);
  // fl64 rounding is monotone and `limit` is representable, so an exact sum at
  // or above the limit can never compute as below it.
  if (!(magnitude < limit)) inexact(node, fmt::format("|x·m| + 2^(s−1) reaches 2^53 (|x·m| ≈ {}, s = {})", magnitude, shift));
}

struct Float64Rounding {
  // t = ⌊fl64(fl64(v · m_c·2^−s_c) + 0.5)⌋, y = min(max(t + z_y, lo), hi), v = x − z_x (§9.4).
  SimTensor requant(const ir::Node& node, const SimTensor& x, const ir::Tensor& x_info, const ir::Tensor& y_info) {
    const auto& a = node.attrs<ir::RequantAttrs>();
    const ir::Quantization& xq = x_info.quant();
    const double zy = y_info.quant().zero_point();
    std::optional<quant::ChannelLayout> layout;
    if (a.multipliers.size() > 1) layout.emplace(x.shape, a.axis);
    SimTensor y{x.shape, std::vector<double>(x.values.size())};
    for (std::size_t i = 0; i < x.values.size(); ++i) {
      const std::size_t c = layout ? layout->channel_of(i) : 0;
      const quant::DyadicMultiplier& m = a.multipliers[c];
      const double v = x.values[i] - xq.zero_point(xq.num_channels() == 1 ? 0 : c);
      check_exact(node, std::abs(v) * static_cast<double>(m.multiplier), m.shift);
      const double t = std::floor(v * m.value() + 0.5);
      y.values[i] = std::min(std::max(t + zy, static_cast<double>(a.lo)), static_cast<double>(a.hi));
    }
    return y;
  }

  // t = ⌊fl64(Σ_i v_i · m_i·2^−s + 0.5)⌋ (terms summed in input order), y as for requant (§14.3).
  SimTensor add(const ir::Node& node, const std::vector<const SimTensor*>& xs, const std::vector<const ir::Tensor*>& x_infos,
                const ir::Tensor& y_info) {
    const ir::AddRequant& a = *node.attrs<ir::AddAttrs>().requant;
    const double zy = y_info.quant().zero_point();
    SimTensor y{xs[0]->shape, std::vector<double>(xs[0]->values.size())};
    for (std::size_t e = 0; e < y.values.size(); ++e) {
      double sum = 0.0;
      double magnitude = 0.0;
      for (std::size_t i = 0; i < xs.size(); ++i) {
        const double v = xs[i]->values[e] - x_infos[i]->quant().zero_point();
        const auto m = static_cast<double>(a.multipliers[i]);
        magnitude += std::abs(v) * m;
        sum += v * std::ldexp(m, -a.shift);
      }
      check_exact(node, magnitude, a.shift);
      y.values[e] = std::min(std::max(std::floor(sum + 0.5) + zy, static_cast<double>(a.lo)), static_cast<double>(a.hi));
    }
    return y;
  }

  // Products and partial sums of integers are exact in double below 2^53 (§13's bound).
  void check_accumulation(const ir::Graph& graph, const ir::Node& node) {
    const std::int64_t bound = ir::accumulator_bound(graph, node);
    if (static_cast<double>(bound) >= kTwo53) inexact(node, fmt::format("|acc| can reach {} ≥ 2^53", bound));
  }
};

std::int64_t to_int_exact(double v) {
  if (!(std::abs(v) < kTwo53) || std::floor(v) != v) {
    throw std::invalid_argument(fmt::format("{} is not an integer of magnitude < 2^53", v));
  }
  return static_cast<std::int64_t>(v);
}

}  // namespace

SimTensorMap run_simulation(const ir::Graph& graph, const SimTensorMap& inputs) {
  Float64Rounding rounding;
  return detail::walk_graph<double>(graph, inputs, rounding);
}

std::vector<double> dequantise(const SimTensor& codes, const ir::Tensor& info) {
  const ir::Quantization& q = info.quant();
  std::optional<quant::ChannelLayout> layout;
  if (q.num_channels() > 1) layout.emplace(codes.shape, q.axis);
  std::vector<double> out(codes.values.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::size_t c = layout ? layout->channel_of(i) : 0;
    out[i] = q.scale(c) * (codes.values[i] - q.zero_point(c));  // q − z exact, one rounding in the product (§5)
  }
  return out;
}

SimTensorMap to_sim(const IntTensorMap& tensors) {
  SimTensorMap out;
  for (const auto& [name, t] : tensors) {
    SimTensor s{t.shape, {}};
    for (const std::int64_t v : t.values) {
      s.values.push_back(static_cast<double>(to_int_exact(static_cast<double>(v))));
      if (static_cast<std::int64_t>(s.values.back()) != v) throw std::invalid_argument(fmt::format("{} is not exact in float64", v));
    }
    out.emplace(name, std::move(s));
  }
  return out;
}

IntTensorMap to_int(const SimTensorMap& tensors) {
  IntTensorMap out;
  for (const auto& [name, t] : tensors) {
    IntTensor i{t.shape, {}};
    for (const double v : t.values) i.values.push_back(to_int_exact(v));
    out.emplace(name, std::move(i));
  }
  return out;
}

}  // namespace bitlab::runtime
