#include "onnx/integer_import.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"
#include "ir/error.h"
#include "ir/validate.h"
#include "onnx/annotations.h"
#include "onnx/integer_export.h"

namespace bitlab::onnx_io {
namespace {

using Group = std::vector<const pb::NodeProto*>;

class IntegerImporter {
 public:
  IntegerImporter(const pb::ModelProto& model, std::string source) : model_(model), source_(std::move(source)) {}

  ir::Graph run() {
    read_metadata();
    const pb::GraphProto& g = model_.graph();
    for (const pb::TensorProto& t : g.initializer()) initializers_.emplace(t.name(), &t);
    for (const auto* list : {&g.input(), &g.output(), &g.value_info()}) {
      for (const pb::ValueInfoProto& v : *list) shapes_.emplace(v.name(), shape_of(v));
    }
    graph_.name = g.name();
    for (const pb::ValueInfoProto& v : g.input()) {
      if (initializers_.contains(v.name())) continue;  // IR < 4 lists initializers as inputs
      use_tensor(v.name());
      graph_.inputs.push_back(v.name());
    }
    Group group;
    for (const pb::NodeProto& n : g.node()) {
      group.push_back(&n);
      if (n.output_size() == 1 && annotations_.contains(n.output(0))) {
        decode(group);
        group.clear();
      }
    }
    if (!group.empty()) {
      fail(fmt::format("node \"{}\" ({}): its output \"{}\" has no precision annotation (metadata_props \"{}{}\"), "
                       "and no later node in its group has one either",
                       group.front()->name(), group.front()->op_type(),
                       group.front()->output_size() > 0 ? group.front()->output(0) : "", kTensorKeyPrefix,
                       group.front()->output_size() > 0 ? group.front()->output(0) : ""));
    }
    for (const pb::ValueInfoProto& v : g.output()) graph_.outputs.push_back(v.name());
    try {
      ir::validate_integer_graph(graph_);
    } catch (const ir::GraphError& e) {
      fail(fmt::format("the imported graph is invalid: {}", e.what()));
    }
    return std::move(graph_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw IoError(fmt::format("{}: {}", source_, what)); }
  [[noreturn]] void fail(const pb::NodeProto& n, const std::string& what) const {
    fail(fmt::format("node \"{}\" ({}): {}", n.name(), n.op_type(), what));
  }

  void read_metadata() {
    std::map<std::string, std::string> meta;
    for (const pb::StringStringEntryProto& e : model_.metadata_props()) meta[e.key()] = e.value();
    if (meta["bitlab.format"] != kIntegerFormat) {
      fail(fmt::format("not a bitlab integer ONNX model: metadata_props \"bitlab.format\" is \"{}\", expected \"{}\" "
                       "(only models written by `bitlab export --format onnx` can be imported)",
                       meta["bitlab.format"], kIntegerFormat));
    }
    if (meta["bitlab.version"] != std::to_string(kIntegerFormatVersion)) {
      fail(fmt::format("metadata_props \"bitlab.version\" is \"{}\"; this bitlab reads version {}",
                       meta["bitlab.version"], kIntegerFormatVersion));
    }
    for (const auto& [key, value] : meta) {
      if (!key.starts_with(kTensorKeyPrefix)) continue;
      const std::string name = key.substr(kTensorKeyPrefix.size());
      try {
        annotations_.emplace(name, parse_annotation(value));
      } catch (const std::invalid_argument& e) {
        fail(fmt::format("metadata_props \"{}\" {}", key, e.what()));
      }
    }
  }

  ir::Shape shape_of(const pb::ValueInfoProto& v) const {
    ir::Shape s;
    for (const pb::TensorShapeProto_Dimension& d : v.type().tensor_type().shape().dim()) {
      if (!d.has_dim_value()) fail(fmt::format("tensor \"{}\": every dim must be a fixed number", v.name()));
      s.push_back(d.dim_value());
    }
    return s;
  }

  const pb::TensorProto& initializer(const pb::NodeProto& n, int input) const {
    if (input >= n.input_size()) fail(n, fmt::format("has no input {}", input));
    const auto it = initializers_.find(n.input(input));
    if (it == initializers_.end()) fail(n, fmt::format("input \"{}\" must be a constant initializer", n.input(input)));
    return *it->second;
  }

  std::vector<std::int64_t> int_constant(const pb::NodeProto& n, int input) const {
    const pb::TensorProto& t = initializer(n, input);
    try {
      if (t.data_type() == pb::TensorProto::INT64) return int64_values(t);
      std::vector<std::int64_t> out;
      for (const double v : float_values(t)) {
        if (!(std::abs(v) < 0x1p53) || v != std::floor(v)) {
          fail(n, fmt::format("constant \"{}\" holds {}, not an integer", t.name(), v));
        }
        out.push_back(static_cast<std::int64_t>(v));
      }
      return out;
    } catch (const std::invalid_argument& e) {
      fail(n, e.what());
    }
  }

  std::int64_t scalar(const pb::NodeProto& n, int input) const {
    const auto values = int_constant(n, input);
    if (values.size() != 1) fail(n, fmt::format("constant \"{}\" must be a scalar", n.input(input)));
    return values[0];
  }

  // Adds the IR tensor `name` (annotation + shape, + data for an initializer) once.
  void use_tensor(const std::string& name) {
    if (graph_.find(name) != nullptr) return;
    const auto a = annotations_.find(name);
    if (a == annotations_.end()) {
      fail(fmt::format("tensor \"{}\" has no precision annotation (metadata_props \"{}{}\")", name, kTensorKeyPrefix,
                       name));
    }
    ir::Tensor t;
    t.name = name;
    t.type = a->second.type;
    t.quantization = a->second.quantization;
    if (const auto it = initializers_.find(name); it != initializers_.end()) {
      t.shape = dims_of(*it->second);
      pb::NodeProto reader;  // only for messages
      reader.set_name(name);
      reader.set_op_type("initializer");
      reader.add_input(name);
      t.int_data = int_constant(reader, 0);
    } else if (const auto s = shapes_.find(name); s != shapes_.end()) {
      t.shape = s->second;
    } else {
      fail(fmt::format("tensor \"{}\" has no shape (it must be a graph input, output or value_info)", name));
    }
    graph_.add_tensor(std::move(t));
  }

  void add(const pb::NodeProto& last, ir::OpKind op, std::vector<std::string> inputs, ir::Attributes attributes) {
    for (const std::string& i : inputs) use_tensor(i);
    use_tensor(last.output(0));
    graph_.add_node(ir::Node{last.name(), op, std::move(inputs), {last.output(0)}, std::move(attributes)});
  }

  static std::string ops_of(const Group& group) {
    std::vector<std::string> ops;
    for (const pb::NodeProto* n : group) ops.push_back(n->op_type());
    return fmt::format("{}", fmt::join(ops, ", "));
  }

  void expect_ops(const Group& group, std::size_t from, const std::vector<std::string>& ops) const {
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (from + i >= group.size() || group[from + i]->op_type() != ops[i]) unknown(group);
    }
  }

  [[noreturn]] void unknown(const Group& group) const {
    const pb::NodeProto& last = *group.back();
    fail(last, fmt::format("unsupported op or node pattern [{}] for \"{}\"; bitlab imports only the patterns its "
                           "integer export writes (docs/formats.md)",
                           ops_of(group), last.output(0)));
  }

  // group[i] reads group[i − 1]'s output as its first input, for i in (from, to).
  void expect_chain(const Group& group, std::size_t from, std::size_t to) const {
    for (std::size_t i = from + 1; i < to; ++i) {
      if (group[i]->input_size() < 1 || group[i]->input(0) != group[i - 1]->output(0)) {
        fail(*group[i], fmt::format("must read \"{}\" as its first input", group[i - 1]->output(0)));
      }
    }
  }

  // A Sub(x, z) whose z equals x's annotated zero points.
  void expect_zero_points(const pb::NodeProto& sub) const {
    const auto a = annotations_.find(sub.input(0));
    if (a == annotations_.end()) fail(sub, fmt::format("input \"{}\" has no precision annotation", sub.input(0)));
    const std::vector<std::int64_t> z = int_constant(sub, 1);
    const ir::Quantization& q = a->second.quantization;
    bool ok = z.size() == q.num_channels();
    for (std::size_t c = 0; ok && c < z.size(); ++c) ok = z[c] == q.zero_point(c);
    if (!ok) fail(sub, fmt::format("subtracts [{}], not the zero points of \"{}\"", fmt::join(z, ", "), sub.input(0)));
  }

  ir::Pair pair_attribute(const pb::NodeProto& n, std::string_view name, ir::Pair fallback) const {
    const auto v = ints_attribute(n, name);
    if (v.empty()) return fallback;
    if (v.size() != 2) fail(n, fmt::format("attribute {} must have 2 values", name));
    return {v[0], v[1]};
  }

  ir::Pair pads(const pb::NodeProto& n) const {
    const auto v = ints_attribute(n, "pads");
    if (v.empty()) return {0, 0};
    if (v.size() != 4 || v[0] != v[2] || v[1] != v[3]) fail(n, "pads must be 4 values, the same at both ends");
    return {v[0], v[1]};
  }

  void decode(const Group& group) {
    const pb::NodeProto& last = *group.back();
    const std::string& op = last.op_type();
    for (const pb::NodeProto* n : group) {
      if (!n->domain().empty() && n->domain() != "ai.onnx") unknown(group);
      if (const auto* pad = find_attribute(*n, "auto_pad"); pad != nullptr && pad->s() != "NOTSET") {
        fail(*n, "auto_pad is not supported; pads must be explicit");
      }
    }
    if (group.size() == 1) return decode_single(last);
    if (op == "Conv" && group.size() == 3) return decode_conv(group);
    if (op == "Gemm" && group.size() == 3) return decode_linear(group);
    if (op == "Conv" && group.size() == 2) return decode_avgpool(group);
    if (op == "Cast" && group.size() == 10 && group[3]->op_type() == "Add") return decode_requant(group);
    if (op == "Cast" && group.size() >= 14 && (group.size() - 6) % 4 == 0) return decode_add(group);
    unknown(group);
  }

  void decode_single(const pb::NodeProto& n) {
    const std::string& op = n.op_type();
    const std::vector<std::string> inputs(n.input().begin(), n.input().end());
    if (op == "MaxPool") {
      const ir::Pair kernel = pair_attribute(n, "kernel_shape", {0, 0});
      if (int_attribute(n, "ceil_mode").value_or(0) != 0) fail(n, "ceil_mode is not supported");
      if (pair_attribute(n, "dilations", {1, 1}) != ir::Pair{1, 1}) fail(n, "dilations are not supported");
      return add(n, ir::OpKind::MaxPool, {inputs.at(0)},
                 ir::PoolAttrs{kernel, pair_attribute(n, "strides", {1, 1}), pads(n)});
    }
    if (op == "Concat") return add(n, ir::OpKind::Concat, inputs, ir::ConcatAttrs{int_attribute(n, "axis").value_or(1)});
    if (op == "Flatten") {
      return add(n, ir::OpKind::Flatten, inputs, ir::FlattenAttrs{int_attribute(n, "axis").value_or(1)});
    }
    if (op == "Reshape") {
      const auto shape = int_constant(n, 1);
      if (int_attribute(n, "allowzero").value_or(0) == 0 && std::ranges::find(shape, 0) != shape.end()) {
        fail(n, "a 0 in the target shape needs allowzero = 1");
      }
      return add(n, ir::OpKind::Reshape, {inputs.at(0)}, ir::ReshapeAttrs{shape});
    }
    if (op == "Clip") {
      return add(n, ir::OpKind::Clip, {inputs.at(0)},
                 ir::ClipAttrs{static_cast<std::int32_t>(scalar(n, 1)), static_cast<std::int32_t>(scalar(n, 2))});
    }
    unknown({&n});
  }

  void decode_conv(const Group& group) {
    expect_ops(group, 0, {"Sub", "Sub", "Conv"});
    const pb::NodeProto& conv = *group[2];
    if (conv.input_size() < 2 || conv.input(0) != group[0]->output(0) || conv.input(1) != group[1]->output(0)) {
      fail(conv, "must read the two Sub outputs (x − zx, w − zw)");
    }
    expect_zero_points(*group[0]);
    expect_zero_points(*group[1]);
    std::vector<std::string> inputs{group[0]->input(0), group[1]->input(0)};
    if (conv.input_size() > 2) inputs.push_back(conv.input(2));
    ir::Conv2dAttrs a;
    a.stride = pair_attribute(conv, "strides", {1, 1});
    a.padding = pads(conv);
    a.dilation = pair_attribute(conv, "dilations", {1, 1});
    a.groups = int_attribute(conv, "group").value_or(1);
    add(conv, ir::OpKind::Conv2d, inputs, a);
  }

  void decode_linear(const Group& group) {
    expect_ops(group, 0, {"Sub", "Sub", "Gemm"});
    const pb::NodeProto& gemm = *group[2];
    if (gemm.input_size() < 2 || gemm.input(0) != group[0]->output(0) || gemm.input(1) != group[1]->output(0)) {
      fail(gemm, "must read the two Sub outputs (x − zx, w − zw)");
    }
    if (int_attribute(gemm, "transB").value_or(0) != 1 || int_attribute(gemm, "transA").value_or(0) != 0) {
      fail(gemm, "needs transA = 0 and transB = 1 (weights [out, in])");
    }
    for (const char* scale : {"alpha", "beta"}) {
      if (const auto* attr = find_attribute(gemm, scale); attr != nullptr && attr->f() != 1.0f) {
        fail(gemm, fmt::format("{} must be 1", scale));
      }
    }
    expect_zero_points(*group[0]);
    expect_zero_points(*group[1]);
    std::vector<std::string> inputs{group[0]->input(0), group[1]->input(0)};
    if (gemm.input_size() > 2) inputs.push_back(gemm.input(2));
    add(gemm, ir::OpKind::Linear, inputs, ir::LinearAttrs{});
  }

  void decode_avgpool(const Group& group) {
    expect_ops(group, 0, {"Sub", "Conv"});
    expect_chain(group, 0, 2);
    const pb::NodeProto& conv = *group[1];
    expect_zero_points(*group[0]);
    const pb::TensorProto& ones = initializer(conv, 1);
    const auto values = int_constant(conv, 1);
    const ir::Shape dims = dims_of(ones);
    if (dims.size() != 4 || dims[1] != 1 || std::ranges::any_of(values, [](std::int64_t v) { return v != 1; }) ||
        int_attribute(conv, "group").value_or(1) != dims[0] || conv.input_size() != 2) {
      fail(conv, "an average-pool window sum must be a depthwise Conv with a [C, 1, kh, kw] kernel of ones, no bias");
    }
    add(conv, ir::OpKind::AvgPool, {group[0]->input(0)},
        ir::PoolAttrs{{dims[2], dims[3]}, pair_attribute(conv, "strides", {1, 1}), pads(conv)});
  }

  // Cast → int64, Sub z: returns the IR input; checks the zero points.
  std::string decode_centred(const Group& group, std::size_t i) const {
    expect_ops(group, i, {"Cast", "Sub"});
    expect_chain(group, i, i + 2);
    if (int_attribute(*group[i], "to").value_or(0) != pb::TensorProto::INT64) fail(*group[i], "must cast to int64");
    pb::NodeProto sub = *group[i + 1];
    sub.set_input(0, group[i]->input(0));  // the zero points belong to the Cast's input
    expect_zero_points(sub);
    return group[i]->input(0);
  }

  struct Tail {
    std::vector<int> shifts;
    std::int32_t lo = 0, hi = 0;
  };

  // Add half, Mod, Sub, Div, Add zy, Clip, Cast (export's emit_rounding_tail).
  Tail decode_tail(const Group& group, std::size_t i) const {
    expect_ops(group, i, {"Add", "Mod", "Sub", "Div", "Add", "Clip", "Cast"});
    expect_chain(group, i, i + 2);      // Add → Mod
    expect_chain(group, i + 2, i + 7);  // Sub → Div → Add → Clip → Cast
    const pb::NodeProto &add_half = *group[i], &mod = *group[i + 1], &sub = *group[i + 2], &div = *group[i + 3];
    if (int_attribute(mod, "fmod").value_or(0) != 0 || sub.input_size() != 2 || sub.input(0) != add_half.output(0) ||
        sub.input(1) != mod.output(0) || div.input_size() != 2 || div.input(1) != mod.input(1)) {
      fail(div, "is not an exact floor division: v − Mod(v, d) (fmod = 0), then Div by the same d");
    }
    const auto half = int_constant(add_half, 1);
    const auto divisor = int_constant(mod, 1);
    if (half.size() != divisor.size()) fail(add_half, "needs one rounding constant per divisor");
    Tail t;
    for (std::size_t c = 0; c < divisor.size(); ++c) {
      const std::int64_t d = divisor[c];
      if (d <= 0 || (d & (d - 1)) != 0 || d > (std::int64_t{1} << 62)) {
        fail(mod, fmt::format("divisor {} is not 2^s with s in [0, 62]", d));
      }
      const int s = std::countr_zero(static_cast<std::uint64_t>(d));
      if (half[c] != (s == 0 ? 0 : d / 2)) fail(add_half, fmt::format("adds {}, expected 2^(s−1) = {}", half[c], d / 2));
      t.shifts.push_back(s);
    }
    const pb::NodeProto &add_zy = *group[i + 4], &clip = *group[i + 5], &cast = *group[i + 6];
    const auto out = annotations_.find(cast.output(0));
    if (scalar(add_zy, 1) != out->second.quantization.zero_point()) {
      fail(add_zy, fmt::format("adds {}, not the zero point of \"{}\"", scalar(add_zy, 1), cast.output(0)));
    }
    t.lo = static_cast<std::int32_t>(scalar(clip, 1));
    t.hi = static_cast<std::int32_t>(scalar(clip, 2));
    return t;
  }

  void decode_requant(const Group& group) {
    const std::string x = decode_centred(group, 0);
    expect_ops(group, 2, {"Mul"});
    expect_chain(group, 1, 4);
    const auto m = int_constant(*group[2], 1);
    const Tail tail = decode_tail(group, 3);
    if (m.size() != tail.shifts.size()) fail(*group[2], "needs one multiplier per shift");
    ir::RequantAttrs a;
    for (std::size_t c = 0; c < m.size(); ++c) a.multipliers.push_back({m[c], tail.shifts[c]});
    if (m.size() > 1) {
      const std::size_t rank = shapes_.contains(x) ? shapes_.at(x).size() : 0;
      a.axis = static_cast<int>(rank - initializer(*group[2], 1).dims_size());
    }
    a.lo = tail.lo;
    a.hi = tail.hi;
    add(*group.back(), ir::OpKind::Requant, {x}, a);
  }

  // k × (Cast, Sub, Mul), k − 1 Adds summing the terms in input order, the tail.
  void decode_add(const Group& group) {
    const std::size_t k = (group.size() - 6) / 4;
    ir::AddRequant a;
    std::vector<std::string> inputs;
    for (std::size_t i = 0; i < k; ++i) {
      inputs.push_back(decode_centred(group, 3 * i));
      expect_ops(group, 3 * i + 2, {"Mul"});
      expect_chain(group, 3 * i + 1, 3 * i + 3);
      a.multipliers.push_back(scalar(*group[3 * i + 2], 1));
    }
    std::string sum = group[2]->output(0);
    for (std::size_t i = 1; i < k; ++i) {
      const pb::NodeProto& add_term = *group[3 * k + i - 1];
      if (add_term.op_type() != "Add" || add_term.input_size() != 2 || add_term.input(0) != sum ||
          add_term.input(1) != group[3 * i + 2]->output(0)) {
        fail(add_term, "must add the Mul outputs in input order");
      }
      sum = add_term.output(0);
    }
    const std::size_t tail_start = 4 * k - 1;
    if (group[tail_start]->input(0) != sum) fail(*group[tail_start], fmt::format("must read the sum \"{}\"", sum));
    const Tail tail = decode_tail(group, tail_start);
    if (tail.shifts.size() != 1) fail(*group[tail_start + 1], "an add has one shift");
    a.shift = tail.shifts[0];
    a.lo = tail.lo;
    a.hi = tail.hi;
    add(*group.back(), ir::OpKind::Add, inputs, ir::AddAttrs{a});
  }

  const pb::ModelProto& model_;
  std::string source_;
  std::map<std::string, Annotation> annotations_;
  std::map<std::string, const pb::TensorProto*> initializers_;
  std::map<std::string, ir::Shape> shapes_;
  ir::Graph graph_;
};

}  // namespace

ir::Graph import_integer(const pb::ModelProto& model, const std::string& source) {
  return IntegerImporter(model, source).run();
}

}  // namespace bitlab::onnx_io
