#pragma once
// Shared helpers of the weight-only / non-uniform quantiser tests.
#include <torch/torch.h>

#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "train/quantizers/quantizer.h"

namespace bitlab::train::testing_nonuniform {

inline QuantizerOptions weight_options(const std::string& algorithm, int bits,
                                       nlohmann::json params = nlohmann::json::object()) {
  QuantizerOptions o;
  o.algorithm = algorithm;
  o.role = TensorRole::kWeight;
  o.bits = bits;
  o.params = std::move(params);
  return o;
}

inline QuantizerOptions per_channel(QuantizerOptions o, int64_t channels, int64_t axis = 0) {
  o.granularity = quant::Granularity::PerChannel;
  o.channels = channels;
  o.axis = axis;
  return o;
}

// Every element of `y` equals (exactly) one of the values of its channel's
// row of `levels.values`; channel = index along `axis` (per-channel) or row 0.
inline ::testing::AssertionResult on_levels(const torch::Tensor& y, const LevelSet& levels, int64_t axis = 0) {
  const torch::Tensor values = levels.values.to(torch::kFloat64);
  const bool per_channel = values.size(0) > 1;
  const torch::Tensor rows = per_channel ? y.detach().movedim(axis, 0).reshape({values.size(0), -1})
                                         : y.detach().reshape({1, -1});
  const torch::Tensor r = rows.to(torch::kFloat64);
  // [C, N, 1] == [C, 1, L]
  const torch::Tensor hit = (r.unsqueeze(2) == values.unsqueeze(1)).any(2);
  if (hit.all().item<bool>()) return ::testing::AssertionSuccess();
  const auto bad = torch::nonzero(~hit)[0];
  return ::testing::AssertionFailure() << "value " << r[bad[0]][bad[1]].item<double>() << " of channel "
                                       << bad[0].item<int64_t>() << " is not among " << values[bad[0]];
}

inline ::testing::AssertionResult sorted_rows(const torch::Tensor& values) {
  if (values.size(1) < 2) return ::testing::AssertionSuccess();
  const torch::Tensor diff = values.slice(1, 1) - values.slice(1, 0, -1);
  if ((diff >= 0).all().item<bool>()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "rows are not sorted ascending: " << values;
}

// Saves `from` and loads it into `to` (the checkpoint code's Module::save / load).
inline void round_trip(torch::nn::Module& from, torch::nn::Module& to) {
  torch::serialize::OutputArchive out;
  from.save(out);
  std::ostringstream stream;
  out.save_to(stream);
  std::istringstream in_stream(stream.str());
  torch::serialize::InputArchive in;
  in.load_from(in_stream);
  to.load(in);
}

}  // namespace bitlab::train::testing_nonuniform
