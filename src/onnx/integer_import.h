#pragma once
// Import of an integer ONNX model written by export_integer back into an
// integer-only IR graph. It reads exactly the op patterns the exporter writes
// (docs/formats.md, "ONNX: the integer graph"), one group of ONNX nodes per IR
// node, ending at the node whose output carries a precision annotation.
#include <string>

#include "ir/graph.h"
#include "onnx/proto.h"

namespace bitlab::onnx_io {

// Contract: returns a graph that passes ir::validate_integer_graph. Throws
// IoError whose message starts with `source` (a file name) and names the node
// or tensor: a model not written by bitlab (no "bitlab.format" metadata, or a
// newer version), an op or node pattern the exporter does not write, a tensor
// without its "bitlab.tensor:<name>" annotation, constants that are not
// integers, or a graph the IR rejects.
ir::Graph import_integer(const pb::ModelProto& model, const std::string& source = "model");

}  // namespace bitlab::onnx_io
