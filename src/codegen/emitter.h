#pragma once
// Renders the layer functions of net.c and the constant tables of
// net_weights.c for a schedule (schedule.h). Every function is the literal
// loop nest of its docs/integer-spec.md §14 rule with the shapes, zero points
// and clamps of its node written in as constants.
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/codegen.h"
#include "codegen/schedule.h"
#include "ir/graph.h"

namespace bitlab::codegen {

struct EmittedLayers {
  std::string functions;      // static void bl_layerN(...) definitions
  std::string declarations;   // extern const tables, for net.c
  std::string tables;         // their definitions, for net_weights.c
  std::string scratch;        // static patch buffers
  std::vector<std::string> calls;  // one statement per layer, in order, for PREFIX_run
  std::vector<std::string> names;  // "conv1 (conv2d + requant)" per layer
  std::int64_t table_bytes = 0;
  std::int64_t scratch_bytes = 0;
};

// `pointer(tensor)` is the C expression of a tensor's storage (an arena slice
// or an argument of PREFIX_run) without a cast; the emitter adds the casts.
EmittedLayers emit_layers(const ir::Graph& graph, const Schedule& schedule, const CodegenOptions& options);

// The C expression for the storage of `tensor` (its root): "in0" for a graph
// input, "(TYPE*)(bl_arena.bytes + OFFSET)" for an arena buffer.
std::string storage(const ir::Graph& graph, const Schedule& schedule, const std::string& tensor);

}  // namespace bitlab::codegen
