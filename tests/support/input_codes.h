#pragma once
// The integer graph's input codes for a float batch, as a caller of a converted graph makes
// them: each input quantised by the quant that reads it in the fake-quantised graph
// (ir::passes::input_quantisers). For the LibTorch tests that trace, convert and compare.
#include <torch/torch.h>

#include <vector>

#include "ir/passes/convert.h"
#include "quant/uniform.h"
#include "runtime/tensor.h"

namespace bitlab::testing {

inline runtime::IntTensorMap input_codes(const ir::Graph& fake_quantised, const torch::Tensor& images) {
  const torch::Tensor x32 = images.to(torch::kFloat32).contiguous();
  const std::vector<float> x(x32.data_ptr<float>(), x32.data_ptr<float>() + x32.numel());
  runtime::IntTensorMap codes;
  for (const auto& q : ir::passes::input_quantisers(fake_quantised)) {
    const ir::Shape& shape = fake_quantised.tensor(q.name).shape;
    const auto c = quant::quantise(x, shape, q.spec, {q.rounding});
    codes.emplace(q.name, runtime::IntTensor{shape, {c.begin(), c.end()}});
  }
  return codes;
}

}  // namespace bitlab::testing
