#include "train/quantizers/codebook.h"

#include <span>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "nonuniform_test_util.h"
#include "quant/codebook.h"
#include "train/quantizers/algorithms.h"

namespace bitlab::train {
namespace {

using namespace testing_nonuniform;

// Four well-separated clusters, so small centroid moves change no assignment.
torch::Tensor clustered_weights() {
  torch::manual_seed(13);
  const torch::Tensor centres = torch::tensor({-1.0f, -0.3f, 0.4f, 1.2f});
  const torch::Tensor pick = torch::randint(0, 4, {40, 5});
  return centres.index({pick}) + 0.05 * (torch::rand({40, 5}) - 0.5);
}

std::vector<float> quant_centroids(const torch::Tensor& w, int bits, uint64_t seed) {
  const torch::Tensor data = w.contiguous().reshape({-1});
  return quant::Codebook::learn(std::span<const float>(data.data_ptr<float>(), static_cast<size_t>(data.numel())),
                                {.bits = bits, .max_iterations = 100, .seed = seed})
      .centroids();
}

TEST(Codebook, InitialCentroidsAreQuantKMeansAndDeterministic) {
  torch::manual_seed(14);
  const torch::Tensor w = torch::randn({32, 9});
  Codebook a(weight_options("codebook", 3, {{"seed", 5}}));
  Codebook b(weight_options("codebook", 3, {{"seed", 5}}));
  a->initialize(w);
  b->initialize(w);
  EXPECT_TRUE(torch::equal(a->centroids(), b->centroids()));
  EXPECT_EQ(a->centroids().numel(), 8);
  EXPECT_TRUE(torch::equal(a->centroids(), torch::tensor(quant_centroids(w, 3, 5))));
  // The seed matters (k-means++ picks other starting points).
  Codebook c(weight_options("codebook", 3, {{"seed", 6}}));
  c->initialize(w);
  EXPECT_TRUE(torch::equal(c->centroids(), torch::tensor(quant_centroids(w, 3, 6))));
}

TEST(Codebook, ForwardIsTheNearestCentroidLikeQuantCodebook) {
  torch::manual_seed(15);
  const torch::Tensor w = torch::randn({50, 4});
  Codebook q(weight_options("codebook", 2));
  q->set_progress(1.0);
  const torch::Tensor y = q->forward(w);  // initialises from w
  const std::vector<float> centroids = quant_centroids(w, 2, 0);
  const quant::Codebook reference(centroids, 2);
  const torch::Tensor flat_w = w.reshape({-1});
  const torch::Tensor flat_y = y.reshape({-1});
  for (int64_t i = 0; i < flat_w.numel(); ++i) {
    ASSERT_EQ(flat_y[i].item<float>(), reference.quantise(flat_w[i].item<float>()));
  }
  const LevelSet levels = q->levels();
  EXPECT_EQ(levels.kind, "codebook");
  EXPECT_TRUE(torch::equal(levels.values, torch::tensor(centroids).reshape({1, -1})));
  EXPECT_TRUE(on_levels(y, levels));
  EXPECT_NO_THROW(levels.spec.validate());
}

TEST(Codebook, TiesGoToTheLowerCentroidEvenWhenUnsorted) {
  Codebook q(weight_options("codebook", 1));
  q->initialize(torch::tensor({0.0f, 1.0f}));
  {
    torch::NoGradGuard no_grad;
    q->centroids().copy_(torch::tensor({1.0f, 0.0f}));  // training swapped them
  }
  const torch::Tensor y = q->forward(torch::tensor({0.5f, 0.49f, 0.51f, -3.0f, 3.0f}));
  EXPECT_TRUE(torch::equal(y, torch::tensor({0.0f, 0.0f, 1.0f, 0.0f, 1.0f})));
  EXPECT_TRUE(torch::equal(q->levels().values, torch::tensor({{0.0f, 1.0f}})));
}

TEST(Codebook, CentroidGradientIsTheSumOfAssignedGradients) {
  const torch::Tensor w = clustered_weights().to(torch::kFloat64).requires_grad_();
  torch::manual_seed(16);
  const torch::Tensor upstream = torch::randn(w.sizes(), torch::kFloat64);
  Codebook q(weight_options("codebook", 2));
  q->initialize(w);
  ASSERT_EQ(q->centroids().numel(), 4);
  auto loss = [&] { return (q->forward(w) * upstream).sum(); };
  loss().backward();

  // Latent weights: straight through.
  EXPECT_TRUE(torch::equal(w.grad(), upstream));
  // Centroids: sum of the gradients of the weights assigned to each.
  const torch::Tensor centroids = q->centroids().detach().to(torch::kFloat64);
  const torch::Tensor assigned = (w.detach().reshape({-1, 1}) - centroids.reshape({1, -1})).abs().argmin(1);
  const torch::Tensor expected = torch::zeros({4}, torch::kFloat64).index_add(0, assigned, upstream.reshape({-1}));
  EXPECT_TRUE(torch::allclose(q->centroids().grad().to(torch::kFloat64), expected, 1e-6, 1e-6));

  // Central differences on each centroid.
  torch::NoGradGuard no_grad;
  for (int64_t j = 0; j < 4; ++j) {
    const float original = q->centroids()[j].item<float>();
    q->centroids()[j] = original + 1e-3f;
    const double up = loss().item<double>();
    const double step_up = q->centroids()[j].item<double>() - original;
    q->centroids()[j] = original - 1e-3f;
    const double down = loss().item<double>();
    const double step_down = original - q->centroids()[j].item<double>();
    q->centroids()[j] = original;
    const double fd = (up - down) / (step_up + step_down);
    EXPECT_NEAR(q->centroids().grad()[j].item<double>(), fd, 1e-4 * std::max(1.0, std::abs(fd))) << "centroid " << j;
  }
}

TEST(Codebook, FixedCentroidsAreABufferWithoutGradient) {
  const torch::Tensor w = clustered_weights().requires_grad_();
  Codebook q(weight_options("codebook", 2, {{"learn", false}}));
  q->forward(w).sum().backward();
  EXPECT_TRUE(q->parameters().empty());
  EXPECT_TRUE(q->named_buffers().contains("centroids"));
  EXPECT_FALSE(q->centroids().grad().defined());
  EXPECT_TRUE(torch::equal(w.grad(), torch::ones_like(w)));

  Codebook learned(weight_options("codebook", 2));
  learned->initialize(w);
  EXPECT_TRUE(learned->named_parameters().contains("centroids"));
}

TEST(Codebook, FewerDistinctValuesThanCentroids) {
  const torch::Tensor w = torch::tensor({0.1f, 0.1f, -0.2f, 0.3f, 0.3f, -0.2f});
  Codebook q(weight_options("codebook", 3));
  const torch::Tensor y = q->forward(w);
  EXPECT_EQ(q->levels().values.sizes(), (std::vector<int64_t>{1, 3}));
  EXPECT_TRUE(torch::equal(y, w));
}

TEST(Codebook, CentroidsSurviveACheckpoint) {
  const torch::Tensor w = clustered_weights();
  Codebook q(weight_options("codebook", 2));
  q->initialize(w);
  Codebook r(weight_options("codebook", 2));
  round_trip(*q, *r);
  EXPECT_TRUE(r->initialized());
  EXPECT_TRUE(torch::equal(r->centroids(), q->centroids()));
  EXPECT_TRUE(torch::equal(r->forward(w), q->forward(w)));
}

TEST(Codebook, RejectsBadOptions) {
  EXPECT_THROW(make_quantizer(weight_options("codebook", 9)), ConfigError);
  EXPECT_THROW(make_quantizer(weight_options("codebook", 2, {{"seed", -1}})), ConfigError);
  EXPECT_THROW(make_quantizer(weight_options("codebook", 2, {{"learn", "yes"}})), ConfigError);
  EXPECT_THROW(make_quantizer(weight_options("codebook", 2, {{"iterations", 0}})), ConfigError);
  EXPECT_THROW(make_quantizer(weight_options("codebook", 2, {{"centroids", 4}})), ConfigError);
  EXPECT_THROW(make_quantizer(per_channel(weight_options("codebook", 2), 3)), ConfigError);
  EXPECT_THROW(Codebook(weight_options("codebook", 2))->levels(), std::logic_error);
}

}  // namespace
}  // namespace bitlab::train
