#pragma once
// Post-training calibration: run a few batches through the network with every
// activation quantisation point observing (activations pass unquantised), then
// give each quantiser the range its observer proposes.
#include <torch/torch.h>

#include "train/calibration/range_observer.h"
#include "train/classifier.h"

namespace bitlab::train {

// Uses the first options.batches × options.batch_size images, in order, in eval mode.
// Returns how many quantisation points were calibrated.
int calibrate_activations(Classifier& model, const torch::Tensor& images, const CalibrationOptions& options,
                          const torch::Device& device);

}  // namespace bitlab::train
