#pragma once
// The in-memory halves of the NET.tq.json + NET.tq.bin format (docs/formats.md):
// a graph becomes a JSON document plus a weights blob, and back. serialize.h
// puts them in files.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ir/graph.h"

namespace bitlab::ir {

inline constexpr const char* kFormatName = "bitlab.tq";
// Bumped on any change an older reader would misread; readers refuse newer versions.
inline constexpr int kFormatVersion = 1;
// Every tensor's bytes start at a multiple of this in the blob, so a reader
// may map int32/float32 data in place.
inline constexpr std::size_t kBlobAlignment = 8;

struct EncodedGraph {
  nlohmann::json json;
  std::vector<std::uint8_t> blob;
};

// `blob_file` is the weights file's name as the JSON records it (no directories).
// Throws GraphError for data that cannot be encoded (e.g. values outside their type).
EncodedGraph encode_graph(const Graph& graph, const std::string& blob_file);

// The weights file name and size a document expects, read before the blob is
// loaded. `json_label` names the document in errors.
struct BlobReference {
  std::string file;
  std::uint64_t bytes = 0;
  std::uint64_t fnv1a64 = 0;
};
BlobReference read_blob_reference(const nlohmann::json& json, const std::string& json_label);

// Rebuilds the graph (not validated). Errors are ConfigErrors naming
// `json_label` and the JSON Pointer of the bad field; a newer format version is
// refused first, before any other field is read.
Graph decode_graph(const nlohmann::json& json, std::span<const std::uint8_t> blob, const std::string& json_label);

}  // namespace bitlab::ir
