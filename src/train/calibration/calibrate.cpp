#include "train/calibration/calibrate.h"

#include "train/modules/activation_quantizer.h"

namespace bitlab::train {

int calibrate_activations(Classifier& model, const torch::Tensor& images, const CalibrationOptions& options,
                          const torch::Device& device) {
  std::vector<ActivationQuantizerImpl*> points;
  for (const auto& m : model.modules()) {
    if (auto* p = dynamic_cast<ActivationQuantizerImpl*>(m.get())) points.push_back(p);
  }
  for (auto* p : points) p->begin_calibration(options);
  torch::NoGradGuard no_grad;
  bool was_training = model.is_training();
  model.eval();
  int64_t n = std::min(images.size(0), options.batches * options.batch_size);
  for (int64_t start = 0; start < n; start += options.batch_size) {
    model.forward(images.narrow(0, start, std::min(options.batch_size, n - start)).to(device));
  }
  for (auto* p : points) p->end_calibration();
  model.train(was_training);
  return static_cast<int>(points.size());
}

}  // namespace bitlab::train
