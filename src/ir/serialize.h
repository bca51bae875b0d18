#pragma once
// Saving and loading IR graphs as NET.tq.json (structure, human-readable) plus
// NET.tq.bin (constant data, packed per docs/integer-spec.md §12) beside it.
// Format: docs/formats.md.
#include <filesystem>

#include "ir/graph.h"

namespace bitlab::ir {

// NET.tq.json -> NET.tq.bin (the extension ".json" replaced by ".bin").
std::filesystem::path weights_path_for(const std::filesystem::path& json_path);

// Validates the graph (GraphError if invalid), then writes the weights file and
// the JSON file, each atomically (common/atomic_file.h); the JSON is written
// last, so a crash never leaves a JSON that points at a missing weights file.
void save_graph(const Graph& graph, const std::filesystem::path& json_path);

// Reads and validates a graph. Every problem is an IoError naming the file and,
// for JSON content, the JSON Pointer of the field: a missing file, invalid JSON
// (with line:column), a newer format version, a weights file of the wrong size
// or checksum (truncated or mismatched), a bad field, or a graph that fails
// validate().
Graph load_graph(const std::filesystem::path& json_path);

}  // namespace bitlab::ir
