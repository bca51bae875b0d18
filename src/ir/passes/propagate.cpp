#include "ir/passes/propagate.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "ir/passes/conversion_error.h"
#include "ir/passes/graph_edit.h"
#include "ir/passes/grid.h"
#include "ir/passes/integerise.h"
#include "ir/validate.h"

namespace bitlab::ir::passes {
namespace {

__extension__ using Int128 = __int128;  // -Wpedantic: a GCC/Clang extension, as in ir/bounds.cpp

class Propagation {
 public:
  explicit Propagation(const Graph& g) : g_(g) {}

  Precisions run() {
    for (const std::string& x : g_.inputs) input(x);
    for (const Node& n : g_.nodes) node(n);
    return std::move(out_);
  }

 private:
  [[noreturn]] void refuse(const Node& n, const std::string& why) const {
    throw ConversionError(fmt::format("graph \"{}\": node \"{}\" ({}): {}", g_.name, n.name, to_string(n.op), why));
  }

  static TensorPrecision codes(const quant::QuantSpec& spec) { return {code_type(spec), code_quantization(spec)}; }

  // The per-tensor codes a node reads as input i.
  const TensorPrecision& code_input(const Node& n, std::size_t i) const {
    auto it = out_.find(n.inputs.at(i));
    if (it == out_.end() || !it->second.type.is_code() ||
        it->second.quantization.granularity != quant::Granularity::PerTensor) {
      refuse(n, fmt::format("input {} \"{}\" is not quantised per tensor; the integer graph needs codes here (put a "
                            "quant before it)",
                            i, n.inputs.at(i)));
    }
    return it->second;
  }

  static std::int64_t magnitude(const ElementType& t, std::int64_t z) {
    return std::max(std::abs(t.min_value() - z), std::abs(t.max_value() - z));
  }
  static std::int64_t magnitude(const TensorPrecision& p) {
    std::int64_t a = 0;
    for (std::size_t c = 0; c < p.quantization.num_channels(); ++c) a = std::max(a, magnitude(p.type, p.quantization.zero_point(c)));
    return a;
  }

  // §13: int32 when the bound fits, else int64.
  ElementType accumulator_type(const Node& n, Int128 bound) const {
    if (bound <= std::numeric_limits<std::int32_t>::max()) return ElementType::integer(32, true);
    if (bound <= std::numeric_limits<std::int64_t>::max()) return ElementType::integer(64, true);
    refuse(n, "the accumulator can exceed int64 (§13)");
  }

  // Only quants may read an accumulator: they become its requant.
  void expect_quant_readers(const Node& n) const {
    if (is_graph_output(g_, n.output())) refuse(n, "its output is a graph output but not quantised; add a quant");
    for (const std::size_t r : readers(g_, n.output())) {
      if (g_.nodes[r].op != OpKind::Quant) {
        refuse(n, fmt::format("its output is read by \"{}\" ({}) before any quant; the integer graph needs it requantised "
                              "first (put a quant after it)",
                              g_.nodes[r].name, to_string(g_.nodes[r].op)));
      }
    }
  }

  void input(const std::string& x) {
    std::optional<quant::QuantSpec> spec;
    for (const std::size_t r : readers(g_, x)) {
      const Node& n = g_.nodes[r];
      if (n.op != OpKind::Quant) refuse(n, fmt::format("reads graph input \"{}\" unquantised; quantise the input first", x));
      const quant::QuantSpec& s = n.attrs<QuantAttrs>().spec;
      if (spec && !same_grid(*spec, s)) refuse(n, fmt::format("quantises graph input \"{}\" onto a second grid", x));
      spec = s;
    }
    if (!spec) throw ConversionError(fmt::format("graph \"{}\": input \"{}\" is not quantised", g_.name, x));
    out_[x] = codes(*spec);
  }

  void weighted(const Node& n, const std::optional<quant::QuantSpec>& weight_spec) {
    const TensorPrecision& x = code_input(n, 0);
    if (!weight_spec) refuse(n, "has float weights without weight_quant");
    const Tensor& w = g_.tensor(n.inputs.at(1));
    const std::int64_t out_channels = w.shape.at(0);
    const std::int64_t fan_in = num_elements(w.shape) / std::max<std::int64_t>(out_channels, 1);
    const double sx = x.quantization.scale();
    const std::vector<double> scales = accumulator_scales(sx, *weight_spec);
    const bool per_channel = weight_spec->granularity == quant::Granularity::PerChannel;
    out_[w.name] = codes(*weight_spec);
    std::int64_t max_bias = 0;
    if (n.inputs.size() > 2) {
      const Tensor& b = g_.tensor(n.inputs[2]);
      for (const std::int64_t v : bias_codes(b, sx, *weight_spec, out_channels)) max_bias = std::max(max_bias, std::abs(v));
      out_[b.name] = {ElementType::integer(32, true),
                      per_channel ? Quantization::per_channel(0, scales) : Quantization::per_tensor(scales[0])};
    }
    std::int64_t aw = 0;
    for (std::size_t c = 0; c < weight_spec->num_channels(); ++c) {
      aw = std::max(aw, magnitude(code_type(*weight_spec), weight_spec->zero_point(c)));
    }
    const Int128 bound = Int128{fan_in} * magnitude(x) * aw + max_bias;
    expect_quant_readers(n);
    out_[n.output()] = {accumulator_type(n, bound),
                        per_channel ? Quantization::per_channel(1, scales) : Quantization::per_tensor(scales[0])};
  }

  void node(const Node& n) {
    switch (n.op) {
      case OpKind::Quant: {
        const quant::QuantSpec& spec = n.attrs<QuantAttrs>().spec;
        if (spec.granularity != quant::Granularity::PerTensor) {
          refuse(n, "quantises an activation per channel; integer activations are per tensor (§14.9)");
        }
        if (!out_.count(n.inputs[0])) refuse(n, fmt::format("input \"{}\" has no integer form", n.inputs[0]));
        out_[n.output()] = codes(spec);
        break;
      }
      case OpKind::Conv2d: weighted(n, n.attrs<Conv2dAttrs>().weight_quant); break;
      case OpKind::Linear: weighted(n, n.attrs<LinearAttrs>().weight_quant); break;
      case OpKind::AvgPool: {
        const TensorPrecision& x = code_input(n, 0);
        const auto& k = n.attrs<PoolAttrs>().kernel;
        expect_quant_readers(n);
        out_[n.output()] = {accumulator_type(n, Int128{k[0] * k[1]} * magnitude(x)),
                            Quantization::per_tensor(x.quantization.scale() / static_cast<double>(k[0] * k[1]))};
        break;
      }
      case OpKind::Add: {
        for (std::size_t i = 0; i < n.inputs.size(); ++i) code_input(n, i);
        if (!has_single_reader(g_, n.output()) || g_.nodes[readers(g_, n.output()).front()].op != OpKind::Quant) {
          refuse(n, "its output must be read by exactly one quant (run harmonise first)");
        }
        out_[n.output()] = codes(g_.nodes[readers(g_, n.output()).front()].attrs<QuantAttrs>().spec);
        break;
      }
      case OpKind::Concat: {
        const TensorPrecision first = code_input(n, 0);
        for (std::size_t i = 1; i < n.inputs.size(); ++i) {
          if (!(code_input(n, i) == first)) refuse(n, "its inputs lie on different grids (run harmonise first)");
        }
        out_[n.output()] = first;
        break;
      }
      case OpKind::Relu:
      case OpKind::Flatten:
      case OpKind::Reshape: out_[n.output()] = code_input(n, 0); break;
      case OpKind::MaxPool: {
        auto it = out_.find(n.inputs[0]);
        if (it == out_.end() || !it->second.type.is_code()) refuse(n, "its input is not quantised");
        out_[n.output()] = it->second;
        break;
      }
      case OpKind::BatchNorm: refuse(n, "a batchnorm is left; run fold_batchnorm first");
      default: refuse(n, "is not an op of the fake-quantised graph");
    }
  }

  const Graph& g_;
  Precisions out_;
};

}  // namespace

Precisions propagate(const Graph& graph) {
  validate(graph);
  return Propagation(graph).run();
}

}  // namespace bitlab::ir::passes
