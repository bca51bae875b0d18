#pragma once
// The error a conversion pass throws for a fake-quantised graph it cannot turn
// into an integer one (a float value with no grid where the integer graph
// needs codes, a BatchNorm with nothing to fold into, ...). The message names
// the graph, the node and the fix. It is a GraphError: the caller handed in a
// graph that breaks a rule (the rules are in docs/conversion.md).
#include "ir/error.h"

namespace bitlab::ir::passes {

class ConversionError : public GraphError {
 public:
  using GraphError::GraphError;
};

}  // namespace bitlab::ir::passes
