#include "hw/width_sweep.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "ir/shape_inference.h"
#include "runtime/reference.h"

namespace bitlab::hw {
namespace {

using runtime::HardwareWidths;

ir::Graph with_batch(ir::Graph graph, std::int64_t batch) {
  graph.tensor(graph.inputs.at(0)).shape.at(0) = batch;
  ir::infer_shapes(graph);
  return graph;
}

// The widest setting of every dimension but the swept one.
constexpr int kWideAccumulator = HardwareWidths::kMaxAccumulatorBits;
constexpr int kWideScale = HardwareWidths::kMaxScaleBits;

void check(const ir::Graph& graph, const LabelledCodes& data, const WidthSweepOptions& options) {
  if (graph.inputs.size() != 1 || graph.outputs.size() != 1) {
    throw std::invalid_argument(fmt::format("width sweep: graph \"{}\" must have one input and one output, has {} and {}",
                                            graph.name, graph.inputs.size(), graph.outputs.size()));
  }
  if (data.size() == 0) throw std::invalid_argument("width sweep: no samples");
  const ir::Shape& shape = graph.tensor(graph.inputs[0]).shape;
  const std::int64_t per_sample = ir::num_elements(shape) / std::max<std::int64_t>(shape.at(0), 1);
  if (static_cast<std::int64_t>(data.codes.size()) != per_sample * data.size()) {
    throw std::invalid_argument(fmt::format("width sweep: {} input codes for {} samples of {} codes each",
                                            data.codes.size(), data.size(), per_sample));
  }
  if (options.accumulator_bits.empty() || options.scale_bits.empty() || options.inverse_scale_bits.empty()) {
    throw std::invalid_argument("width sweep: every candidate width list must be non-empty");
  }
  if (options.batch < 1) throw std::invalid_argument(fmt::format("width sweep: batch {} must be >= 1", options.batch));
}

std::vector<int> widest_first(std::vector<int> v) {
  std::sort(v.begin(), v.end(), std::greater<>());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

GraphExecutor reference_executor() {
  return [](const ir::Graph& g, const runtime::IntTensorMap& in, const std::optional<HardwareWidths>& hw) {
    return runtime::run_reference(g, in, runtime::ReferenceOptions{hw});
  };
}

WidthPoint evaluate_widths(const ir::Graph& graph, const LabelledCodes& data, const std::optional<HardwareWidths>& widths,
                           const WidthSweepOptions& options) {
  const std::string& input = graph.inputs.at(0);
  const ir::Shape& shape = graph.tensor(input).shape;
  const std::int64_t per_sample = ir::num_elements(shape) / std::max<std::int64_t>(shape.at(0), 1);
  WidthPoint point;
  if (widths) point.widths = *widths;
  std::optional<ir::Graph> batched;
  for (std::int64_t start = 0; start < data.size(); start += options.batch) {
    const std::int64_t b = std::min(options.batch, data.size() - start);
    if (!batched || batched->tensor(input).shape.at(0) != b) batched = with_batch(graph, b);
    ir::Shape in_shape = batched->tensor(input).shape;
    const auto first = data.codes.begin() + start * per_sample;
    runtime::IntTensorMap in;
    in.emplace(input, runtime::IntTensor{in_shape, std::vector<std::int64_t>(first, first + b * per_sample)});
    const runtime::IntTensor out = options.executor(*batched, in, widths).at(batched->outputs.at(0));
    const std::int64_t k = out.shape.at(1);
    for (std::int64_t r = 0; r < b; ++r) {
      const auto row = out.values.begin() + r * k;
      point.correct += (std::max_element(row, row + k) - row) == data.labels[static_cast<std::size_t>(start + r)];
    }
  }
  point.accuracy = 100.0 * static_cast<double>(point.correct) / static_cast<double>(data.size());
  return point;
}

WidthSweepResult sweep_widths(const ir::Graph& graph, const LabelledCodes& data, const WidthSweepOptions& options) {
  check(graph, data, options);
  WidthSweepResult result;
  result.graph = graph.name;
  result.samples = data.size();
  result.tolerance_pp = options.tolerance_pp;
  int done = 0;
  auto evaluate = [&](const std::string& dimension, const std::optional<HardwareWidths>& widths) {
    WidthPoint p = evaluate_widths(graph, data, widths, options);
    p.dimension = dimension;
    // A relative 1e-9 so a point equal to the baseline minus exactly the tolerance passes.
    p.within_tolerance = p.accuracy >= result.full_precision_accuracy - options.tolerance_pp - 1e-9;
    if (options.on_point) options.on_point(++done, fmt::format("{} {:.2f}%", widths ? widths->describe() : "exact", p.accuracy));
    return p;
  };
  result.full_precision_accuracy = evaluate("exact", std::nullopt).accuracy;

  // One dimension narrowed at a time, the others wide.
  auto sweep = [&](const std::string& dimension, const std::vector<int>& candidates,
                   const std::function<HardwareWidths(int)>& make) -> std::optional<int> {
    std::optional<int> smallest;
    for (const int bits : widest_first(candidates)) {
      WidthPoint p = evaluate(dimension, make(bits));
      const bool ok = p.within_tolerance;
      result.points.push_back(std::move(p));
      if (!ok) break;
      smallest = bits;
    }
    return smallest;
  };
  result.min_accumulator_bits = sweep("accumulator", options.accumulator_bits, [&](int bits) {
    return HardwareWidths{.accumulator_bits = bits, .overflow = options.overflow};
  });
  result.min_scale_bits = sweep("scale", options.scale_bits, [&](int bits) {
    return HardwareWidths{kWideAccumulator, bits, kWideScale, options.overflow};
  });
  result.min_inverse_scale_bits = sweep("inverse_scale", options.inverse_scale_bits, [&](int bits) {
    return HardwareWidths{kWideAccumulator, kWideScale, bits, options.overflow};
  });
  if (!result.min_accumulator_bits || !result.min_scale_bits || !result.min_inverse_scale_bits) return result;

  // Together the minima may lose more than each alone: widen one dimension a
  // step at a time, in turn, until the combination passes.
  const std::vector<std::vector<int>> lists = {widest_first(options.accumulator_bits), widest_first(options.scale_bits),
                                               widest_first(options.inverse_scale_bits)};
  std::vector<std::size_t> at = {
      static_cast<std::size_t>(std::find(lists[0].begin(), lists[0].end(), *result.min_accumulator_bits) - lists[0].begin()),
      static_cast<std::size_t>(std::find(lists[1].begin(), lists[1].end(), *result.min_scale_bits) - lists[1].begin()),
      static_cast<std::size_t>(std::find(lists[2].begin(), lists[2].end(), *result.min_inverse_scale_bits) - lists[2].begin())};
  for (std::size_t turn = 0;; ++turn) {
    WidthPoint p = evaluate("combined", HardwareWidths{lists[0][at[0]], lists[1][at[1]], lists[2][at[2]], options.overflow});
    result.points.push_back(p);
    if (p.within_tolerance) {
      result.recommended = p;
      break;
    }
    if (at[0] == 0 && at[1] == 0 && at[2] == 0) break;
    for (std::size_t tries = 0; tries < 3; ++tries, ++turn) {
      std::size_t& d = at[turn % 3];
      if (d > 0) {
        --d;
        break;
      }
    }
  }
  return result;
}

nlohmann::json to_json(const WidthSweepResult& r) {
  auto widths = [](const HardwareWidths& w) {
    return nlohmann::json{{"accumulator_bits", w.accumulator_bits},
                          {"scale_bits", w.scale_bits},
                          {"inverse_scale_bits", w.inverse_scale_bits},
                          {"overflow", std::string(runtime::to_string(w.overflow))}};
  };
  auto optional = [](const std::optional<int>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json points = nlohmann::json::array();
  for (const WidthPoint& p : r.points) {
    points.push_back({{"dimension", p.dimension},
                      {"widths", widths(p.widths)},
                      {"correct", p.correct},
                      {"accuracy", p.accuracy},
                      {"within_tolerance", p.within_tolerance}});
  }
  nlohmann::json j = {{"graph", r.graph},
                      {"samples", r.samples},
                      {"tolerance_pp", r.tolerance_pp},
                      {"full_precision_accuracy", r.full_precision_accuracy},
                      {"min_accumulator_bits", optional(r.min_accumulator_bits)},
                      {"min_scale_bits", optional(r.min_scale_bits)},
                      {"min_inverse_scale_bits", optional(r.min_inverse_scale_bits)},
                      {"points", points}};
  j["recommended"] = r.recommended ? nlohmann::json{{"widths", widths(r.recommended->widths)}, {"accuracy", r.recommended->accuracy}}
                                   : nlohmann::json(nullptr);
  return j;
}

std::string format_table(const WidthSweepResult& r) {
  std::string out = fmt::format("{}: {} samples, full precision {:.2f}%, tolerance {} pp\n\n", r.graph, r.samples,
                                r.full_precision_accuracy, r.tolerance_pp);
  out += fmt::format("{:<14} {:>5} {:>6} {:>5} {:>9} {:>9}  {}\n", "dimension", "acc", "scale", "inv", "overflow", "accuracy", "ok");
  for (const WidthPoint& p : r.points) {
    const auto bits = [](int b) { return b == 0 ? std::string("-") : std::to_string(b); };
    out += fmt::format("{:<14} {:>5} {:>6} {:>5} {:>9} {:>8.2f}%  {}\n", p.dimension, p.widths.accumulator_bits,
                       bits(p.widths.scale_bits), bits(p.widths.inverse_scale_bits), runtime::to_string(p.widths.overflow),
                       p.accuracy, p.within_tolerance ? "yes" : "no");
  }
  const auto show = [](const std::optional<int>& v) { return v ? std::to_string(*v) : std::string("none passed"); };
  out += fmt::format("\nsmallest widths, one at a time: accumulator {}, scale {}, inverse scale {}\n",
                     show(r.min_accumulator_bits), show(r.min_scale_bits), show(r.min_inverse_scale_bits));
  out += r.recommended ? fmt::format("recommended together: {} ({:.2f}%)\n", r.recommended->widths.describe(), r.recommended->accuracy)
                       : std::string("recommended together: none within tolerance\n");
  return out;
}

}  // namespace bitlab::hw
