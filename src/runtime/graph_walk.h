#pragma once
// Executes an integer IR graph node by node for a value type T (int64 for the
// reference runtime, double for the float64 simulation). Everything exact is
// done here with the shared kernels; the two rounding ops (requant, add) and
// the exactness checks come from `Rounding`, which provides:
//   TensorOf<T> requant(const ir::Node&, const TensorOf<T>& x, const ir::Tensor& x_info, const ir::Tensor& y_info);
//   TensorOf<T> add(const ir::Node&, const std::vector<const TensorOf<T>*>& xs,
//                   const std::vector<const ir::Tensor*>& x_infos, const ir::Tensor& y_info);
//   void check_accumulation(const ir::Graph&, const ir::Node&);  // before conv2d / linear / avgpool
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <fmt/format.h>

#include "ir/graph.h"
#include "ir/validate.h"
#include "runtime/kernels.h"
#include "runtime/tensor.h"

namespace bitlab::runtime::detail {

template <class T>
TensorOf<T> constant(const ir::Tensor& t) {
  TensorOf<T> out{t.shape, {}};
  out.values.reserve(t.int_data->size());
  for (const std::int64_t v : *t.int_data) out.values.push_back(static_cast<T>(v));
  return out;
}

// Every value is an integer inside the tensor's element type; `what` names it in errors.
template <class T>
void check_values(const TensorOf<T>& x, const ir::Tensor& info, const std::string& what) {
  const auto lo = static_cast<T>(info.type.min_value());
  const auto hi = static_cast<T>(info.type.max_value());
  for (std::size_t i = 0; i < x.values.size(); ++i) {
    const T v = x.values[i];
    bool integral = true;
    if constexpr (std::is_floating_point_v<T>) integral = std::isfinite(v) && std::floor(v) == v;
    if (!integral || v < lo || v > hi) {
      throw std::invalid_argument(fmt::format("{}: value {} at index {} is not an integer in {} [{}, {}]", what, v, i,
                                              ir::to_string(info.type), info.type.min_value(), info.type.max_value()));
    }
  }
}

template <class T>
std::vector<T> weight_zero_points(const ir::Tensor& w) {
  const ir::Quantization& q = w.quant();
  std::vector<T> out;
  for (std::int64_t o = 0; o < w.shape[0]; ++o) {
    out.push_back(static_cast<T>(q.zero_point(q.num_channels() == 1 ? 0 : static_cast<std::size_t>(o))));
  }
  return out;
}

template <class T, class Rounding>
TensorMapOf<T> walk_graph(const ir::Graph& graph, const TensorMapOf<T>& inputs, Rounding& rounding) {
  ir::validate_integer_graph(graph);
  TensorMapOf<T> values;
  for (const auto& [name, tensor] : inputs) {
    const ir::Tensor* info = graph.find(name);
    if (!info || std::find(graph.inputs.begin(), graph.inputs.end(), name) == graph.inputs.end()) {
      throw std::invalid_argument(fmt::format("graph \"{}\" has no input named \"{}\"", graph.name, name));
    }
    if (tensor.shape != info->shape || tensor.values.size() != static_cast<std::size_t>(ir::num_elements(info->shape))) {
      throw std::invalid_argument(fmt::format("input \"{}\" has shape {} with {} values; the graph expects {}", name,
                                              ir::to_string(tensor.shape), tensor.values.size(), ir::to_string(info->shape)));
    }
    check_values(tensor, *info, fmt::format("input \"{}\"", name));
    values.emplace(name, tensor);
  }
  for (const std::string& name : graph.inputs) {
    if (!values.count(name)) throw std::invalid_argument(fmt::format("input \"{}\" of graph \"{}\" is missing", name, graph.name));
  }
  for (const ir::Tensor& t : graph.tensors)
    if (t.int_data) values.emplace(t.name, constant<T>(t));

  for (const ir::Node& node : graph.nodes) {
    const ir::Tensor& y_info = graph.tensor(node.output());
    auto in = [&](std::size_t i) -> const TensorOf<T>& { return values.at(node.inputs.at(i)); };
    auto in_info = [&](std::size_t i) -> const ir::Tensor& { return graph.tensor(node.inputs.at(i)); };
    auto zx = [&] { return static_cast<T>(in_info(0).quant().zero_point()); };
    TensorOf<T> y;
    switch (node.op) {
      case ir::OpKind::Conv2d:
      case ir::OpKind::Linear: {
        rounding.check_accumulation(graph, node);
        const std::vector<T> zw = weight_zero_points<T>(in_info(1));
        const std::vector<T>* bias = node.inputs.size() > 2 ? &in(2).values : nullptr;
        y = node.op == ir::OpKind::Conv2d
                ? kernels::conv2d<T>(in(0), zx(), in(1), zw, bias, node.attrs<ir::Conv2dAttrs>(), y_info.shape)
                : kernels::linear<T>(in(0), zx(), in(1), zw, bias);
        break;
      }
      case ir::OpKind::AvgPool:
        rounding.check_accumulation(graph, node);
        y = kernels::avgpool_sum<T>(in(0), zx(), node.attrs<ir::PoolAttrs>(), y_info.shape);
        break;
      case ir::OpKind::MaxPool: y = kernels::maxpool<T>(in(0), node.attrs<ir::PoolAttrs>(), y_info.shape); break;
      case ir::OpKind::Flatten:
      case ir::OpKind::Reshape: y = TensorOf<T>{y_info.shape, in(0).values}; break;
      case ir::OpKind::Concat: {
        std::vector<const TensorOf<T>*> xs;
        for (std::size_t i = 0; i < node.inputs.size(); ++i) xs.push_back(&in(i));
        y = kernels::concat<T>(xs, node.attrs<ir::ConcatAttrs>().axis, y_info.shape);
        break;
      }
      case ir::OpKind::Clip: {
        const auto& a = node.attrs<ir::ClipAttrs>();
        y = kernels::clip<T>(in(0), static_cast<T>(a.lo), static_cast<T>(a.hi));
        break;
      }
      case ir::OpKind::Requant: y = rounding.requant(node, in(0), in_info(0), y_info); break;
      case ir::OpKind::Add: {
        std::vector<const TensorOf<T>*> xs;
        std::vector<const ir::Tensor*> infos;
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
          xs.push_back(&in(i));
          infos.push_back(&in_info(i));
        }
        y = rounding.add(node, xs, infos, y_info);
        break;
      }
      default:
        throw std::invalid_argument(fmt::format("node \"{}\": {} is not an integer op", node.name, ir::to_string(node.op)));
    }
    // The validator's bounds (§13) promise this; checking keeps a gap from going unnoticed.
    check_values(y, y_info, fmt::format("node \"{}\" ({}) output \"{}\"", node.name, ir::to_string(node.op), y_info.name));
    values.insert_or_assign(node.output(), std::move(y));
  }
  TensorMapOf<T> outputs;
  for (const std::string& name : graph.outputs) outputs.emplace(name, values.at(name));
  return outputs;
}

}  // namespace bitlab::runtime::detail
