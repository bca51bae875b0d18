// libFuzzer target for the graph loader (ir/json_format.h: decode_graph, then
// ir::validate), the code that reads NET.tq.json + NET.tq.bin files from users.
// Input layout: 2 bytes (little-endian) JSON length, the JSON text, then the
// weights blob. Contract checked: a malformed document is refused with a
// ConfigError, an invalid graph with a GraphError; anything else escaping
// (another exception, a crash, a sanitizer report) is a bug. A valid integer
// graph of modest size is also run on the fast executor and the reference
// runtime, which must agree bit for bit.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "ir/error.h"
#include "ir/json_format.h"
#include "ir/validate.h"
#include "runtime/executor.h"
#include "runtime/reference.h"

namespace {

using namespace bitlab;

// Work bound so one input cannot stall the fuzzer: elements of every tensor, MACs ignored.
bool small_enough(const ir::Graph& g) {
  std::int64_t total = 0;
  for (const ir::Tensor& t : g.tensors) {
    const std::int64_t n = ir::num_elements(t.shape);
    if (n > 4096) return false;
    total += n;
  }
  return total < 20000 && g.nodes.size() < 32;
}

void cross_check(const ir::Graph& g) {
  runtime::IntTensorMap inputs;
  for (const std::string& name : g.inputs) {
    const ir::Tensor& t = g.tensor(name);
    runtime::IntTensor x{t.shape, {}};
    for (std::int64_t i = 0; i < ir::num_elements(t.shape); ++i)
      x.values.push_back(t.type.min_value() + (i * 7919) % (t.type.max_value() - t.type.min_value() + 1));
    inputs.emplace(name, std::move(x));
  }
  const runtime::IntTensorMap expected = runtime::run_reference(g, inputs);
  runtime::Executor e(g);
  if (e.run(inputs) != expected) std::abort();  // fast executor disagrees with the reference
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t json_size = std::min<std::size_t>(data[0] | (std::size_t{data[1]} << 8), size - 2);
  const std::string_view text(reinterpret_cast<const char*>(data + 2), json_size);
  const std::span<const std::uint8_t> blob(data + 2 + json_size, size - 2 - json_size);
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  ir::Graph graph;
  try {
    graph = ir::decode_graph(json, blob, "fuzz.tq.json");
  } catch (const ConfigError&) {
    return 0;
  }
  try {
    ir::validate(graph);
  } catch (const ir::GraphError&) {
    return 0;
  }
  if (ir::is_integer_only(graph) && small_enough(graph)) cross_check(graph);
  return 0;
}
