#include "ir/ops.h"

#include <fmt/format.h>

#include "ir/error.h"

namespace bitlab::ir {
namespace {

struct OpName {
  OpKind op;
  std::string_view name;
};

constexpr OpName kOpNames[] = {
    {OpKind::Quant, "quant"},       {OpKind::BatchNorm, "batchnorm"}, {OpKind::Relu, "relu"},
    {OpKind::Conv2d, "conv2d"},     {OpKind::Linear, "linear"},       {OpKind::Add, "add"},
    {OpKind::Concat, "concat"},     {OpKind::AvgPool, "avgpool"},     {OpKind::MaxPool, "maxpool"},
    {OpKind::Flatten, "flatten"},   {OpKind::Reshape, "reshape"},     {OpKind::Requant, "requant"},
    {OpKind::Clip, "clip"},
};

}  // namespace

std::string_view to_string(OpKind op) {
  for (const auto& entry : kOpNames)
    if (entry.op == op) return entry.name;
  return "?";
}

OpKind op_kind_from_string(std::string_view name) {
  std::vector<std::string_view> names;
  for (const auto& entry : kOpNames) {
    if (entry.name == name) return entry.op;
    names.push_back(entry.name);
  }
  throw GraphError(fmt::format("op \"{}\" is unknown; known ops: {}", name, fmt::join(names, ", ")));
}

bool is_float_only(OpKind op) { return op == OpKind::Quant || op == OpKind::BatchNorm || op == OpKind::Relu; }

bool is_integer_only(OpKind op) { return op == OpKind::Requant || op == OpKind::Clip; }

Attributes default_attributes(OpKind op) {
  switch (op) {
    case OpKind::Quant: return QuantAttrs{};
    case OpKind::BatchNorm: return BatchNormAttrs{};
    case OpKind::Relu: return ReluAttrs{};
    case OpKind::Conv2d: return Conv2dAttrs{};
    case OpKind::Linear: return LinearAttrs{};
    case OpKind::Add: return AddAttrs{};
    case OpKind::Concat: return ConcatAttrs{};
    case OpKind::AvgPool:
    case OpKind::MaxPool: return PoolAttrs{};
    case OpKind::Flatten: return FlattenAttrs{};
    case OpKind::Reshape: return ReshapeAttrs{};
    case OpKind::Requant: return RequantAttrs{};
    case OpKind::Clip: return ClipAttrs{};
  }
  throw GraphError("unknown op kind");
}

bool attributes_match(OpKind op, const Attributes& attributes) {
  return default_attributes(op).index() == attributes.index();
}

void Node::throw_wrong_attributes() const {
  throw GraphError(fmt::format("node \"{}\" ({}): its attributes are not those of a {} node", name,
                               to_string(op), to_string(op)));
}

}  // namespace bitlab::ir
