#pragma once
// Turns a float network into its fake-quantised counterpart according to a
// precision policy: Conv2d → QConv2d, Linear → QLinear, ReLU / ReLU6 →
// QActivation, AvgPool2d → QAvgPool, and a quantiser on the network input.
// The edited network keeps the float (latent) weights; BatchNorm should be
// folded first (fold_batchnorm) so the weights quantised are those deployed.
#include <string>
#include <vector>

#include "train/classifier.h"
#include "train/policy.h"

namespace bitlab::train {

struct QuantizedLayers {
  std::vector<std::string> weight_layers;      // names of QConv2d / QLinear
  std::vector<std::string> activation_layers;  // names of QActivation / QAvgPool
};

// Throws ConfigError when a policy rule names no layer of this network.
QuantizedLayers quantize_model(Classifier& model, const PrecisionPolicy& policy);

// Layers quantize_model would edit, without editing (for validating policies and reports).
QuantizedLayers quantizable_layers(Classifier& model);

// Tells every quantiser how far QAT has progressed (annealing, incremental freezing).
void set_quantization_progress(torch::nn::Module& model, double progress);

}  // namespace bitlab::train
