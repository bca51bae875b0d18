#include "onnx/proto.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace bitlab::onnx_io {

pb::TensorProto_DataType data_type(Carrier carrier) {
  return carrier == Carrier::Float32 ? pb::TensorProto::FLOAT : pb::TensorProto::DOUBLE;
}

namespace {
void set_dims(pb::TensorProto& t, const ir::Shape& dims) {
  for (const std::int64_t d : dims) t.add_dims(d);
}

template <class T>
std::vector<T> raw_values(const pb::TensorProto& t) {
  const std::string& raw = t.raw_data();
  if (raw.size() % sizeof(T) != 0) {
    throw std::invalid_argument(fmt::format("initializer \"{}\": raw_data has {} bytes, not a multiple of {}",
                                            t.name(), raw.size(), sizeof(T)));
  }
  std::vector<T> out(raw.size() / sizeof(T));
  std::memcpy(out.data(), raw.data(), raw.size());  // x86-64 and ONNX are both little-endian
  return out;
}
}  // namespace

pb::TensorProto& add_float_initializer(pb::GraphProto& g, const std::string& name, const ir::Shape& dims,
                                       const std::vector<double>& values, Carrier carrier) {
  pb::TensorProto& t = *g.add_initializer();
  t.set_name(name);
  set_dims(t, dims);
  t.set_data_type(data_type(carrier));
  for (const double v : values) {
    if (carrier == Carrier::Float32) {
      t.add_float_data(static_cast<float>(v));
    } else {
      t.add_double_data(v);
    }
  }
  return t;
}

pb::TensorProto& add_int64_initializer(pb::GraphProto& g, const std::string& name, const ir::Shape& dims,
                                       const std::vector<std::int64_t>& values) {
  pb::TensorProto& t = *g.add_initializer();
  t.set_name(name);
  set_dims(t, dims);
  t.set_data_type(pb::TensorProto::INT64);
  for (const std::int64_t v : values) t.add_int64_data(v);
  return t;
}

pb::NodeProto& add_node(pb::GraphProto& g, const std::string& op_type, const std::string& name,
                        const std::vector<std::string>& inputs, const std::string& output,
                        const std::string& domain) {
  pb::NodeProto& n = *g.add_node();
  n.set_op_type(op_type);
  n.set_name(name);
  if (!domain.empty()) n.set_domain(domain);
  for (const std::string& i : inputs) n.add_input(i);
  n.add_output(output);
  return n;
}

void set_int(pb::NodeProto& n, const std::string& name, std::int64_t value) {
  pb::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(pb::AttributeProto::INT);
  a.set_i(value);
}

void set_ints(pb::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& values) {
  pb::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(pb::AttributeProto::INTS);
  for (const std::int64_t v : values) a.add_ints(v);
}

void set_float(pb::NodeProto& n, const std::string& name, float value) {
  pb::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(pb::AttributeProto::FLOAT);
  a.set_f(value);
}

void set_string(pb::NodeProto& n, const std::string& name, const std::string& value) {
  pb::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(pb::AttributeProto::STRING);
  a.set_s(value);
}

void set_tensor_type(pb::ValueInfoProto& v, const std::string& name, pb::TensorProto_DataType type,
                     const ir::Shape& shape) {
  v.set_name(name);
  pb::TypeProto_Tensor& t = *v.mutable_type()->mutable_tensor_type();
  t.set_elem_type(type);
  pb::TensorShapeProto& s = *t.mutable_shape();
  for (const std::int64_t d : shape) s.add_dim()->set_dim_value(d);
}

ir::Shape dims_of(const pb::TensorProto& t) { return {t.dims().begin(), t.dims().end()}; }

std::vector<double> float_values(const pb::TensorProto& t) {
  if (t.data_type() == pb::TensorProto::FLOAT) {
    if (t.has_raw_data()) {
      const auto raw = raw_values<float>(t);
      return {raw.begin(), raw.end()};
    }
    return {t.float_data().begin(), t.float_data().end()};
  }
  if (t.data_type() == pb::TensorProto::DOUBLE) {
    if (t.has_raw_data()) return raw_values<double>(t);
    return {t.double_data().begin(), t.double_data().end()};
  }
  throw std::invalid_argument(fmt::format("initializer \"{}\": expected float or double data, got data type {}",
                                          t.name(), t.data_type()));
}

std::vector<std::int64_t> int64_values(const pb::TensorProto& t) {
  if (t.data_type() != pb::TensorProto::INT64) {
    throw std::invalid_argument(
        fmt::format("initializer \"{}\": expected int64 data, got data type {}", t.name(), t.data_type()));
  }
  if (t.has_raw_data()) return raw_values<std::int64_t>(t);
  return {t.int64_data().begin(), t.int64_data().end()};
}

const pb::AttributeProto* find_attribute(const pb::NodeProto& n, std::string_view name) {
  for (const pb::AttributeProto& a : n.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

std::optional<std::int64_t> int_attribute(const pb::NodeProto& n, std::string_view name) {
  const pb::AttributeProto* a = find_attribute(n, name);
  if (a == nullptr) return std::nullopt;
  return a->i();
}

std::vector<std::int64_t> ints_attribute(const pb::NodeProto& n, std::string_view name) {
  const pb::AttributeProto* a = find_attribute(n, name);
  if (a == nullptr) return {};
  return {a->ints().begin(), a->ints().end()};
}

ir::Shape channel_shape(std::size_t rank, int axis, std::int64_t channels) {
  if (channels == 0) return {};
  ir::Shape s{channels};
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < rank; ++d) s.push_back(1);
  return s;
}

bool is_graph_io(const ir::Graph& graph, const std::string& name) {
  return std::ranges::find(graph.inputs, name) != graph.inputs.end() ||
         std::ranges::find(graph.outputs, name) != graph.outputs.end();
}

}  // namespace bitlab::onnx_io
