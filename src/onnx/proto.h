#pragma once
// Small builders and readers for ONNX protobuf messages, so that the exporters
// and the importer read like the graphs they write.
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "ir/types.h"

namespace bitlab::onnx_io {

namespace pb = ::onnx;

// The carrier element type of tensors holding integer values in the integer
// ONNX model (docs/formats.md): float32 or float64.
enum class Carrier : std::uint8_t { Float32, Float64 };
pb::TensorProto_DataType data_type(Carrier carrier);

// Initializers. Values are stored in the typed fields (float_data, double_data,
// int64_data), so the file stays readable with protoc --decode.
pb::TensorProto& add_float_initializer(pb::GraphProto& g, const std::string& name, const ir::Shape& dims,
                                       const std::vector<double>& values, Carrier carrier);
pb::TensorProto& add_int64_initializer(pb::GraphProto& g, const std::string& name, const ir::Shape& dims,
                                       const std::vector<std::int64_t>& values);

pb::NodeProto& add_node(pb::GraphProto& g, const std::string& op_type, const std::string& name,
                        const std::vector<std::string>& inputs, const std::string& output,
                        const std::string& domain = "");
void set_int(pb::NodeProto& n, const std::string& name, std::int64_t value);
void set_ints(pb::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& values);
void set_float(pb::NodeProto& n, const std::string& name, float value);
void set_string(pb::NodeProto& n, const std::string& name, const std::string& value);

void set_tensor_type(pb::ValueInfoProto& v, const std::string& name, pb::TensorProto_DataType type,
                     const ir::Shape& shape);

// Readers. Values come from the typed field or raw_data (little-endian), so
// models re-saved by other tools still load.
ir::Shape dims_of(const pb::TensorProto& t);
std::vector<double> float_values(const pb::TensorProto& t);        // FLOAT or DOUBLE
std::vector<std::int64_t> int64_values(const pb::TensorProto& t);  // INT64
const pb::AttributeProto* find_attribute(const pb::NodeProto& n, std::string_view name);
std::optional<std::int64_t> int_attribute(const pb::NodeProto& n, std::string_view name);
std::vector<std::int64_t> ints_attribute(const pb::NodeProto& n, std::string_view name);

// Shape [C, 1, …, 1] that broadcasts a per-channel constant along `axis` of a
// rank-`rank` tensor (numpy broadcasting aligns on the right); [] for C = 0.
ir::Shape channel_shape(std::size_t rank, int axis, std::int64_t channels);

// Whether `name` is one of the graph's inputs or outputs (declared as graph
// I/O, not as value_info).
bool is_graph_io(const ir::Graph& graph, const std::string& name);

}  // namespace bitlab::onnx_io
