#pragma once
// The order of the generated layer functions and where their outputs live:
// conv2d / linear / avgpool fused with the requant that reads their
// accumulator (§14.8: the int32 accumulator never reaches RAM), flatten and
// reshape as aliases of their input (same bytes, new shape), and every other
// output placed in one static arena by the greedy-by-size planner.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace bitlab::codegen {

struct Layer {
  std::size_t node = 0;                       // index into graph.nodes
  std::optional<std::size_t> fused_requant;   // the requant folded into it
  std::string output;                         // the tensor it writes
};

struct Schedule {
  std::vector<Layer> layers;
  std::map<std::string, std::string> alias_of;  // flatten / reshape output -> the tensor holding its bytes
  std::map<std::string, std::int64_t> offset;   // arena offset of each tensor a layer writes
  std::int64_t arena_bytes = 0;
  std::int64_t peak_live_bytes = 0;

  // The tensor whose storage `name` uses (itself unless an alias).
  [[nodiscard]] std::string root(const std::string& name) const;
};

Schedule make_schedule(const ir::Graph& graph, std::int64_t alignment);

}  // namespace bitlab::codegen
