// `bitlab zoo export NAME --policy P --out NET.tq.json [--seed S]`: the
// integer-only graph of a zoo network with random weights (the LibTorch
// initialisation under the seed; activation scales from one random batch), for
// benchmarks and tests that need real network shapes but no training
// (bench/peer/run.sh); --qlinear-onnx also writes ORT's QLinear form of it
// (onnx/qlinear_export.h). Same quantise-and-trace path as `bitlab cost`.
#include <cstdint>
#include <memory>

#include <fmt/format.h>

#include "apps/commands.h"
#include "apps/zoo_trace.h"
#include "common/error.h"
#include "ir/passes/convert.h"
#include "ir/serialize.h"
#include "onnx/model_io.h"
#include "onnx/qlinear_export.h"
#include "zoo/network_names.h"

namespace bitlab::apps {
namespace {

struct ZooExportOptions {
  std::string net;
  std::string policy = "w8a8";
  std::filesystem::path out;
  std::uint64_t seed = 0;
  std::filesystem::path qlinear_onnx;  // optional: the ORT speed peer of an int8 graph
};

int run_zoo_export(const ZooExportOptions& o) {
  const zoo::NetworkSpec* spec = zoo::find_network(o.net);
  if (spec == nullptr) {
    std::string names;
    for (const auto& n : zoo::kNetworks) names += fmt::format("{}{}", names.empty() ? "" : ", ", n.name);
    throw ConfigError(fmt::format("zoo export: \"{}\" is not a zoo network; pick one of {}", o.net, names));
  }
  const ir::Graph fake = trace_zoo(*spec, read_policy(o.policy), o.seed);
  ir::Graph integer;
  try {
    integer = ir::passes::convert(fake);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(fmt::format("zoo export: {} under policy \"{}\" cannot be converted to an integer graph: {}",
                                  o.net, o.policy, e.what()));
  }
  ir::save_graph(integer, o.out);
  if (!o.qlinear_onnx.empty()) {
    onnx_io::save_model(onnx_io::export_qlinear(integer), o.qlinear_onnx);
    fmt::print("ONNX Runtime QLinear model (speed peer, not bit-exact) written to {}\n", o.qlinear_onnx.string());
  }
  fmt::print("{} ({} nodes, policy {}, seed {}) written to {}\n", o.net, integer.nodes.size(), o.policy, o.seed,
             o.out.string());
  return 0;
}

}  // namespace

Action add_zoo_command(CLI::App& app) {
  auto options = std::make_shared<ZooExportOptions>();
  auto* zoo_cmd = app.add_subcommand("zoo", "Zoo networks without training");
  zoo_cmd->require_subcommand(1);
  auto* cmd = zoo_cmd->add_subcommand("export", "Integer graph (NET.tq.json + .bin) of a zoo network with random weights");
  cmd->add_option("net", options->net, "Zoo network name (ds-cnn, resnet8, mobilenet-v1-0.25-96, fc-autoencoder, ...)")
      ->required();
  cmd->add_option("--policy", options->policy, "Precision policy JSON file or shorthand (w8a8, w4a8, w2a8)")
      ->capture_default_str();
  cmd->add_option("--out", options->out, "Output NET.tq.json (weights beside it in NET.tq.bin)")->required();
  cmd->add_option("--seed", options->seed, "Seed of the random weights and calibration batch")->capture_default_str();
  cmd->add_option("--qlinear-onnx", options->qlinear_onnx,
                  "Also write the graph as ONNX Runtime QLinear ops (int8 only; a speed peer, not bit-exact)");
  return [options] { return run_zoo_export(*options); };
}

}  // namespace bitlab::apps
