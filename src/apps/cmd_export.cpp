// `bitlab export NET.tq.json --format onnx|qonnx --out FILE`: an IR graph as an
// ONNX model (docs/formats.md, "ONNX and QONNX"). onnx: the integer graph in
// standard ONNX ops, bit-exact (a fake-quantised graph is converted first);
// qonnx: the fake-quantised graph with QONNX Quant nodes.
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "apps/commands.h"
#include "common/error.h"
#include "ir/passes/convert.h"
#include "ir/serialize.h"
#include "onnx/integer_export.h"
#include "onnx/model_io.h"
#include "onnx/qonnx_export.h"

namespace bitlab::apps {
namespace {

struct ExportCommandOptions {
  std::filesystem::path graph;
  std::string format = "onnx";
  std::filesystem::path out;
  std::string carrier = "auto";
};

onnx_io::pb::ModelProto build_model(const ir::Graph& graph, const ExportCommandOptions& options) {
  const std::string where = options.graph.string();
  const bool integer = ir::is_integer_only(graph);
  if (options.format == "qonnx") {
    if (integer) {
      throw ConfigError(fmt::format(
          "{}: is an integer graph; QONNX needs the fake-quantised graph before conversion: write it with "
          "`bitlab convert CHECKPOINT --out NET.tq.json --fake-quantised-out NET.fq.tq.json` and export that",
          where));
    }
    return onnx_io::export_qonnx(graph);
  }
  onnx_io::IntegerExportOptions export_options;
  if (options.carrier == "float32") export_options.carrier = onnx_io::Carrier::Float32;
  if (options.carrier == "float64") export_options.carrier = onnx_io::Carrier::Float64;
  if (integer) return onnx_io::export_integer(graph, export_options);
  return onnx_io::export_integer(ir::passes::convert(graph), export_options);
}

int run_export(const ExportCommandOptions& options) {
  const ir::Graph graph = ir::load_graph(options.graph);  // IoError names the file and field
  onnx_io::pb::ModelProto model;
  try {
    model = build_model(graph, options);
    onnx_io::check_model(model);
  } catch (const ConfigError&) {
    throw;
  } catch (const std::invalid_argument& e) {  // ir::GraphError from the exporters, checker failures
    throw ConfigError(fmt::format("{}: cannot export as {}: {}", options.graph.string(), options.format, e.what()));
  }
  onnx_io::save_model(model, options.out);
  std::string carrier;
  for (const auto& p : model.metadata_props()) {
    if (p.key() == "bitlab.carrier") carrier = fmt::format(", values carried in {}", p.value());
  }
  fmt::print("{}: {} model of {} ONNX nodes written to {} ({} bytes{}); onnx::checker passed\n",
             options.graph.string(), options.format, model.graph().node_size(), options.out.string(),
             std::filesystem::file_size(options.out), carrier);
  return 0;
}

}  // namespace

Action add_export_command(CLI::App& app) {
  auto options = std::make_shared<ExportCommandOptions>();
  auto* cmd = app.add_subcommand("export", "Export an IR graph as ONNX (integer, bit-exact) or QONNX (fake-quantised)");
  cmd->add_option("graph", options->graph, "NET.tq.json (integer graph, or fake-quantised graph for qonnx)")
      ->required();
  cmd->add_option("--format", options->format,
                  "onnx: integer graph in standard ONNX ops; qonnx: fake-quantised graph with QONNX Quant nodes")
      ->check(CLI::IsMember({"onnx", "qonnx"}));
  cmd->add_option("--out", options->out, "The .onnx file to write")->required();
  cmd->add_option("--carrier", options->carrier,
                  "onnx only: float type holding the integers (auto: float32 when exact, else float64)")
      ->check(CLI::IsMember({"auto", "float32", "float64"}));
  return [options] { return run_export(*options); };
}

}  // namespace bitlab::apps
