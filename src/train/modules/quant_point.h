#pragma once
// A place in a float network where the quantised network must quantise
// although no activation function sits there: MobileNetV2's linear
// bottlenecks, whose projection output feeds the next block's convolution
// directly. The integer graph needs codes between two weight layers, so
// quantize_model turns this identity into a QActivation of kind kIdentity
// (an output quantiser only).
#include <torch/torch.h>

namespace bitlab::train {

class QuantPointImpl : public torch::nn::Module {
 public:
  torch::Tensor forward(const torch::Tensor& x) { return x; }
};
TORCH_MODULE(QuantPoint);

}  // namespace bitlab::train
