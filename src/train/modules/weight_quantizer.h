#pragma once
// The weight quantiser of a QConv2d / QLinear / QConvBn2d: channels run along
// axis 0 (output channels) when the policy asks for per-channel granularity.
#include <torch/torch.h>

#include "train/quantizers/quantizer.h"

namespace bitlab::train {

// A weight quantiser for `weight` ([out, ...]), initialised from it: pass the
// tensor the quantiser will actually see (for QConvBn2d, the folded weight).
Quantizer make_weight_quantizer(QuantizerOptions options, const torch::Tensor& weight);

}  // namespace bitlab::train
