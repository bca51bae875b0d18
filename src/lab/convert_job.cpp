#include "lab/convert_job.h"

#include <torch/torch.h>

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "common/progress.h"
#include "data/fashion_mnist.h"
#include "ir/passes/convert.h"
#include "ir/serialize.h"
#include "ir/shape_inference.h"
#include "lab/network_factory.h"
#include "lab/train_config.h"
#include "quant/uniform.h"
#include "runtime/reference.h"
#include "runtime/simulation.h"
#include "train/checkpoint.h"
#include "train/editing/quantize_model.h"
#include "train/trace/trace_model.h"

namespace bitlab::lab {
namespace {

// The graph for another batch size: the tracer's graphs are shape-polymorphic
// in N (no reshape), so re-inferring every shape from the input is enough.
ir::Graph with_batch(ir::Graph graph, std::int64_t batch) {
  for (const std::string& input : graph.inputs) graph.tensor(input).shape.at(0) = batch;
  ir::infer_shapes(graph);
  return graph;
}

std::int64_t argmax_row(const std::vector<std::int64_t>& v, std::int64_t row, std::int64_t k) {
  const auto first = v.begin() + row * k;
  return std::max_element(first, first + k) - first;
}

std::int64_t argmax_row(const std::vector<double>& v, std::int64_t row, std::int64_t k) {
  const auto first = v.begin() + row * k;
  return std::max_element(first, first + k) - first;
}

// The float64 simulation's outputs, one row per sample; empty for a sample it
// refuses (a value beyond float64's exact range, runtime/simulation.h). A
// refused batch is retried sample by sample so one extreme sample does not
// hide the others.
std::vector<std::optional<std::vector<double>>> simulate(const ir::Graph& integer, const runtime::IntTensorMap& in,
                                                         const std::string& input, std::int64_t k) {
  const runtime::IntTensor& codes = in.at(input);
  const std::int64_t b = codes.shape.at(0);
  std::vector<std::optional<std::vector<double>>> rows(static_cast<std::size_t>(b));
  try {
    const std::vector<double> all = runtime::run_simulation(integer, runtime::to_sim(in)).at(integer.outputs[0]).values;
    for (std::int64_t r = 0; r < b; ++r) rows[static_cast<std::size_t>(r)] = std::vector<double>(all.begin() + r * k, all.begin() + (r + 1) * k);
    return rows;
  } catch (const runtime::SimulationRangeError&) {
    if (b == 1) return rows;
  }
  const ir::Graph one = with_batch(integer, 1);
  const std::int64_t per_sample = static_cast<std::int64_t>(codes.values.size()) / b;
  for (std::int64_t r = 0; r < b; ++r) {
    ir::Shape shape = codes.shape;
    shape[0] = 1;
    const auto first = codes.values.begin() + r * per_sample;
    runtime::IntTensorMap sample;
    sample.emplace(input, runtime::IntTensor{shape, std::vector<std::int64_t>(first, first + per_sample)});
    rows[static_cast<std::size_t>(r)] = simulate(one, sample, input, k).front();
  }
  return rows;
}

struct Graphs {
  ir::Graph fake_quantised;
  ir::Graph integer;
};

ConvertVerification verify(train::Classifier& network, const Graphs& one, const ConvertJobOptions& options,
                           const TrainJobConfig& config) {
  data::FashionMnistOptions data;
  data.root = options.data_root.empty() ? config.data.root : options.data_root;
  data.split = data::Split::kTest;
  data.limit = options.test_limit;
  const data::FashionMnist test(data);
  const torch::Tensor images = test.images().to(torch::kFloat32).contiguous();
  const torch::Tensor labels = test.labels();
  const std::int64_t n = images.size(0);
  const std::vector<ir::passes::InputQuantiser> quantisers = ir::passes::input_quantisers(one.fake_quantised);
  const std::string& input = quantisers.at(0).name;

  ConvertVerification v;
  ProgressBar bar(n, {.label = "verify", .unit = "img", .enabled = options.progress});
  torch::NoGradGuard no_grad;
  for (std::int64_t start = 0; start < n; start += options.batch) {
    const std::int64_t b = std::min(options.batch, n - start);
    const torch::Tensor x = images.slice(0, start, start + b).contiguous();
    const torch::Tensor torch_top = network.forward(x).argmax(1);
    const ir::Graph integer = with_batch(one.integer, b);
    const ir::Shape& shape = integer.tensor(input).shape;
    const std::vector<float> values(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
    const auto codes = quant::quantise(values, shape, quantisers[0].spec, {quantisers[0].rounding});
    runtime::IntTensorMap in;
    in.emplace(input, runtime::IntTensor{shape, std::vector<std::int64_t>(codes.begin(), codes.end())});
    const runtime::IntTensor reference = runtime::run_reference(integer, in).at(integer.outputs[0]);
    const std::int64_t k = reference.shape.at(1);
    const std::vector<std::optional<std::vector<double>>> simulation = simulate(integer, in, input, k);
    for (std::int64_t r = 0; r < b; ++r) {
      const std::int64_t label = labels[start + r].item<std::int64_t>();
      const std::int64_t ref_top = argmax_row(reference.values, r, k);
      v.torch_correct += torch_top[r].item<std::int64_t>() == label;
      v.reference_correct += ref_top == label;
      v.argmax_agree += ref_top == torch_top[r].item<std::int64_t>();
      const auto& sim = simulation[static_cast<std::size_t>(r)];
      if (!sim) continue;
      ++v.simulated;
      v.simulation_correct += argmax_row(*sim, 0, k) == label;
      bool exact = true;
      for (std::int64_t j = 0; j < k; ++j) {
        exact = exact && static_cast<double>(reference.values[static_cast<std::size_t>(r * k + j)]) ==
                             (*sim)[static_cast<std::size_t>(j)];
      }
      v.bit_exact += exact;
    }
    v.samples += b;
    bar.update(v.samples, fmt::format("integer acc {:.2f}%", 100.0 * static_cast<double>(v.reference_correct) /
                                                                 static_cast<double>(v.samples)));
  }
  bar.finish();
  return v;
}

}  // namespace

ConvertJobResult run_convert_job(const ConvertJobOptions& options) {
  const std::string where = options.checkpoint.string();
  auto meta = train::read_checkpoint_meta(options.checkpoint);
  auto config = parse_train_config(meta.at("config"), where + " (embedded config)");
  if (!config.quantization.enabled) {
    throw ConfigError(fmt::format(
        "{}: the checkpoint holds a float network (its config has no \"quantization\" section); convert a "
        "checkpoint written by `bitlab train` with a quantization section or by `bitlab quantize --ptq`",
        where));
  }
  if (options.batch < 1) throw ConfigError(fmt::format("convert: the verification batch must be >= 1, got {}", options.batch));
  config.train.device = "cpu";  // the integer runtimes run on the CPU; so does the model they are compared with
  auto network = build_network(config, Weights::kFresh);
  train::load_checkpoint(options.checkpoint, *network, nullptr);
  // A finished QAT run: every annealed quantiser (ana) rounds hard, as levels() describes.
  train::set_quantization_progress(*network, 1.0);
  network->eval();

  const train::TraceOptions trace = trace_options(config);
  Graphs graphs;
  try {
    graphs.fake_quantised = train::trace_model(*network, trace);
    graphs.integer = ir::passes::convert(graphs.fake_quantised);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", where, e.what()));
  } catch (const std::invalid_argument& e) {  // ir::GraphError, and multipliers no dyadic can hold
    throw ConfigError(fmt::format("{}: the network cannot be converted to an integer graph: {}", where, e.what()));
  }

  ConvertJobResult result;
  result.graph = options.out;
  result.weights = ir::weights_path_for(options.out);
  result.nodes = graphs.integer.nodes.size();
  if (options.out.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(options.out.parent_path(), error);
    if (error) {
      throw IoError(fmt::format("{}: cannot create the output folder: {}", options.out.parent_path().string(),
                                error.message()));
    }
  }
  ir::save_graph(graphs.integer, options.out);
  if (!options.fake_quantised_out.empty()) ir::save_graph(graphs.fake_quantised, options.fake_quantised_out);
  if (options.verify) result.verification = verify(*network, graphs, options, config);
  return result;
}

}  // namespace bitlab::lab
