#include "train/quantizers/bayesian_bits.h"

#include "uniform_test_util.h"

namespace bitlab::train {
namespace {

using namespace testing;

std::shared_ptr<BayesianBitsQuantizerImpl> as_bb(Quantizer& q) {
  auto bb = std::dynamic_pointer_cast<BayesianBitsQuantizerImpl>(q.ptr());
  EXPECT_NE(bb, nullptr);
  return bb;
}

// Gates: the first `open` on, the rest off.
std::vector<torch::Tensor> gates(int count, int open, torch::Dtype dtype) {
  std::vector<torch::Tensor> z;
  for (int g = 0; g < count; ++g) z.push_back(torch::full({}, g < open ? 1.0 : 0.0, torch::TensorOptions(dtype)));
  return z;
}

// With gates 2·b0 … b on and the rest off, the gated residual sum is the plain
// b-bit quantiser on the same range, for every b of the chain 2, 4, 8, 16 —
// and a gate above a closed one changes nothing (the nesting). In float64, so
// no rounding tie flips between the two ways of computing it.
TEST(BayesianBits, DecompositionEqualsThePlainQuantiserAtEveryGateSetting) {
  torch::manual_seed(3);
  const auto x = torch::randn({4000}, torch::kFloat64) * 1.2;
  const auto beta = torch::full({}, 1.7, torch::kFloat64);
  for (const bool is_signed : {true, false}) {
    for (int open = 0; open <= 3; ++open) {
      const int bits = 2 << open;
      SCOPED_TRACE(::testing::Message() << bits << " bits, signed " << is_signed);
      const auto sum = bayesian_bits_sum(x, beta, is_signed, 2, gates(3, open, torch::kFloat64));
      const auto plain = bayesian_bits_plain(x, beta, is_signed, bits);
      EXPECT_LT((sum - plain).abs().max().item<double>(), 1e-12);
      // The grid has 2^b levels over [α, β].
      EXPECT_LE(std::get<0>(at::_unique(plain)).numel(), 1 << bits);
      EXPECT_LE(plain.max().item<double>(), 1.7);
      EXPECT_GE(plain.min().item<double>(), is_signed ? -1.7 : 0.0);
    }
    auto closed_middle = gates(3, 3, torch::kFloat64);
    closed_middle[1] = torch::zeros({}, torch::kFloat64);  // 4 on, 8 off, 16 on: still 4 bits
    EXPECT_LT((bayesian_bits_sum(x, beta, is_signed, 2, closed_middle) - bayesian_bits_plain(x, beta, is_signed, 4))
                  .abs()
                  .max()
                  .item<double>(),
              1e-12);
  }
}

// The unsigned grid is bitlab's ordinary unsigned uniform quantiser ("ste" with
// range [0, β]) at every width.
TEST(BayesianBits, UnsignedGridIsTheSteQuantiser) {
  const auto x = sample_activations() - 0.5;
  for (int bits : {2, 4, 8}) {
    SCOPED_TRACE(::testing::Message() << bits << " bits");
    auto ste = make_quantizer(activation_options("ste", bits));
    ste->set_range(torch::zeros({1}), torch::full({1}, 3.0));
    const auto plain = bayesian_bits_plain(x, torch::full({}, 3.0), false, bits);
    EXPECT_TRUE(torch::allclose(plain, ste->forward(x).detach(), 1e-6, 1e-6));
  }
}

// Deterministic gates (eval mode) give exactly the grid of the width they
// select, and forward lands on levels().
TEST(BayesianBits, DeterministicGatesLandExactlyOnTheSelectedGrid) {
  for (const bool per_channel : {false, true}) {
    auto q = make_quantizer(weight_options("bayesian_bits", 16, per_channel));
    auto bb = as_bb(q);
    ASSERT_EQ(bb->gate_bits(), (std::vector<int>{4, 8, 16}));
    const auto w = sample_weights();
    q->initialize(w);
    {
      torch::NoGradGuard no_grad;
      bb->log_alpha().copy_(torch::tensor({20.0, 20.0, -20.0}));  // 4 and 8 on, 16 off
    }
    q->eval();
    EXPECT_EQ(bb->deterministic_bits(), 8);
    const auto out = q->forward(w * 1.5).detach();
    const auto beta = named(q->named_parameters(), "range").detach();
    const auto b = per_channel ? beta.view({kChannels, 1, 1, 1}) : beta.reshape({});
    EXPECT_TRUE(torch::equal(out, bayesian_bits_plain(w * 1.5, b, true, 8)));
    const LevelSet lv = q->levels();
    EXPECT_EQ(lv.kind, "codebook");  // signed 2^b-level grids have no zero
    EXPECT_EQ(lv.values.size(1), 256);
    auto rows = per_channel ? out.reshape({kChannels, -1}) : out.reshape({1, -1});
    for (std::int64_t c = 0; c < rows.size(0); ++c)
      EXPECT_TRUE((rows[c].unsqueeze(1) == lv.values[c].unsqueeze(0)).any(1).all().item<bool>());
  }
  // Unsigned activations: an ordinary uniform level set.
  auto a = make_quantizer(activation_options("bayesian_bits", 8));
  a->initialize(sample_activations());
  a->set_progress(1.0);  // the end of the schedule: deterministic gates even in training
  expect_on_levels(a, sample_activations() * 1.2);
}

TEST(BayesianBits, ExpectedExtraBitsNestTheGates) {
  auto q = make_quantizer(weight_options("bayesian_bits", 8, false));
  auto bb = as_bb(q);
  EXPECT_NEAR(bb->expected_extra_bits().item<double>(), 0.0 + 2 + 4, 0.2);  // starts open (gate_init 3)
  {
    torch::NoGradGuard no_grad;
    bb->log_alpha().copy_(torch::tensor({-30.0, 30.0}));  // 8 would be on, but 4 is off
  }
  EXPECT_NEAR(bb->expected_extra_bits().item<double>(), 0.0, 1e-6);
  EXPECT_EQ(bb->deterministic_bits(), 2);
}

TEST(BayesianBits, RejectsWidthsOffTheDoublingChain) {
  EXPECT_THAT(config_error_message(weight_options("bayesian_bits", 6, false)), ::testing::HasSubstr("min_bits"));
  EXPECT_THAT(config_error_message(weight_options("bayesian_bits", 8, false, {{"gates", 2}})),
              ::testing::HasSubstr("gates"));
  // A pinned width: no gates, the plain quantiser.
  auto q = make_quantizer(weight_options("bayesian_bits", 4, false, {{"min_bits", 4}}));
  EXPECT_TRUE(as_bb(q)->gate_bits().empty());
  EXPECT_EQ(as_bb(q)->deterministic_bits(), 4);
}

// A toy regression through 8-bit Bayesian Bits weights, trained with the
// cost regulariser λ · E[extra bits]: with λ = 0 the gates stay open (8 bits
// fit the teacher best), with a large λ they close (2 bits).
int trained_width(double lambda) {
  torch::manual_seed(11);
  const auto teacher = torch::randn({6, 12}) * 0.5;
  const auto x = torch::randn({256, 12});
  const auto y = torch::matmul(x, teacher.t());
  auto weight = teacher.clone().requires_grad_(true);
  auto q = make_quantizer(weight_options("bayesian_bits", 8, false));
  q->initialize(teacher);
  std::vector<torch::Tensor> params{weight};
  for (auto& p : q->parameters()) params.push_back(p);
  torch::optim::Adam adam(params, torch::optim::AdamOptions(0.05));
  q->train();
  for (int step = 0; step < 300; ++step) {
    adam.zero_grad();
    auto loss = torch::mse_loss(torch::matmul(x, q->forward(weight).t()), y) +
                lambda * as_bb(q)->expected_extra_bits();
    loss.backward();
    adam.step();
  }
  return as_bb(q)->deterministic_bits();
}

TEST(BayesianBits, GatesCloseUnderALargeCostWeightAndStayOpenWithoutIt) {
  EXPECT_EQ(trained_width(0.0), 8);
  EXPECT_EQ(trained_width(5.0), 2);
}

}  // namespace
}  // namespace bitlab::train
