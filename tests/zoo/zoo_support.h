#pragma once
// Shared by the zoo tests: zoo networks with random BatchNorm statistics,
// fake-quantised per a policy, their quantisers initialised without a forward
// pass at full resolution.
#include <torch/torch.h>

#include <string>

#include <nlohmann/json.hpp>

#include "ir/graph.h"
#include "train/editing/fold_batchnorm.h"
#include "train/editing/quantize_model.h"
#include "train/modules/activation_quantizer.h"
#include "train/trace/trace_model.h"
#include "zoo/networks.h"

namespace bitlab::zoo::testing {

// BatchNorm statistics a trained network might have (identity statistics make
// folding trivial and hide bugs).
inline void randomise_batchnorm(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& m : net.modules()) {
    auto set = [](auto& bn) {
      bn.weight.uniform_(0.5, 1.5);
      bn.bias.uniform_(-0.3, 0.3);
      bn.running_mean.uniform_(-0.2, 0.2);
      bn.running_var.uniform_(0.5, 2.0);
    };
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get())) set(*bn);
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm1dImpl*>(m.get())) set(*bn);
  }
}

// Gives every activation quantiser a range from a small random batch of its
// own: enough to trace and count, without running a 224×224 forward pass.
inline void init_quantisers_without_data(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  net.train();
  for (auto& m : net.modules()) {
    if (auto* q = dynamic_cast<train::ActivationQuantizerImpl*>(m.get()); q && !q->initialized()) {
      (void)q->forward(torch::rand({256}) * 4.0 - 1.0);
    }
  }
  net.eval();
}

inline std::vector<int64_t> torch_shape(const NetworkSpec& spec, int64_t batch) { return zoo::input_shape(spec, batch); }

}  // namespace bitlab::zoo::testing
