#include "hw/latency_profiler.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "ir/requant_params.h"
#include "ir/shape_inference.h"
#include "ir/validate.h"
#include "runtime/executor.h"
#include "runtime/reference.h"

namespace bitlab::hw {
namespace {

constexpr double kInputScale = 0.5;
constexpr double kWeightScale = 0.25;

std::vector<std::int64_t> random_codes(std::int64_t n, const ir::ElementType& type, std::mt19937_64& rng) {
  const std::int64_t lo = type.min_value(), hi = type.max_value();
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (std::int64_t& x : v) x = lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
  return v;
}

ir::ElementType accumulator_for(std::int64_t products, const ir::ElementType& x, const ir::ElementType& w) {
  const double bound = static_cast<double>(products) * static_cast<double>(std::max(-x.min_value(), x.max_value())) *
                       static_cast<double>(std::max(-w.min_value(), w.max_value()));
  return ir::ElementType::integer(bound + 1024.0 < 2147483647.0 ? 32 : 64, true);
}

}  // namespace

LayerExecutorFactory fast_layer_executor() {
  return [](const ir::Graph& graph, const runtime::IntTensorMap& inputs) -> std::function<void()> {
    auto executor = std::make_shared<runtime::Executor>(graph);
    const std::vector<std::int64_t>& codes = inputs.at(graph.inputs.at(0)).values;
    executor->set_input(0, codes);
    return [executor] { executor->run(); };
  };
}

LayerExecutorFactory reference_layer_executor() {
  return [](const ir::Graph& graph, const runtime::IntTensorMap& inputs) -> std::function<void()> {
    return [graph, inputs] { (void)runtime::run_reference(graph, inputs); };
  };
}

ir::Graph single_layer_graph(const ir::Graph& graph, const std::string& node_name, int weight_bits, int activation_bits,
                             std::int64_t batch, std::uint64_t seed) {
  const ir::Node* node = nullptr;
  for (const ir::Node& n : graph.nodes)
    if (n.name == node_name) node = &n;
  if (!node) throw std::invalid_argument(fmt::format("graph \"{}\" has no node \"{}\"", graph.name, node_name));
  std::mt19937_64 rng(seed);
  ir::Graph g;
  g.name = node_name;
  ir::Shape x_shape = graph.tensor(node->inputs.at(0)).shape;
  x_shape.at(0) = batch;
  const ir::ElementType codes = ir::ElementType::integer(activation_bits, false);
  const std::int32_t qmax = static_cast<std::int32_t>(codes.max_value());
  g.add_tensor(ir::int_tensor("x", x_shape, codes, ir::Quantization::per_tensor(kInputScale)));
  g.inputs = {"x"};
  g.outputs = {"y"};
  auto add = [&](const std::string& name, ir::OpKind op, std::vector<std::string> inputs, ir::Attributes attrs,
                 ir::ElementType type, ir::Quantization q) {
    ir::Node n{name, op, std::move(inputs), {name}, std::move(attrs)};
    g.add_tensor(ir::int_tensor(name, ir::infer_output_shape(g, n), type, std::move(q)));
    g.add_node(std::move(n));
  };
  switch (node->op) {
    case ir::OpKind::Conv2d:
    case ir::OpKind::Linear: {
      const ir::Shape& w_shape = graph.tensor(node->inputs.at(1)).shape;
      const ir::ElementType w_type = ir::ElementType::integer(weight_bits, true, weight_bits > 1);
      g.add_tensor(ir::int_constant("w", w_shape, w_type, ir::Quantization::per_tensor(kWeightScale),
                                    random_codes(ir::num_elements(w_shape), w_type, rng)));
      const double acc_scale = kInputScale * kWeightScale;
      const std::int64_t out_channels = w_shape.at(0);
      std::vector<std::int64_t> bias(static_cast<std::size_t>(out_channels));
      for (std::int64_t& b : bias) b = static_cast<std::int64_t>(rng() % 201) - 100;
      g.add_tensor(ir::int_constant("b", {out_channels}, ir::ElementType::integer(32, true),
                                    ir::Quantization::per_tensor(acc_scale), bias));
      const std::int64_t products = ir::num_elements(w_shape) / out_channels;
      ir::Attributes attrs = node->op == ir::OpKind::Conv2d ? ir::Attributes{node->attrs<ir::Conv2dAttrs>()}
                                                            : ir::Attributes{node->attrs<ir::LinearAttrs>()};
      // The integer graph's conv carries no weight_quant (the weights are codes already).
      if (node->op == ir::OpKind::Conv2d) std::get<ir::Conv2dAttrs>(attrs).weight_quant.reset();
      else std::get<ir::LinearAttrs>(attrs).weight_quant.reset();
      add("acc", node->op, {"x", "w", "b"}, attrs, accumulator_for(products, codes, w_type),
          ir::Quantization::per_tensor(acc_scale));
      // Spread a typical sum over the output range: M = 1 / (fan-in · 2^(w−1)).
      const double m = 1.0 / (static_cast<double>(products) * static_cast<double>(std::int64_t{1} << (weight_bits - 1)));
      add("y", ir::OpKind::Requant, {"acc"}, ir::make_requant(std::vector<double>{m}, {0, qmax}, 1), codes,
          ir::Quantization::per_tensor(acc_scale / m));
      break;
    }
    case ir::OpKind::MaxPool:
      add("y", ir::OpKind::MaxPool, {"x"}, node->attrs<ir::PoolAttrs>(), codes, ir::Quantization::per_tensor(kInputScale));
      break;
    case ir::OpKind::AvgPool: {
      const auto& a = node->attrs<ir::PoolAttrs>();
      const double k = static_cast<double>(a.kernel[0] * a.kernel[1]);
      add("sum", ir::OpKind::AvgPool, {"x"}, a, ir::ElementType::integer(32, true), ir::Quantization::per_tensor(kInputScale / k));
      add("y", ir::OpKind::Requant, {"sum"}, ir::make_requant(std::vector<double>{1.0 / k}, {0, qmax}, 1), codes,
          ir::Quantization::per_tensor(kInputScale));
      break;
    }
    default:
      throw std::invalid_argument(fmt::format("node \"{}\" is a {}; only conv2d, linear, maxpool and avgpool are profiled",
                                              node_name, ir::to_string(node->op)));
  }
  ir::validate_integer_graph(g);
  return g;
}

runtime::IntTensorMap single_layer_inputs(const ir::Graph& layer_graph, std::uint64_t seed) {
  std::mt19937_64 rng(seed + 1);
  const ir::Tensor& x = layer_graph.tensor(layer_graph.inputs.at(0));
  runtime::IntTensorMap in;
  in.emplace(x.name, runtime::IntTensor{x.shape, random_codes(ir::num_elements(x.shape), x.type, rng)});
  return in;
}

MeasuredLatencyTable profile_latency(const ir::Graph& graph, const LatencyProfileOptions& options) {
  if (options.repeats < 1) throw std::invalid_argument(fmt::format("latency profile: repeats {} must be >= 1", options.repeats));
  if (options.batch < 1) throw std::invalid_argument(fmt::format("latency profile: batch {} must be >= 1", options.batch));
  const LayerView view = extract_layers(graph);
  MeasuredLatencyTable table;
  table.network = graph.name;
  table.executor = options.executor_name;
  table.host = options.host;
  table.repeats = options.repeats;

  struct Job {
    std::string layer;
    int w, a;
  };
  std::vector<Job> jobs;
  for (const Layer& l : view.layers) {
    if (!is_profiled(l.kind)) continue;
    for (const int a : options.activation_bits) {
      if (has_weights(l.kind)) {
        for (const int w : options.weight_bits) jobs.push_back({l.name, w, a});
      } else {
        jobs.push_back({l.name, 0, a});
      }
    }
  }
  using Clock = std::chrono::steady_clock;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const Job& job = jobs[j];
    const ir::Graph g = single_layer_graph(graph, job.layer, job.w == 0 ? 8 : job.w, job.a, options.batch, options.seed);
    const std::function<void()> run = options.executor(g, single_layer_inputs(g, options.seed));
    const auto warm_start = Clock::now();
    run();  // warm-up, and the length of one call
    const double once = std::chrono::duration<double>(Clock::now() - warm_start).count();
    const int loops = static_cast<int>(std::clamp(options.min_repeat_seconds / std::max(once, 1e-9), 1.0, 10000.0));
    double best = std::numeric_limits<double>::infinity();
    for (int r = 0; r < options.repeats; ++r) {
      const auto start = Clock::now();
      for (int i = 0; i < loops; ++i) run();
      best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count() / loops);
    }
    table.add({job.layer, job.w, job.a, best / static_cast<double>(options.batch)});
    if (options.on_entry) {
      options.on_entry(static_cast<int>(j + 1), static_cast<int>(jobs.size()), fmt::format("{} w{}a{}", job.layer, job.w, job.a));
    }
  }
  return table;
}

}  // namespace bitlab::hw
