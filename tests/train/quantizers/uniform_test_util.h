#pragma once
// Helpers for the uniform-family quantiser tests (ste, pact, lsq, tqt, dorefa, ana).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "train/quantizers/quantizer.h"

namespace bitlab::train::testing {

inline constexpr int kBits[] = {2, 4, 8};
inline constexpr std::int64_t kChannels = 3;

// Signed, narrow-range weights [out, in, kh, kw], per-tensor or per output channel.
inline QuantizerOptions weight_options(const std::string& algorithm, int bits, bool per_channel,
                                       nlohmann::json params = nlohmann::json::object()) {
  QuantizerOptions o;
  o.algorithm = algorithm;
  o.role = TensorRole::kWeight;
  o.bits = bits;
  o.is_signed = true;
  o.narrow_range = true;
  o.granularity = per_channel ? quant::Granularity::PerChannel : quant::Granularity::PerTensor;
  o.axis = 0;
  o.channels = per_channel ? kChannels : 1;
  o.params = std::move(params);
  return o;
}

// Unsigned per-tensor activations (after a ReLU).
inline QuantizerOptions activation_options(const std::string& algorithm, int bits,
                                           nlohmann::json params = nlohmann::json::object()) {
  QuantizerOptions o;
  o.algorithm = algorithm;
  o.role = TensorRole::kActivation;
  o.bits = bits;
  o.is_signed = false;
  o.narrow_range = false;
  o.params = std::move(params);
  return o;
}

// Weights with a different spread per channel and a few outliers, so that
// per-channel scales differ and clamping is exercised.
inline torch::Tensor sample_weights(std::uint64_t seed = 1) {
  torch::manual_seed(seed);
  auto w = torch::randn({kChannels, 4, 3, 3});
  w = w * torch::tensor({0.5, 1.0, 2.0}).view({kChannels, 1, 1, 1});
  return w;
}

// Non-negative activations [batch, channels, h, w] with a long tail.
inline torch::Tensor sample_activations(std::uint64_t seed = 2) {
  torch::manual_seed(seed);
  return torch::relu(torch::randn({8, kChannels, 5, 5}) * 2.0);
}

inline std::int64_t channel_axis(const QuantizerOptions& o) {
  return o.granularity == quant::Granularity::PerChannel ? o.axis : -1;
}

// Every element of forward(x) is exactly (float ==) one of levels().values for
// its channel; values are sorted ascending per row, and each value is an
// integer code of levels().spec in [qmin, qmax] times the channel's scale.
inline void expect_on_levels(Quantizer& q, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  auto out = q->forward(x).to(torch::kFloat32);
  LevelSet lv = q->levels();
  ASSERT_NO_THROW(lv.spec.validate());
  ASSERT_EQ(lv.kind, "uniform");
  const std::int64_t axis = channel_axis(q->options());
  const std::int64_t channels = axis < 0 ? 1 : x.size(axis);
  ASSERT_EQ(lv.values.dim(), 2);
  ASSERT_EQ(lv.values.size(0), channels);
  ASSERT_EQ(static_cast<std::int64_t>(lv.spec.num_channels()), channels);
  ASSERT_LE(lv.values.size(1), lv.spec.levels());
  auto rows = axis < 0 ? out.reshape({1, -1}) : out.transpose(0, axis).reshape({channels, -1});
  for (std::int64_t c = 0; c < channels; ++c) {
    auto row_values = lv.values[c];
    EXPECT_TRUE(torch::all(row_values.slice(0, 1) > row_values.slice(0, 0, -1)).item<bool>())
        << "levels of channel " << c << " are not strictly ascending";
    auto hit = (rows[c].unsqueeze(1) == row_values.unsqueeze(0)).any(1);
    const auto misses = (~hit).sum().item<std::int64_t>();
    EXPECT_EQ(misses, 0) << misses << " outputs of channel " << c << " are not levels, e.g. "
                         << rows[c].masked_select(~hit).slice(0, 0, 3);
    // The spec describes the values: value / scale + z is an integer code in range.
    const double scale = lv.spec.step(static_cast<std::size_t>(c));
    const double z = lv.spec.zero_point(static_cast<std::size_t>(c));
    auto v = row_values.to(torch::kFloat64);
    for (std::int64_t j = 0; j < v.numel(); ++j) {
      const double code = v[j].item<double>() / scale + z;
      EXPECT_NEAR(code, std::round(code), 1e-6 * std::max(1.0, std::abs(code))) << "channel " << c;
      EXPECT_GE(std::round(code), lv.spec.qmin());
      EXPECT_LE(std::round(code), lv.spec.qmax());
    }
  }
}

// Central finite difference of sum(f(x)) with respect to each element of x (double).
inline torch::Tensor numeric_gradient(const std::function<torch::Tensor(const torch::Tensor&)>& f,
                                      const torch::Tensor& x, double h) {
  torch::NoGradGuard no_grad;
  auto flat = x.detach().to(torch::kFloat64).reshape({-1}).clone();
  auto grad = torch::zeros_like(flat);
  for (std::int64_t i = 0; i < flat.numel(); ++i) {
    auto plus = flat.clone();
    auto minus = flat.clone();
    plus[i] += h;
    minus[i] -= h;
    const double fp = f(plus.view(x.sizes())).sum().item<double>();
    const double fm = f(minus.view(x.sizes())).sum().item<double>();
    grad[i] = (fp - fm) / (2 * h);
  }
  return grad.view(x.sizes());
}

// The autograd gradient of sum(q(x)) with respect to x.
inline torch::Tensor input_gradient(Quantizer& q, const torch::Tensor& x) {
  auto xg = x.detach().clone().requires_grad_(true);
  q->forward(xg).sum().backward();
  return xg.grad();
}

inline torch::Tensor named(const torch::OrderedDict<std::string, torch::Tensor>& dict, const std::string& name) {
  const torch::Tensor* t = dict.find(name);
  EXPECT_NE(t, nullptr) << "no tensor named " << name;
  return t ? *t : torch::Tensor();
}

inline std::string config_error_message(const QuantizerOptions& o) {
  try {
    make_quantizer(o);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no ConfigError)";
}

}  // namespace bitlab::train::testing
