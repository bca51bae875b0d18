// `bitlab hw explore NET.tq.json --data DIR`: the narrowest accumulator and
// requant scale widths that keep the network's accuracy (docs/cost-models.md §10).
// `bitlab hw profile NET.tq.json --out table.json`: measured per-layer latency
// of the host runtime, or of the generated C (--executor c), at every
// (weight bits, activation bits) pair (§11).
#include <fstream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "apps/commands.h"
#include "codegen/layer_executor.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/progress.h"
#include "data/io/fashion_mnist_files.h"
#include "hw/latency_profiler.h"
#include "hw/width_sweep.h"
#include "ir/serialize.h"
#include "quant/uniform.h"
#include "runtime/fast/isa.h"

namespace bitlab::apps {
namespace {

struct ExploreOptions {
  std::filesystem::path graph;
  std::string data_root = data::kDefaultFashionMnistRoot;
  std::int64_t limit = 1000;  // first N test images
  double tolerance = 0.5;
  double mean = 0.2860;  // data::FashionMnistOptions' normalisation, which the network was trained with
  double std = 0.3530;
  std::string overflow = "saturate";
  std::filesystem::path json;
  bool progress = true;
};

// The Fashion-MNIST test images as the integer graph's input codes: normalised
// exactly as data::FashionMnist does (float32 (x/255 − mean)/std), then
// quantised with the graph input's spec, ties to even (the tracer's input quant).
hw::LabelledCodes load_test_codes(const ir::Graph& graph, const ExploreOptions& o) {
  const data::ImageClassificationSet set = data::read_fashion_mnist(o.data_root, data::Split::kTest);
  const ir::Tensor& input = graph.tensor(graph.inputs.at(0));
  const std::int64_t per_sample = ir::num_elements(input.shape) / input.shape.at(0);
  const std::int64_t pixels = set.images.dims.at(1) * set.images.dims.at(2);
  if (per_sample != pixels) {
    throw ConfigError(fmt::format("{}: the graph input \"{}\" has {} values per sample, a Fashion-MNIST image {}; "
                                  "explore needs a network trained on Fashion-MNIST",
                                  o.graph.string(), input.name, per_sample, pixels));
  }
  const std::int64_t n = o.limit > 0 ? std::min(o.limit, set.images.count()) : set.images.count();
  std::vector<float> values(static_cast<std::size_t>(n * pixels));
  const float mean = static_cast<float>(o.mean), std = static_cast<float>(o.std);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = (static_cast<float>(set.images.values[i]) / 255.0f - mean) / std;
  const quant::QuantSpec spec = ir::to_quant_spec(input.type, input.quant());
  const std::vector<std::int32_t> codes = quant::quantise(values, spec, {quant::RoundingMode::HalfToEven});
  hw::LabelledCodes data;
  data.codes.assign(codes.begin(), codes.end());
  data.labels.assign(set.labels.values.begin(), set.labels.values.begin() + n);
  return data;
}

int run_explore(const ExploreOptions& o) {
  const ir::Graph graph = ir::load_graph(o.graph);
  const hw::LabelledCodes data = load_test_codes(graph, o);
  hw::WidthSweepOptions options;
  options.tolerance_pp = o.tolerance;
  try {
    options.overflow = runtime::overflow_from_string(o.overflow);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(fmt::format("--overflow: {}", e.what()));
  }
  // Each point runs every sample once; the total is not known up front (a
  // dimension stops at its first failure), so the bar counts points.
  ProgressBar bar(1 + 3 * 12 + 4, {.label = "explore", .unit = "pt", .enabled = o.progress});
  options.on_point = [&](int done, const std::string& what) { bar.update(done, what); };
  const hw::WidthSweepResult result = hw::sweep_widths(graph, data, options);
  bar.finish();
  fmt::print("{}", hw::format_table(result));
  if (!o.json.empty()) {
    write_file_atomically(o.json, hw::to_json(result).dump(2) + "\n");
    fmt::print("written to {}\n", o.json.string());
  }
  return 0;
}

struct ProfileOptions {
  std::filesystem::path graph;
  std::filesystem::path out;
  std::vector<int> weight_bits = {2, 4, 8};
  std::vector<int> activation_bits = {2, 4, 8};
  int repeats = 5;
  std::string executor = "fast";
  bool progress = true;
};

int run_profile(const ProfileOptions& o) {
  const ir::Graph graph = ir::load_graph(o.graph);
  hw::LatencyProfileOptions options;
  options.weight_bits = o.weight_bits;
  options.activation_bits = o.activation_bits;
  options.repeats = o.repeats;
  options.executor_name = o.executor;
  options.executor = o.executor == "reference" ? hw::reference_layer_executor() : hw::fast_layer_executor();
  options.host = fmt::format("{} hardware threads, {} kernels", std::thread::hardware_concurrency(),
                             runtime::fast::to_string(runtime::fast::best_isa()));
  if (o.executor == "c") {
    // Resolved here so a missing compiler fails before the first layer.
    const codegen::CExecutorOptions c{.compiler = codegen::resolve_host_compiler("", "hw profile --executor c")};
    options.executor_name = codegen::kCHostExecutorName;
    options.executor = codegen::c_executor(c);
    options.host = fmt::format("{} hardware threads, generated C (target host) built by `{} {} -fPIC -shared`",
                               std::thread::hardware_concurrency(), c.compiler, c.cflags);
  }
  std::unique_ptr<ProgressBar> bar;  // the entry count is known at the first entry
  options.on_entry = [&](int done, int total, const std::string& what) {
    if (!bar) bar = std::make_unique<ProgressBar>(total, ProgressOptions{.label = "profile", .unit = "entry", .enabled = o.progress});
    bar->update(done, what);
  };
  const hw::MeasuredLatencyTable table = hw::profile_latency(graph, options);
  if (bar) bar->finish();
  hw::save_latency_table(table, o.out);
  fmt::print("{}: {} entries ({} executor, best of {}) written to {}\n", graph.name, table.entries().size(), table.executor,
             table.repeats, o.out.string());
  return 0;
}

}  // namespace

Action add_hw_command(CLI::App& app) {
  auto* hw = app.add_subcommand("hw", "Hardware exploration: datapath widths, measured latency tables");
  hw->require_subcommand(1);

  auto explore = std::make_shared<ExploreOptions>();
  auto* e = hw->add_subcommand("explore", "Smallest accumulator and requant scale widths within an accuracy tolerance");
  e->add_option("graph", explore->graph, "NET.tq.json (an integer graph, `bitlab convert`)")->required()->check(CLI::ExistingFile);
  e->add_option("--data", explore->data_root, "Folder with the Fashion-MNIST IDX files")->capture_default_str();
  e->add_option("--limit", explore->limit, "First N test images (0 = all)")->capture_default_str()->check(CLI::NonNegativeNumber);
  e->add_option("--tolerance", explore->tolerance, "Accuracy drop allowed, percentage points")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  e->add_option("--overflow", explore->overflow, "Accumulator overflow: saturate or wrap")
      ->capture_default_str()->check(CLI::IsMember({"saturate", "wrap"}));
  e->add_option("--json", explore->json, "Also write the sweep as JSON");
  e->add_flag("!--no-progress", explore->progress, "No progress bar");

  auto profile = std::make_shared<ProfileOptions>();
  auto* p = hw->add_subcommand("profile", "Per-layer host latency at every (weight, activation) width pair");
  p->add_option("graph", profile->graph, "NET.tq.json (an integer or fake-quantised graph)")->required()->check(CLI::ExistingFile);
  p->add_option("--out", profile->out, "Latency table JSON to write")->required();
  p->add_option("--weight-bits", profile->weight_bits, "Weight widths to profile")->capture_default_str()->check(CLI::Range(1, 16));
  p->add_option("--activation-bits", profile->activation_bits, "Activation widths to profile")
      ->capture_default_str()->check(CLI::Range(1, 16));
  p->add_option("--repeats", profile->repeats, "Timed repeats per entry (the best counts)")->capture_default_str()->check(CLI::Range(1, 1000));
  p->add_option("--executor", profile->executor,
                "fast (runtime/executor.h), reference, or c (the generated C, `bitlab codegen`, built by $CC or cc)")
      ->capture_default_str()->check(CLI::IsMember({"fast", "reference", "c"}));
  p->add_flag("!--no-progress", profile->progress, "No progress bar");

  return [hw, e, explore, profile] { return hw->got_subcommand(e) ? run_explore(*explore) : run_profile(*profile); };
}

}  // namespace bitlab::apps
