// Fused per-tensor kernels (train/quantizers/fused/) against the reference
// LibTorch graphs they replace: outputs and input gradients bit for bit,
// parameter gradients (LSQ step, PACT alpha) to float rounding. The other
// quantizer tests run the fused path too wherever it applies.
#include <cmath>
#include <optional>
#include <random>
#include <vector>

#include "train/quantizers/fused/fake_quant.h"
#include "uniform_test_util.h"

namespace bitlab::train {
namespace {

using namespace testing;

struct Pass {
  torch::Tensor out;
  torch::Tensor grad_x;
  torch::Tensor grad_param;  // undefined for "ste" (nothing learned)
  std::string node;          // the output's autograd node: which path ran
};

// forward(x), then backward with upstream gradient g, on the fused path or
// (reference = true) on the reference graph.
Pass run(Quantizer& q, const torch::Tensor& x, const torch::Tensor& g, const std::string& param, bool reference) {
  std::optional<fused::ReferenceOnly> guard;
  if (reference) guard.emplace();
  for (auto& p : q->parameters()) p.mutable_grad() = torch::Tensor();
  auto xg = x.detach().clone().requires_grad_(true);
  auto out = q->forward(xg);
  Pass pass;
  pass.node = out.grad_fn() ? out.grad_fn()->name() : "";
  out.backward(g);
  pass.out = out.detach();
  pass.grad_x = xg.grad();
  if (!param.empty()) pass.grad_param = named(q->named_parameters(), param).grad();
  return pass;
}

bool is_fused(const Pass& p) { return p.node.find("fused::") != std::string::npos; }

// float == is not enough: it equates -0 and +0.
void expect_same_bits(const torch::Tensor& fused, const torch::Tensor& reference, const char* what) {
  ASSERT_TRUE(fused.defined() && reference.defined()) << what;
  ASSERT_EQ(fused.sizes(), reference.sizes()) << what;
  ASSERT_EQ(fused.scalar_type(), torch::kFloat32) << what;
  auto a = fused.contiguous().view(torch::kInt32).reshape({-1});
  auto b = reference.contiguous().view(torch::kInt32).reshape({-1});
  auto differ = (a != b).nonzero();
  if (differ.numel() == 0) return;
  const auto i = differ[0].item<std::int64_t>();
  ADD_FAILURE() << what << ": " << differ.numel() << " of " << a.numel() << " elements differ, e.g. #" << i
                << ": fused " << fused.reshape({-1})[i].item<float>() << " reference "
                << reference.reshape({-1})[i].item<float>();
}

// Compares the two paths. The parameter gradient is a sum over elements whose
// terms are at most |g| * term_bound in size; LibTorch adds them in float, the
// kernel in double, so they agree to 1e-6 of that bound.
void expect_fused_matches_reference(Quantizer& q, const torch::Tensor& x, const std::string& param,
                                    double term_bound, std::uint64_t seed) {
  torch::manual_seed(seed);
  auto g = torch::randn(x.sizes());
  const Pass reference = run(q, x, g, param, true);
  const Pass fused = run(q, x, g, param, false);
  ASSERT_TRUE(is_fused(fused)) << "fused path not taken: " << fused.node;
  ASSERT_FALSE(is_fused(reference)) << reference.node;
  expect_same_bits(fused.out, reference.out, "output");
  expect_same_bits(fused.grad_x, reference.grad_x, "input gradient");
  if (param.empty()) return;
  const double expected = reference.grad_param.item<double>();
  const double tolerance = 1e-6 * (std::abs(expected) + g.abs().sum().item<double>() * term_bound);
  EXPECT_NEAR(fused.grad_param.item<double>(), expected, tolerance) << param << " gradient";
}

struct Case {
  std::string algorithm;
  std::string param;  // learned parameter, "" for ste
  QuantizerOptions options;
};

std::vector<Case> cases() {
  std::vector<Case> all;
  for (int bits : kBits) {
    all.push_back({"ste", "", activation_options("ste", bits)});
    all.push_back({"ste", "", activation_options("ste", bits, {{"affine", true}})});
    all.push_back({"ste", "", weight_options("ste", bits, false)});
    all.push_back({"lsq", "step", activation_options("lsq", bits)});
    all.push_back({"lsq", "step", weight_options("lsq", bits, false)});
    all.push_back({"pact", "alpha", activation_options("pact", bits)});
    all.push_back({"pact", "alpha", weight_options("pact", bits, false)});
  }
  return all;
}

struct Codes {
  double qmin;
  double qmax;
};

Codes codes_of(const Case& c) {
  const int b = c.options.bits;
  if (!c.options.is_signed) return {0.0, std::ldexp(1.0, b) - 1};
  const double qmax = std::ldexp(1.0, b - 1) - 1;
  // narrow_range, and PACT's symmetric clip reaches -qmax only.
  return {-qmax, qmax};
}

// Calibrates to step 0.25 (exact in float), so the special values below hit
// ties and bounds exactly. The affine case gets zero point 3.
void set_quarter_step(Quantizer& q, const Case& c) {
  const Codes k = codes_of(c);
  const bool affine = c.options.params.contains("affine");
  const double lo = affine ? -3 * 0.25 : k.qmin * 0.25;
  const double hi = affine ? (k.qmax - 3) * 0.25 : k.qmax * 0.25;
  q->set_range(torch::tensor({static_cast<float>(lo)}), torch::tensor({static_cast<float>(hi)}));
}

// Every code's value, the ties halfway between codes (round half to even
// decides them), the clamp bounds and their float neighbours, values beyond
// the range, and both zeros. Assumes step 0.25 and zero point z.
torch::Tensor special_values(const Case& c, double z) {
  const Codes k = codes_of(c);
  std::vector<float> v = {0.0f, -0.0f};
  for (double code = k.qmin - 3; code <= k.qmax + 3; code += 0.5) v.push_back(static_cast<float>((code - z) * 0.25));
  for (double bound : {k.qmin, k.qmax}) {
    const auto b = static_cast<float>((bound - z) * 0.25);
    v.push_back(std::nextafter(b, -INFINITY));
    v.push_back(std::nextafter(b, INFINITY));
  }
  v.push_back(1e6f);
  v.push_back(-1e6f);
  return torch::tensor(v);
}

// Random shapes of 0 to 4 dims, some with a zero-sized dim.
std::vector<std::vector<std::int64_t>> random_shapes(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::int64_t>> shapes = {{}, {0}, {3, 0, 5}};
  for (int i = 0; i < 12; ++i) {
    std::vector<std::int64_t> shape(rng() % 5);
    for (auto& d : shape) d = 1 + static_cast<std::int64_t>(rng() % 9);
    shapes.push_back(shape);
  }
  shapes.push_back({16, 8, 13, 11});  // > 8 elements per lane and a ragged tail
  return shapes;
}

double term_bound(const Case& c) {
  const Codes k = codes_of(c);
  return std::max({1.0, std::abs(k.qmin), k.qmax});
}

std::string describe(const Case& c) {
  return c.algorithm + " " + std::to_string(c.options.bits) + " bits " + (c.options.is_signed ? "signed" : "unsigned") +
         (c.options.params.contains("affine") ? " affine" : "");
}

TEST(FusedFakeQuant, TiesBoundsAndZerosMatchTheReference) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(describe(c));
    auto q = make_quantizer(c.options);
    set_quarter_step(q, c);
    const double z = c.options.params.contains("affine") ? 3.0 : 0.0;
    if (c.algorithm == "ste") {
      ASSERT_EQ(named(q->named_buffers(), "zero_point").item<double>(), z);
    }
    auto x = special_values(c, z);
    expect_fused_matches_reference(q, x, c.param, term_bound(c), 7);
    // The same values in a 4-D tensor, as activations arrive.
    expect_fused_matches_reference(q, torch::cat({x, x}).reshape({2, 1, -1, 1}), c.param, term_bound(c), 8);
  }
}

TEST(FusedFakeQuant, RandomShapesAndScalesMatchTheReference) {
  std::uint64_t seed = 100;
  for (const Case& c : cases()) {
    SCOPED_TRACE(describe(c));
    auto q = make_quantizer(c.options);
    torch::manual_seed(seed);
    // Data-driven (non power-of-two) scale from a first batch, as in training.
    auto calibration = torch::randn({64}) * 1.7 + (c.options.is_signed ? 0.0 : 0.8);
    q->initialize(c.options.is_signed ? calibration : torch::relu(calibration));
    for (const auto& shape : random_shapes(seed)) {
      SCOPED_TRACE(::testing::Message() << "shape " << torch::IntArrayRef(shape));
      torch::manual_seed(++seed);
      // Spread wide enough that both clamp bounds are exercised.
      auto x = torch::randn(shape) * 2.5 + (c.options.is_signed ? 0.0 : 0.5);
      expect_fused_matches_reference(q, x, c.param, term_bound(c), seed);
    }
  }
}

TEST(FusedFakeQuant, InferenceWithoutGradientMatches) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(describe(c));
    auto q = make_quantizer(c.options);
    auto x = sample_activations() - 1.0;
    q->initialize(x);
    torch::NoGradGuard no_grad;
    torch::Tensor reference;
    {
      fused::ReferenceOnly guard;
      reference = q->forward(x);
    }
    expect_same_bits(q->forward(x), reference, "output");
  }
}

// LSQ's step and PACT's alpha still get a gradient when x needs none (a
// quantised network input), and x's is skipped.
TEST(FusedFakeQuant, ParameterGradientWithoutInputGradient) {
  for (const std::string& algorithm : std::vector<std::string>{"lsq", "pact"}) {
    SCOPED_TRACE(algorithm);
    auto q = make_quantizer(activation_options(algorithm, 4));
    auto x = sample_activations();
    q->initialize(x * 0.5);
    const std::string param = algorithm == "lsq" ? "step" : "alpha";
    auto gradient = [&](bool reference) {
      std::optional<fused::ReferenceOnly> guard;
      if (reference) guard.emplace();
      for (auto& p : q->parameters()) p.mutable_grad() = torch::Tensor();
      q->forward(x).sum().backward();
      return named(q->named_parameters(), param).grad().item<double>();
    };
    const double fused = gradient(false);
    EXPECT_NE(fused, 0.0);
    EXPECT_NEAR(fused, gradient(true), 1e-6 * static_cast<double>(x.numel()) * 15);  // |terms| <= qmax = 15
  }
}

// What the fused kernels do not cover runs the reference graph.
TEST(FusedFakeQuant, FallsBackToTheReference) {
  auto node_of = [](Quantizer& q, const torch::Tensor& x) {
    auto out = q->forward(x.detach().clone().requires_grad_(true));
    return out.grad_fn() ? out.grad_fn()->name() : std::string();
  };
  for (const std::string& algorithm : std::vector<std::string>{"ste", "lsq", "pact"}) {
    SCOPED_TRACE(algorithm);
    auto w = sample_weights();
    auto per_tensor = make_quantizer(weight_options(algorithm, 4, false));
    per_tensor->initialize(w);
    EXPECT_NE(node_of(per_tensor, w).find("fused::"), std::string::npos);
    // Non-contiguous input.
    EXPECT_EQ(node_of(per_tensor, w.transpose(0, 1)).find("fused::"), std::string::npos);
    // Per-channel.
    auto per_channel = make_quantizer(weight_options(algorithm, 4, true));
    per_channel->initialize(w);
    EXPECT_EQ(node_of(per_channel, w).find("fused::"), std::string::npos);
    // Double tensors (module and data).
    per_tensor->to(torch::kFloat64);
    EXPECT_EQ(node_of(per_tensor, w.to(torch::kFloat64)).find("fused::"), std::string::npos);
  }
}

// A few optimiser steps on the learned parameter follow the same trajectory
// on both paths: training with the fused kernels is training with the reference.
TEST(FusedFakeQuant, TrainingStepsFollowTheReference) {
  for (const std::string& algorithm : std::vector<std::string>{"lsq", "pact"}) {
    SCOPED_TRACE(algorithm);
    const std::string param = algorithm == "lsq" ? "step" : "alpha";
    auto x = sample_activations() * 1.5;
    auto target = torch::clamp(x, 0.0, 2.0);
    auto train = [&](bool reference, int steps) {
      std::optional<fused::ReferenceOnly> guard;
      if (reference) guard.emplace();
      auto q = make_quantizer(activation_options(algorithm, 3));
      q->initialize(x);
      torch::optim::SGD sgd(q->parameters(), torch::optim::SGDOptions(0.5));
      for (int i = 0; i < steps; ++i) {
        sgd.zero_grad();
        torch::mse_loss(q->forward(x), target).backward();
        sgd.step();
      }
      return named(q->named_parameters(), param).item<double>();
    };
    const double fused = train(false, 20);
    EXPECT_GT(std::abs(fused - train(false, 0)), 1e-3) << "the parameter did not move";
    EXPECT_NEAR(fused, train(true, 20), 1e-5 * std::abs(fused));
  }
}

}  // namespace
}  // namespace bitlab::train
