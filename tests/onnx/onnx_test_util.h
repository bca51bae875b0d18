#pragma once
// Sample graphs for the ONNX tests: the converted networks of tests/ir_passes.
#include <filesystem>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "networks.h"

namespace bitlab::onnx_io::testing {

struct Sample {
  std::string name;
  ir::Graph fake_quantised;
};

inline std::vector<Sample> sample_networks(std::uint64_t seed) {
  using namespace ir::passes::testing;
  return {{"classifier", classifier_net(seed)},       {"classifier_w4a4", classifier_net(seed, 4, 4)},
          {"residual", residual_net(seed)},           {"residual_unquantised_sum", residual_net(seed, false)},
          {"depthwise", depthwise_net(seed)},         {"concat", concat_net(seed)},
          {"concat_quantised", concat_net(seed, true)}};
}

// The graph with every constant that QONNX holds in float32 (quantiser scales,
// batch-norm epsilon) rounded to float32 in bitlab's graph too, so that the
// comparisons against QONNX models see only the ops, not the documented precision difference.
inline ir::Graph with_float32_constants(ir::Graph g) {
  const auto round = [](quant::QuantSpec& spec) {
    for (double& s : spec.scales) s = static_cast<float>(s);
  };
  for (ir::Node& n : g.nodes) {
    if (auto* q = std::get_if<ir::QuantAttrs>(&n.attributes)) round(q->spec);
    if (auto* c = std::get_if<ir::Conv2dAttrs>(&n.attributes); c && c->weight_quant) round(*c->weight_quant);
    if (auto* l = std::get_if<ir::LinearAttrs>(&n.attributes); l && l->weight_quant) round(*l->weight_quant);
    if (auto* b = std::get_if<ir::BatchNormAttrs>(&n.attributes)) b->epsilon = static_cast<float>(b->epsilon);
  }
  return g;
}

// Random float inputs in [lo, hi) for every graph input.
inline runtime::RealTensorMap random_inputs(const ir::Graph& g, std::uint64_t seed, double lo, double hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  runtime::RealTensorMap out;
  for (const std::string& x : g.inputs) {
    runtime::RealTensor t{g.tensor(x).shape, {}};
    for (std::int64_t i = 0; i < ir::num_elements(t.shape); ++i) t.values.push_back(static_cast<float>(u(rng)));
    out.emplace(x, std::move(t));
  }
  return out;
}

// A fresh directory under the system temp dir, removed on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() /
            ("bitlab_onnx_" + tag + "_" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace bitlab::onnx_io::testing
