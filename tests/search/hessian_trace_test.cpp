// Hutchinson's estimator against Hessians known in closed form.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "search/hessian_trace.h"

namespace bitlab::search {
namespace {

// loss = ½ xᵀAx + ½ yᵀBy + xᵀCy: the diagonal blocks of the Hessian are A and B.
struct Quadratic {
  torch::Tensor x, y, a, b, c;
  explicit Quadratic(int64_t n, int64_t m, bool diagonal) {
    torch::manual_seed(11);
    x = torch::randn({n}, torch::kFloat64).requires_grad_(true);
    y = torch::randn({m}, torch::kFloat64).requires_grad_(true);
    auto sym = [&](int64_t k) {
      auto r = torch::randn({k, k}, torch::kFloat64);
      return diagonal ? torch::diag(torch::rand({k}, torch::kFloat64) * 4 - 1) : r + r.t();
    };
    a = sym(n);
    b = sym(m);
    c = torch::randn({n, m}, torch::kFloat64);
  }
  torch::Tensor loss() const {
    return 0.5 * x.dot(a.mv(x)) + 0.5 * y.dot(b.mv(y)) + x.dot(c.mv(y));
  }
};

TEST(Hutchinson, IsExactForADiagonalHessianWithAnyNumberOfProbes) {
  // v_i² = 1, so vᵀDv = Tr D for every Rademacher probe; the coupling C cancels
  // only in expectation, so it is zero here.
  Quadratic q(7, 5, true);
  q.c.zero_();
  const auto traces = hutchinson_traces(q.loss(), {q.x, q.y}, {.samples = 1, .seed = 3});
  ASSERT_EQ(traces.size(), 2u);
  EXPECT_NEAR(traces[0], q.a.trace().item<double>(), 1e-12);
  EXPECT_NEAR(traces[1], q.b.trace().item<double>(), 1e-12);
}

TEST(Hutchinson, EstimatesEachDiagonalBlockOfACoupledHessian) {
  // Dense A, B and a coupling C: the estimate's variance is 2 Σ_{i≠j} H_ij²/samples
  // per block (plus the coupling's); 4000 probes bring it well inside the tolerance.
  Quadratic q(6, 4, false);
  const auto traces = hutchinson_traces(q.loss(), {q.x, q.y}, {.samples = 4000, .seed = 1});
  const double ta = q.a.trace().item<double>();
  const double tb = q.b.trace().item<double>();
  const auto off = [](const torch::Tensor& h) { return (h.pow(2).sum() - h.diag().pow(2).sum()).item<double>(); };
  const double sd_a = std::sqrt((2 * off(q.a) + q.c.pow(2).sum().item<double>()) / 4000);
  const double sd_b = std::sqrt((2 * off(q.b) + q.c.pow(2).sum().item<double>()) / 4000);
  EXPECT_NEAR(traces[0], ta, 5 * sd_a) << "sd " << sd_a;
  EXPECT_NEAR(traces[1], tb, 5 * sd_b) << "sd " << sd_b;
  // Deterministic given the seed (resume replays the same table).
  EXPECT_EQ(hutchinson_traces(q.loss(), {q.x, q.y}, {.samples = 10, .seed = 1}),
            hutchinson_traces(q.loss(), {q.x, q.y}, {.samples = 10, .seed = 1}));
}

TEST(Hutchinson, MatchesTheExactTraceOfALinearLayersCrossEntropyHessian) {
  // A small linear classifier: the exact Hessian block from torch's double
  // backward, row by row, against the estimator.
  torch::manual_seed(5);
  auto w = torch::randn({3, 4}, torch::kFloat64).requires_grad_(true);
  const auto x = torch::randn({16, 4}, torch::kFloat64);
  const auto labels = torch::randint(0, 3, {16}, torch::kInt64);
  auto loss_of = [&] { return torch::nn::functional::cross_entropy(x.mm(w.t()), labels); };
  const auto g = torch::autograd::grad({loss_of()}, {w}, {}, true, true)[0].flatten();
  double exact = 0;
  for (int64_t i = 0; i < g.numel(); ++i)
    exact += torch::autograd::grad({g[i]}, {w}, {}, true)[0].flatten()[i].item<double>();
  const auto traces = hutchinson_traces(loss_of(), {w}, {.samples = 3000, .seed = 2});
  EXPECT_NEAR(traces[0], exact, 0.05 * std::abs(exact));
}

}  // namespace
}  // namespace bitlab::search
