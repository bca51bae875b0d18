#pragma once
// A quantisation point on an activation: the quantiser plus what it needs
// around it at run time — lazy initialisation from the first batch it sees
// (QAT from float) and an observer while calibrating (PTQ, QAT from PTQ).
#include <torch/torch.h>

#include <memory>

#include "train/calibration/range_observer.h"
#include "train/quantizers/quantizer.h"

namespace bitlab::train {

class ActivationQuantizerImpl : public torch::nn::Module {
 public:
  explicit ActivationQuantizerImpl(const QuantizerOptions& options);

  // Calibrating: records x and returns it unquantised. Otherwise: quantises,
  // initialising the quantiser from this batch if nothing did before.
  torch::Tensor forward(const torch::Tensor& x);

  void begin_calibration(const CalibrationOptions& options);
  // Sets the quantiser's range from what was observed; a point that saw no
  // data keeps its current state.
  void end_calibration();

  bool initialized() const { return initialized_.item<bool>(); }
  Quantizer& quantizer() { return quantizer_; }
  const Quantizer& quantizer() const { return quantizer_; }

 private:
  Quantizer quantizer_{nullptr};
  torch::Tensor initialized_;  // buffer, so a checkpoint remembers it
  std::unique_ptr<RangeObserver> observer_;
};
TORCH_MODULE(ActivationQuantizer);

}  // namespace bitlab::train
