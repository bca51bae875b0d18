#include "ir/serialize.h"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "ir/json_format.h"
#include "ir/validate.h"
#include "ir/weights_blob.h"

namespace bitlab::ir {
namespace {

std::string read_file(const std::filesystem::path& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: cannot open {}", path.string(), what));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

nlohmann::json parse(const std::filesystem::path& path, const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    std::size_t offset = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw IoError(fmt::format("{}:{}:{}: invalid JSON (truncated or corrupt file?): {}", path.string(), line, column,
                              e.what()));
  }
}

}  // namespace

std::filesystem::path weights_path_for(const std::filesystem::path& json_path) {
  std::filesystem::path p = json_path;
  return p.replace_extension(".bin");
}

void save_graph(const Graph& graph, const std::filesystem::path& json_path) {
  validate(graph);
  const std::filesystem::path blob_path = weights_path_for(json_path);
  const EncodedGraph encoded = encode_graph(graph, blob_path.filename().string());
  write_file_atomically(blob_path, std::string_view(reinterpret_cast<const char*>(encoded.blob.data()), encoded.blob.size()));
  write_file_atomically(json_path, encoded.json.dump(2) + "\n");
}

Graph load_graph(const std::filesystem::path& json_path) {
  const std::string label = json_path.string();
  const nlohmann::json json = parse(json_path, read_file(json_path, "the graph file"));
  try {
    const BlobReference ref = read_blob_reference(json, label);
    const std::filesystem::path blob_path = json_path.parent_path() / ref.file;
    const std::string bytes = read_file(blob_path, fmt::format("the weights file named by {}: /weights/file", label));
    const std::span<const std::uint8_t> blob(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    if (blob.size() != ref.bytes) {
      throw IoError(fmt::format("{}: has {} bytes but {}: /weights/bytes says {} (truncated, or saved with another "
                                "graph file?)",
                                blob_path.string(), blob.size(), label, ref.bytes));
    }
    if (fnv1a64(blob) != ref.fnv1a64) {
      throw IoError(fmt::format("{}: checksum {:016x} differs from {}: /weights/fnv1a64 = {:016x} (corrupt, or saved "
                                "with another graph file?)",
                                blob_path.string(), fnv1a64(blob), label, ref.fnv1a64));
    }
    Graph graph = decode_graph(json, blob, label);
    validate(graph);
    return graph;
  } catch (const ConfigError& e) {
    throw IoError(e.what());  // a graph file is written by bitlab: a bad one is an I/O problem (exit 4)
  } catch (const std::invalid_argument& e) {  // GraphError, or quant rejecting a spec or codes
    throw IoError(fmt::format("{}: {}", label, e.what()));
  }
}

}  // namespace bitlab::ir
