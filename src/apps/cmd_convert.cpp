// `bitlab convert CHECKPOINT --out NET.tq.json [--verify]`: the integer-only
// graph of a quantised checkpoint, optionally checked on the test set.
#include <fmt/format.h>

#include "apps/commands.h"
#include "lab/convert_job.h"

namespace bitlab::apps {
namespace {

double percent(std::int64_t part, std::int64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

int run_convert(const lab::ConvertJobOptions& options) {
  const lab::ConvertJobResult result = lab::run_convert_job(options);
  fmt::print("{}: integer graph of {} nodes written to {} (+ {})\n", options.checkpoint.string(), result.nodes,
             result.graph.string(), result.weights.filename().string());
  if (!options.fake_quantised_out.empty()) {
    fmt::print("fake-quantised graph written to {}\n", options.fake_quantised_out.string());
  }
  if (const auto& v = result.verification) {
    fmt::print("verified on {} test images:\n", v->samples);
    fmt::print("  accuracy, LibTorch fake-quantised model:  {:6.2f}%\n", percent(v->torch_correct, v->samples));
    fmt::print("  accuracy, float64 simulation:             {:6.2f}%\n", percent(v->simulation_correct, v->simulated));
    fmt::print("  accuracy, integer reference runtime:      {:6.2f}%\n", percent(v->reference_correct, v->samples));
    fmt::print("  integer outputs == simulation bit for bit: {:6.2f}% of samples\n", percent(v->bit_exact, v->simulated));
    if (v->simulated < v->samples) {
      fmt::print("  ({} samples left out of the simulation: values beyond float64's exact integer range)\n",
                 v->samples - v->simulated);
    }
    fmt::print("  integer argmax == LibTorch argmax:         {:6.2f}% of samples\n", percent(v->argmax_agree, v->samples));
  }
  return 0;
}

}  // namespace

Action add_convert_command(CLI::App& app) {
  auto options = std::make_shared<lab::ConvertJobOptions>();
  auto* cmd = app.add_subcommand("convert", "Convert a quantised checkpoint into an integer-only graph (NET.tq.json + .bin)");
  cmd->add_option("checkpoint", options->checkpoint,
                  "checkpoint.pt written by `bitlab train` with a quantization section or `bitlab quantize --ptq`")
      ->required();
  cmd->add_option("--out", options->out, "NET.tq.json to write (the weights go to NET.tq.bin beside it)")->required();
  cmd->add_option("--fake-quantised-out", options->fake_quantised_out,
                  "Also write the fake-quantised graph before conversion (input of `bitlab export --format qonnx`)");
  cmd->add_flag("--verify", options->verify,
                "Run the test set through the LibTorch model, the float64 simulation and the integer runtime");
  cmd->add_option("--test-limit", options->test_limit, "Verify on the first N test images (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--data-root", options->data_root, "Folder with the IDX files (default: the checkpoint's)");
  return [options] { return run_convert(*options); };
}

}  // namespace bitlab::apps
