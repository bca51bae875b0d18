// Properties: on random small graphs (every integer op, random shapes, zero
// points, scales and multiplier widths) the float64 simulation equals the
// integer reference runtime bit for bit, and graphs survive a save/load.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "ir/serialize.h"
#include "random_graph.h"

namespace bitlab::runtime {
namespace {

using namespace testing;
using ir::OpKind;

RC_GTEST_PROP(RuntimeProperty, Float64SimulationEqualsTheIntegerRuntime, ()) {
  const ir::Graph g = random_graph();
  const IntTensorMap in = random_inputs(g);
  const IntTensorMap reference = run_reference(g, in);
  // How often the output is informative rather than pinned to its clamp bounds.
  const auto& y = reference.at("y").values;
  const ir::Tensor& yt = g.tensor("y");
  RC_TAG(std::any_of(y.begin(), y.end(), [&](std::int64_t v) { return v != yt.type.min_value() && v != yt.type.max_value(); })
             ? "y has unclamped values"
             : "y fully clamped");
  RC_ASSERT(to_int(run_simulation(g, to_sim(in))) == reference);
}

// Requant on its own, with accumulators up to 2^21 and every multiplier width
// and shift §9.4 allows: both executors round the same ties the same way.
RC_GTEST_PROP(RuntimeProperty, RequantAgreesAtEveryMultiplierWidth, ()) {
  const int bits = static_cast<int>(pick(1, 31));
  // Half the time M = 2^−j exactly (m = 2^(bits−1)), so that ties are common.
  const bool ties = coin();
  const auto shift = static_cast<int>(ties ? bits - 1 + pick(1, 4) : pick(0, 52 - bits));
  const std::int64_t m = ties ? std::int64_t{1} << (bits - 1) : pick(std::int64_t{1} << (bits - 1), (std::int64_t{1} << bits) - 1);
  const ir::ElementType out = code_type(2, 16);
  const std::int32_t z = zero_point(out);
  OpGraph b;
  b.input("acc", {8}, i32(), pt(1.0, 0))
      .op("y", OpKind::Requant, {"acc"}, out, pt(1.0, z),
          ir::RequantAttrs{{{m, shift}}, 0, static_cast<std::int32_t>(out.min_value()), static_cast<std::int32_t>(out.max_value())});
  const ir::Graph g = b.build({"y"});
  // Accumulators that land in or just outside the output range (so few are
  // clamped and ties show), kept within §9.4's exactness bound |x·m| < 2^52.
  IntTensorMap in = {{"acc", {{8}, {}}}};
  const double real = std::ldexp(static_cast<double>(m), -shift);
  const std::int64_t reach = std::min<std::int64_t>(std::int64_t{1} << 21, (std::int64_t{1} << (52 - bits)) - 1);
  for (int i = 0; i < 8; ++i) {
    const double target = static_cast<double>(pick(out.min_value() - z - 1, out.max_value() - z + 1));
    const std::int64_t x = std::llround(target / real) + pick(-3, 3);
    in["acc"].values.push_back(std::clamp(x, -reach, reach));
  }
  RC_ASSERT(to_int(run_simulation(g, to_sim(in))) == run_reference(g, in));
}

RC_GTEST_PROP(RuntimeProperty, RandomGraphsSurviveSaveAndLoad, ()) {
  const ir::Graph g = random_graph();
  const std::filesystem::path json =
      std::filesystem::temp_directory_path() / ("bitlab_runtime_prop_" + std::to_string(::getpid()) + ".tq.json");
  ir::save_graph(g, json);
  const ir::Graph loaded = ir::load_graph(json);
  std::filesystem::remove(json);
  std::filesystem::remove(ir::weights_path_for(json));
  RC_ASSERT(loaded == g);
}

}  // namespace
}  // namespace bitlab::runtime
