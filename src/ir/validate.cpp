#include "ir/validate.h"

#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "ir/bounds.h"
#include "ir/error.h"
#include "ir/shape_inference.h"

namespace bitlab::ir {
namespace {

// Scales the graph states for accumulators and biases are checked against the
// product they must equal only to this relative tolerance: they document the
// grid, while the integer arithmetic is fixed by the stored multipliers (§14).
constexpr double kScaleTolerance = 1e-6;
constexpr std::int64_t kMaxMultiplier = std::int64_t{1} << 32;  // quant::DyadicOptions allows b <= 32
constexpr int kMaxShift = 62;                                    // §9.1

bool close(double a, double b) { return std::abs(a - b) <= kScaleTolerance * std::max(std::abs(a), std::abs(b)); }

class Validator {
 public:
  explicit Validator(const Graph& graph) : graph_(graph) {}

  void run() {
    for (const Tensor& t : graph_.tensors) check_tensor(t);
    check_structure();
    for (const Node& node : graph_.nodes) {
      const Shape inferred = infer_output_shape_named(node);
      const Tensor& out = graph_.tensor(node.output());
      if (out.shape != inferred) {
        fail(node, fmt::format("output \"{}\" is declared {} but the inputs give {}", out.name, to_string(out.shape),
                               to_string(inferred)));
      }
      check_precision(node);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw GraphError(fmt::format("graph \"{}\": {}", graph_.name, message));
  }
  [[noreturn]] void fail(const Tensor& t, const std::string& message) const {
    fail(fmt::format("tensor \"{}\": {}", t.name, message));
  }
  [[noreturn]] void fail(const Node& n, const std::string& message) const {
    fail(fmt::format("node \"{}\" ({}): {}", n.name, to_string(n.op), message));
  }

  Shape infer_output_shape_named(const Node& node) const {
    try {
      return infer_output_shape(graph_, node);
    } catch (const GraphError& e) {
      fail(e.what());
    }
  }

  // ---- tensors -------------------------------------------------------------

  void check_tensor(const Tensor& t) const {
    if (t.name.empty()) fail("a tensor has an empty name");
    try {
      t.type.validate();
    } catch (const GraphError& e) {
      fail(t, e.what());
    }
    for (const std::int64_t d : t.shape)
      if (d < 0) fail(t, fmt::format("shape {} has a negative dimension", to_string(t.shape)));
    if (t.type.is_float()) {
      if (t.quantization) fail(t, "a float32 tensor cannot carry a quantisation");
      if (t.int_data) fail(t, "a float32 tensor cannot hold integer data");
      if (t.float_data && static_cast<std::int64_t>(t.float_data->size()) != num_elements(t.shape)) {
        fail(t, fmt::format("holds {} values but its shape {} has {} elements", t.float_data->size(),
                            to_string(t.shape), num_elements(t.shape)));
      }
      return;
    }
    if (t.float_data) fail(t, fmt::format("an {} tensor cannot hold float data", to_string(t.type)));
    check_quantization(t);
    if (t.int_data) {
      if (static_cast<std::int64_t>(t.int_data->size()) != num_elements(t.shape)) {
        fail(t, fmt::format("holds {} values but its shape {} has {} elements", t.int_data->size(),
                            to_string(t.shape), num_elements(t.shape)));
      }
      const std::int64_t lo = t.type.min_value();
      const std::int64_t hi = t.type.max_value();
      for (std::size_t i = 0; i < t.int_data->size(); ++i) {
        const std::int64_t v = (*t.int_data)[i];
        if (v < lo || v > hi) fail(t, fmt::format("value {} at index {} is outside {} [{}, {}]", v, i, to_string(t.type), lo, hi));
      }
    }
  }

  void check_quantization(const Tensor& t) const {
    if (!t.quantization) fail(t, fmt::format("an {} tensor needs a quantisation (scales, zero points)", to_string(t.type)));
    const Quantization& q = *t.quantization;
    if (q.scales.empty()) fail(t, "has no scales");
    for (const double s : q.scales)
      if (!std::isfinite(s) || s <= 0.0) fail(t, fmt::format("scale {} must be finite and > 0", s));
    if (q.granularity == quant::Granularity::PerTensor) {
      if (q.scales.size() != 1) fail(t, fmt::format("per_tensor quantisation needs 1 scale, has {}", q.scales.size()));
    } else {
      if (q.axis < 0 || q.axis >= static_cast<int>(t.shape.size())) {
        fail(t, fmt::format("per_channel axis {} is outside shape {}", q.axis, to_string(t.shape)));
      }
      if (t.shape[q.axis] != static_cast<std::int64_t>(q.scales.size())) {
        fail(t, fmt::format("per_channel axis {} has {} channels but {} scales", q.axis, t.shape[q.axis], q.scales.size()));
      }
    }
    if (!q.zero_points.empty() && q.zero_points.size() != q.scales.size()) {
      fail(t, fmt::format("has {} zero points for {} scales", q.zero_points.size(), q.scales.size()));
    }
    for (const std::int32_t z : q.zero_points) {
      if (z < t.type.min_value() || z > t.type.max_value()) {
        fail(t, fmt::format("zero point {} is outside {} [{}, {}]", z, to_string(t.type), t.type.min_value(),
                            t.type.max_value()));
      }
    }
    if (t.type.is_code()) {
      try {
        t.code_spec().validate();  // quant's own rules (§2)
      } catch (const std::invalid_argument& e) {
        fail(t, e.what());
      }
    }
  }

  // ---- structure: names, order, dangling tensors ----------------------------

  void check_structure() const {
    std::set<std::string> names;
    for (const Tensor& t : graph_.tensors)
      if (!names.insert(t.name).second) fail(fmt::format("two tensors are named \"{}\"", t.name));
    std::set<std::string> node_names;
    for (const Node& n : graph_.nodes) {
      if (n.name.empty()) fail("a node has an empty name");
      if (!node_names.insert(n.name).second) fail(fmt::format("two nodes are named \"{}\"", n.name));
    }
    if (graph_.inputs.empty()) fail("has no inputs");
    if (graph_.outputs.empty()) fail("has no outputs");

    std::set<std::string> available;  // constants, graph inputs, outputs of earlier nodes
    for (const Tensor& t : graph_.tensors)
      if (t.is_constant()) available.insert(t.name);
    for (const std::string& name : graph_.inputs) {
      const Tensor* t = graph_.find(name);
      if (!t) fail(fmt::format("graph input \"{}\" is not a tensor of the graph", name));
      if (t->is_constant()) fail(*t, "is a graph input but holds constant data");
      if (!available.insert(name).second) fail(fmt::format("graph input \"{}\" is listed twice", name));
    }
    std::map<std::string, const Node*> producer;
    for (const Node& n : graph_.nodes)
      for (const std::string& o : n.outputs) producer.emplace(o, &n);

    std::set<std::string> read;
    for (const Node& n : graph_.nodes) {
      if (!attributes_match(n.op, n.attributes)) fail(n, "its attributes belong to another op");
      for (std::size_t i = 0; i < n.inputs.size(); ++i) {
        const std::string& name = n.inputs[i];
        if (!graph_.find(name)) fail(n, fmt::format("input {} \"{}\" is not a tensor of the graph", i, name));
        if (!available.count(name)) {
          auto it = producer.find(name);
          if (it != producer.end()) {
            fail(n, fmt::format("input {} \"{}\" is produced by node \"{}\", which comes later: nodes are not in "
                                "topological order",
                                i, name, it->second->name));
          }
          fail(n, fmt::format("input {} \"{}\" is dangling: neither a graph input, a constant nor a node output", i, name));
        }
        read.insert(name);
      }
      if (n.outputs.size() != 1) fail(n, fmt::format("must have exactly 1 output, has {}", n.outputs.size()));
      const Tensor* out = graph_.find(n.outputs[0]);
      if (!out) fail(n, fmt::format("output \"{}\" is not a tensor of the graph", n.outputs[0]));
      if (out->is_constant()) fail(n, fmt::format("output \"{}\" is a constant", out->name));
      if (!available.insert(out->name).second) {
        fail(n, fmt::format("output \"{}\" is already a graph input or another node's output", out->name));
      }
    }
    std::set<std::string> outputs;
    for (const std::string& name : graph_.outputs) {
      if (!graph_.find(name)) fail(fmt::format("graph output \"{}\" is not a tensor of the graph", name));
      if (!producer.count(name)) fail(fmt::format("graph output \"{}\" is not produced by any node", name));
      if (!outputs.insert(name).second) fail(fmt::format("graph output \"{}\" is listed twice", name));
    }
    for (const Tensor& t : graph_.tensors) {
      if (!read.count(t.name) && !outputs.count(t.name)) {
        fail(t, "is dangling: no node reads it and it is not a graph output");
      }
    }
  }

  // ---- precision ------------------------------------------------------------

  const Tensor& input(const Node& n, std::size_t i) const { return graph_.tensor(n.inputs.at(i)); }
  const Tensor& output(const Node& n) const { return graph_.tensor(n.output()); }

  void check_precision(const Node& n) const {
    const bool integer = !input(n, 0).type.is_float();
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
      if (input(n, i).type.is_float() == integer) {
        fail(n, fmt::format("mixes float32 and integer tensors: input 0 is {}, input {} \"{}\" is {}",
                            to_string(input(n, 0).type), i, n.inputs[i], to_string(input(n, i).type)));
      }
    }
    if (output(n).type.is_float() == integer) {
      fail(n, fmt::format("input 0 is {} but output \"{}\" is {}", to_string(input(n, 0).type), n.output(),
                          to_string(output(n).type)));
    }
    if (integer && is_float_only(n.op)) fail(n, "is a float-only op but its tensors are integers");
    if (!integer && is_integer_only(n.op)) fail(n, "is an integer-only op but its tensors are float32");
    if (integer) {
      check_integer(n);
    } else {
      check_float(n);
    }
  }

  void check_float(const Node& n) const {
    auto check_spec = [&](const quant::QuantSpec& spec, const char* what) {
      try {
        spec.validate();
      } catch (const std::invalid_argument& e) {
        fail(n, fmt::format("{}: {}", what, e.what()));
      }
    };
    auto check_weight_spec = [&](const std::optional<quant::QuantSpec>& spec) {
      if (!spec) return;
      check_spec(*spec, "weight_quant");
      if (spec->granularity == quant::Granularity::PerChannel &&
          (spec->axis != 0 || static_cast<std::int64_t>(spec->num_channels()) != input(n, 1).shape[0])) {
        fail(n, fmt::format("weight_quant is per_channel with {} scales on axis {}; weights need axis 0 with {}",
                            spec->num_channels(), spec->axis, input(n, 1).shape[0]));
      }
    };
    switch (n.op) {
      case OpKind::Quant: {
        const auto& spec = n.attrs<QuantAttrs>().spec;
        check_spec(spec, "spec");
        if (spec.granularity == quant::Granularity::PerChannel) {
          const Shape& s = input(n, 0).shape;
          if (spec.axis >= static_cast<int>(s.size()) || s[spec.axis] != static_cast<std::int64_t>(spec.num_channels())) {
            fail(n, fmt::format("spec is per_channel with {} scales on axis {}, input has shape {}",
                                spec.num_channels(), spec.axis, to_string(s)));
          }
        }
        if (n.attrs<QuantAttrs>().rounding == quant::RoundingMode::Stochastic) {
          fail(n, "stochastic rounding is a training-time mode; a graph must round deterministically");
        }
        break;
      }
      case OpKind::Conv2d: check_weight_spec(n.attrs<Conv2dAttrs>().weight_quant); break;
      case OpKind::Linear: check_weight_spec(n.attrs<LinearAttrs>().weight_quant); break;
      case OpKind::Add:
        if (n.attrs<AddAttrs>().requant) fail(n, "a float add cannot carry integer requantisation");
        break;
      case OpKind::BatchNorm:
        if (!(n.attrs<BatchNormAttrs>().epsilon >= 0.0)) fail(n, "epsilon must be >= 0");
        break;
      default: break;
    }
  }

  // A code tensor (<= 16 bits); `per_tensor` also demands one scale and zero point.
  void expect_code(const Node& n, const Tensor& t, const char* role, bool per_tensor) const {
    if (!t.type.is_code()) fail(n, fmt::format("{} \"{}\" must be a code tensor (1..16 bits), is {}", role, t.name, to_string(t.type)));
    if (per_tensor && t.quant().granularity != quant::Granularity::PerTensor) {
      fail(n, fmt::format("{} \"{}\" must be quantised per tensor", role, t.name));
    }
  }

  // A 32- or 64-bit signed accumulator with zero point 0.
  void expect_accumulator(const Node& n, const Tensor& t, std::int64_t bound) const {
    if (t.type.is_code() || !t.type.is_signed) {
      fail(n, fmt::format("output \"{}\" is an accumulator and must be int32 or int64, is {}", t.name, to_string(t.type)));
    }
    if (!t.quant().all_zero_points_zero()) fail(n, fmt::format("accumulator \"{}\" must have zero point 0", t.name));
    // §13: the accumulator may never overflow, for any input codes.
    if (bound > t.type.max_value()) {
      fail(n, fmt::format("accumulator \"{}\" ({}) can overflow: |acc| can reach {} (§13); use int64", t.name,
                          to_string(t.type), bound));
    }
  }

  void expect_same(const Node& n, const Tensor& a, const Tensor& b) const {
    if (a.type != b.type || !same_grid(a.quant(), b.quant())) {
      fail(n, fmt::format("\"{}\" and \"{}\" must have the same element type, scales and zero points", a.name, b.name));
    }
  }

  void expect_clamp(const Node& n, std::int64_t lo, std::int64_t hi, const Tensor& out) const {
    if (lo > hi || lo < out.type.min_value() || hi > out.type.max_value()) {
      fail(n, fmt::format("clamp [{}, {}] must satisfy {} <= lo <= hi <= {} (the range of {})", lo, hi,
                          out.type.min_value(), out.type.max_value(), to_string(out.type)));
    }
  }

  void expect_multiplier(const Node& n, std::int64_t m, int shift) const {
    if (m < 1 || m >= kMaxMultiplier) fail(n, fmt::format("multiplier {} must be in [1, 2^32)", m));
    if (shift < 0 || shift > kMaxShift) fail(n, fmt::format("shift {} must be in [0, {}]", shift, kMaxShift));
  }

  void check_weighted(const Node& n) const {
    const Tensor& x = input(n, 0);
    const Tensor& w = input(n, 1);
    const Tensor& y = output(n);
    expect_code(n, x, "input", true);
    expect_code(n, w, "weights", false);
    if (!w.int_data) fail(n, fmt::format("weights \"{}\" must be a constant", w.name));
    const Quantization& wq = w.quant();
    const std::int64_t out_channels = w.shape[0];
    if (wq.granularity == quant::Granularity::PerChannel && wq.axis != 0) {
      fail(n, fmt::format("per_channel weights \"{}\" must use axis 0 (output channels), use {}", w.name, wq.axis));
    }
    auto weight_scale = [&](std::int64_t c) { return wq.scale(wq.num_channels() == 1 ? 0 : static_cast<std::size_t>(c)); };
    auto check_scales = [&](const Tensor& t, const char* role) {
      const Quantization& q = t.quant();
      const int channel_axis = &t == &y ? 1 : 0;
      if (q.num_channels() != 1 && (q.axis != channel_axis || static_cast<std::int64_t>(q.num_channels()) != out_channels)) {
        fail(n, fmt::format("{} \"{}\" must be per tensor or per channel on axis {}", role, t.name, channel_axis));
      }
      if (q.num_channels() == 1 && wq.num_channels() != 1) {
        fail(n, fmt::format("{} \"{}\" needs one scale per output channel, like the weights", role, t.name));
      }
      for (std::int64_t c = 0; c < out_channels; ++c) {
        const double expected = x.quant().scale() * weight_scale(c);
        const double actual = q.scale(q.num_channels() == 1 ? 0 : static_cast<std::size_t>(c));
        if (!close(actual, expected)) {
          fail(n, fmt::format("{} \"{}\" channel {} has scale {} but s_x * s_w = {}", role, t.name, c, actual, expected));
        }
      }
    };
    if (n.inputs.size() == 3) {
      const Tensor& b = input(n, 2);
      if (!b.int_data) fail(n, fmt::format("bias \"{}\" must be a constant", b.name));
      if (b.type.bits > 32 || !b.type.is_signed) fail(n, fmt::format("bias \"{}\" must be signed and at most 32 bits", b.name));
      if (!b.quant().all_zero_points_zero()) fail(n, fmt::format("bias \"{}\" must have zero point 0", b.name));
      check_scales(b, "bias");
    }
    check_scales(y, "accumulator");
    expect_accumulator(n, y, accumulator_bound(graph_, n));
  }

  void check_integer(const Node& n) const {
    const Tensor& y = output(n);
    switch (n.op) {
      case OpKind::Conv2d:
      case OpKind::Linear: check_weighted(n); break;
      case OpKind::Add: {
        const auto& requant = n.attrs<AddAttrs>().requant;
        if (!requant) fail(n, "an integer add needs its requantisation (multipliers, shift, clamp)");
        if (requant->multipliers.size() != n.inputs.size()) {
          fail(n, fmt::format("has {} inputs but {} multipliers", n.inputs.size(), requant->multipliers.size()));
        }
        expect_code(n, y, "output", true);
        __extension__ using Int128 = __int128;
        Int128 reach = Int128{1} << requant->shift;
        for (std::size_t i = 0; i < n.inputs.size(); ++i) {
          expect_code(n, input(n, i), "input", true);
          expect_multiplier(n, requant->multipliers[i], requant->shift);
          reach += static_cast<Int128>(code_magnitude(input(n, i))) * requant->multipliers[i];
        }
        // The exact sum of §14.3 must fit the int64 a kernel holds it in.
        if (reach > std::numeric_limits<std::int64_t>::max()) fail(n, "Σ |x_i − z_i|·m_i + 2^(s−1) can exceed int64");
        expect_clamp(n, requant->lo, requant->hi, y);
        break;
      }
      case OpKind::Concat:
        for (std::size_t i = 0; i < n.inputs.size(); ++i) {
          expect_code(n, input(n, i), "input", true);
          expect_same(n, input(n, i), y);
        }
        break;
      case OpKind::AvgPool: {
        const Tensor& x = input(n, 0);
        expect_code(n, x, "input", true);
        if (y.quant().granularity != quant::Granularity::PerTensor) fail(n, "the window sum must be per tensor");
        const auto& k = n.attrs<PoolAttrs>().kernel;
        const double expected = x.quant().scale() / static_cast<double>(k[0] * k[1]);
        if (!close(y.quant().scale(), expected)) {
          fail(n, fmt::format("window sum \"{}\" has scale {} but s_x / (kh·kw) = {}", y.name, y.quant().scale(), expected));
        }
        expect_accumulator(n, y, accumulator_bound(graph_, n));
        break;
      }
      case OpKind::MaxPool:
        expect_code(n, input(n, 0), "input", false);
        expect_same(n, input(n, 0), y);
        if (y.quant().granularity == quant::Granularity::PerChannel && y.quant().axis != 1) {
          fail(n, "per-channel codes must use the channel axis 1");
        }
        break;
      case OpKind::Flatten:
      case OpKind::Reshape:
        expect_code(n, input(n, 0), "input", true);
        expect_same(n, input(n, 0), y);
        break;
      case OpKind::Clip: {
        expect_code(n, input(n, 0), "input", false);
        expect_same(n, input(n, 0), y);
        const auto& a = n.attrs<ClipAttrs>();
        expect_clamp(n, a.lo, a.hi, y);
        break;
      }
      case OpKind::Requant: {
        const Tensor& x = input(n, 0);
        const auto& a = n.attrs<RequantAttrs>();
        expect_code(n, y, "output", true);
        if (a.multipliers.empty()) fail(n, "needs at least one multiplier");
        for (const auto& m : a.multipliers) expect_multiplier(n, m.multiplier, m.shift);
        if (a.multipliers.size() > 1) {
          if (a.axis < 0 || a.axis >= static_cast<int>(x.shape.size()) ||
              x.shape[a.axis] != static_cast<std::int64_t>(a.multipliers.size())) {
            fail(n, fmt::format("{} multipliers do not match axis {} of input {}", a.multipliers.size(), a.axis,
                                to_string(x.shape)));
          }
        }
        const Quantization& xq = x.quant();
        if (xq.num_channels() > 1 && (a.multipliers.size() != xq.num_channels() || xq.axis != a.axis)) {
          fail(n, fmt::format("input \"{}\" is per channel on axis {}; needs one multiplier per channel on that axis",
                              x.name, xq.axis));
        }
        expect_clamp(n, a.lo, a.hi, y);
        break;
      }
      default: fail(n, "is not an integer op");
    }
  }

  const Graph& graph_;
};

}  // namespace

void validate(const Graph& graph) { Validator(graph).run(); }

void validate_integer_graph(const Graph& graph) {
  validate(graph);
  for (const Tensor& t : graph.tensors) {
    if (t.type.is_float()) {
      throw GraphError(fmt::format("graph \"{}\": tensor \"{}\" is float32; an integer graph holds integers only",
                                   graph.name, t.name));
    }
  }
  for (const Node& n : graph.nodes) {
    if (is_float_only(n.op)) {
      throw GraphError(fmt::format("graph \"{}\": node \"{}\" ({}) is a float-only op", graph.name, n.name,
                                   to_string(n.op)));
    }
  }
}

}  // namespace bitlab::ir
