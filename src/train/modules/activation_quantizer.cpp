#include "train/modules/activation_quantizer.h"

namespace bitlab::train {

ActivationQuantizerImpl::ActivationQuantizerImpl(const QuantizerOptions& options) {
  QuantizerOptions o = options;
  o.role = TensorRole::kActivation;
  quantizer_ = register_module("quantizer", make_quantizer(o));
  initialized_ = register_buffer("initialized", torch::zeros({}, torch::kBool));
}

torch::Tensor ActivationQuantizerImpl::forward(const torch::Tensor& x) {
  if (observer_) {
    observer_->observe(x);
    return x;
  }
  if (!initialized()) {
    torch::NoGradGuard no_grad;
    quantizer_->initialize(x.detach());
    initialized_.fill_(true);
  }
  return quantizer_->forward(x);
}

void ActivationQuantizerImpl::begin_calibration(const CalibrationOptions& options) {
  observer_ = std::make_unique<RangeObserver>(options);
}

void ActivationQuantizerImpl::end_calibration() {
  if (!observer_) return;
  auto observer = std::move(observer_);
  if (observer->empty()) return;
  const auto& o = quantizer_->options();
  auto [lo, hi] = observer->range(o.bits, o.is_signed);
  torch::NoGradGuard no_grad;
  auto device = initialized_.device();
  quantizer_->set_range(torch::full({1}, lo, torch::TensorOptions().device(device)),
                        torch::full({1}, hi, torch::TensorOptions().device(device)));
  initialized_.fill_(true);
}

}  // namespace bitlab::train
