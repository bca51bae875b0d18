#pragma once
// Turns a float network into its fake-quantised counterpart according to a
// precision policy: Conv2d → QConv2d, Linear → QLinear, ReLU / ReLU6 →
// QActivation, QuantPoint → QActivation (identity), AvgPool2d → QAvgPool, the float add of every Residual → QAdd
// (layer "<block>.add", an activation rule), and a quantiser on the network input.
// The edited network keeps the float (latent) weights. BatchNorm is either
// folded first (fold_batchnorm) so the weights quantised are those deployed,
// or trained folded: options.train_batchnorm turns each Conv2d→BatchNorm2d
// pair into one QConvBn2d (docs/algorithms.md, "BatchNorm folding").
#include <string>
#include <vector>

#include "train/classifier.h"
#include "train/modules/qconv_bn2d.h"
#include "train/policy.h"

namespace bitlab::train {

struct QuantizedLayers {
  std::vector<std::string> weight_layers;      // names of QConv2d / QConvBn2d / QLinear
  std::vector<std::string> activation_layers;  // names of QActivation / QAvgPool
};

struct QuantizeModelOptions {
  // Replace each Conv2d→BatchNorm2d pair adjacent in a Sequential by a
  // QConvBn2d named as the conv (its BatchNorm becomes an Identity); other
  // BatchNorms are left as they are.
  bool train_batchnorm = false;
  QConvBn2dOptions conv_bn;
};

// Throws ConfigError when a policy rule names no layer of this network.
QuantizedLayers quantize_model(Classifier& model, const PrecisionPolicy& policy,
                               const QuantizeModelOptions& options = {});

// Layers quantize_model would edit, without editing (for validating policies and reports).
QuantizedLayers quantizable_layers(Classifier& model);

// Tells every quantiser, and every QConvBn2d, how far QAT has progressed
// (annealing, incremental freezing, BatchNorm statistics freezing).
void set_quantization_progress(torch::nn::Module& model, double progress);

}  // namespace bitlab::train
