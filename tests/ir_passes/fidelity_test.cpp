// Conversion fidelity on random calibrated networks: the integer graph
// dequantised matches the fake-quantised float graph to within one output step
// for almost all elements, argmax agrees, and the integer runtime equals the
// float64 simulation bit for bit (docs/conversion.md, "Fidelity").
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "ir/validate.h"
#include "networks.h"

namespace bitlab::ir::passes::testing {
namespace {

struct Totals {
  std::int64_t elements = 0, within = 0, rows = 0, agree = 0;
  double max_steps = 0.0;
  void add(const Fidelity& f) {
    elements += f.elements;
    within += f.within_one_step;
    rows += f.rows;
    agree += f.argmax_agree;
    max_steps = std::max(max_steps, f.max_steps);
  }
};

template <class MakeNet>
Totals run_many(MakeNet make, double input_lo, double input_hi, int nets, const ConversionOptions& options = {}) {
  Totals totals;
  for (int seed = 1; seed <= nets; ++seed) {
    const Graph fq = make(static_cast<std::uint64_t>(seed));
    FloatGraph inputs_of("inputs", static_cast<std::uint64_t>(seed) * 7919);
    inputs_of.graph = fq;
    const Fidelity f = measure_fidelity(fq, inputs_of.random_inputs(input_lo, input_hi), options);
    EXPECT_TRUE(f.simulation_bit_exact) << "seed " << seed;
    totals.add(f);
  }
  std::printf("within one step %lld / %lld, argmax %lld / %lld, max %.3f steps\n",
              static_cast<long long>(totals.within), static_cast<long long>(totals.elements),
              static_cast<long long>(totals.agree), static_cast<long long>(totals.rows), totals.max_steps);
  return totals;
}

void expect_faithful(const Totals& t) {
  EXPECT_GE(static_cast<double>(t.within), 0.99 * static_cast<double>(t.elements));
  EXPECT_GE(static_cast<double>(t.agree), 0.97 * static_cast<double>(t.rows));
}

TEST(ConversionFidelity, Classifier) { expect_faithful(run_many([](auto s) { return classifier_net(s); }, -1, 1, 20)); }
TEST(ConversionFidelity, ResidualAddBlock) { expect_faithful(run_many([](auto s) { return residual_net(s); }, 0, 1, 20)); }
TEST(ConversionFidelity, ResidualAddWithoutOutputQuant) {
  expect_faithful(run_many([](auto s) { return residual_net(s, false); }, 0, 1, 20));
}
TEST(ConversionFidelity, DepthwiseBlock) { expect_faithful(run_many([](auto s) { return depthwise_net(s); }, -1, 1, 20)); }
TEST(ConversionFidelity, Concat) { expect_faithful(run_many([](auto s) { return concat_net(s); }, 0, 1, 20)); }
TEST(ConversionFidelity, ConcatFollowedByQuant) {
  expect_faithful(run_many([](auto s) { return concat_net(s, true); }, 0, 1, 20));
}
TEST(ConversionFidelity, NarrowMultipliersAndFourBitWeights) {
  ConversionOptions options;
  options.dyadic.multiplier_bits = 15;
  expect_faithful(run_many([](auto s) { return classifier_net(s, 8, 4); }, -1, 1, 20, options));
}

}  // namespace
}  // namespace bitlab::ir::passes::testing
