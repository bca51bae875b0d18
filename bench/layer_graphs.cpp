// Writes the single-conv int8 layers of docs/benchmarks.md's layer tables
// (bench/conv_layer.h, the graph bench_runtime's BM_Conv times) for the ONNX
// Runtime layer comparison (bench/peer/layers.sh): each as LAYER.tq.json (+ .bin)
// for bench_graph and as ORT's QLinear model LAYER.onnx (uint8 activations,
// int8 weights: ORT's fast path) via onnx_io::export_qlinear, the exporter of
// `bitlab zoo export --qlinear-onnx`. Then prints one JSON object on stdout:
// the core clock measured in this process (bench/core_clock.h) and, per layer,
// its name and MAC count, so the script computes MAC/cycle without the TSC.
//   bench_layer_graphs OUTDIR
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "conv_layer.h"
#include "core_clock.h"
#include "ir/serialize.h"
#include "onnx/model_io.h"
#include "onnx/qlinear_export.h"

namespace {

struct Layer {
  std::int64_t channels, size, kernel;
};

// 128→128 at 28×28 and 64→64 at 56×56 (bench_runtime's shapes), and 256→256 3×3
// at 28×28, the layer of ORT's figure in /work/shared/machine-notes.md.
constexpr Layer kLayers[] = {{128, 28, 3}, {128, 28, 1}, {64, 56, 3}, {64, 56, 1}, {256, 28, 3}};

}  // namespace

int main(int argc, char** argv) {
  using namespace bitlab;
  if (argc != 2) {
    std::fprintf(stderr, "usage: bench_layer_graphs OUTDIR\n");
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  std::string layers;
  for (const Layer& l : kLayers) {
    const std::string name = fmt::format("conv{0}x{0}-{1}-{2}", l.kernel, l.channels, l.size);
    const ir::Graph g = bench::conv_layer(l.channels, l.channels, l.size, l.kernel, bench::Weights::Int8);
    ir::save_graph(g, out / (name + ".tq.json"));
    onnx_io::save_model(onnx_io::export_qlinear(g), out / (name + ".onnx"));
    const std::int64_t macs = l.channels * l.channels * l.kernel * l.kernel * l.size * l.size;
    layers += fmt::format("{}{{\"name\": \"{}\", \"macs\": {}}}", layers.empty() ? "" : ", ", name, macs);
  }
  fmt::print("{{\"core_hz\": {:.6e}, \"layers\": [{}]}}\n", bench::core_hz(), layers);
  return 0;
}
