#pragma once
// A fake quantiser: a LibTorch module whose forward maps a float tensor onto a
// finite level set (the values the integer graph will hold, times their scale)
// and whose backward is the algorithm's gradient rule. Each QAT algorithm of
// docs/algorithms.md is one subclass; QConv2d / QLinear / QActivation hold them.
#include <torch/torch.h>

#include <memory>
#include <string>

#include "quant/spec.h"
#include "train/quantizers/catalog.h"
#include "train/quantizers/quantizer_options.h"

namespace bitlab::train {

// What the quantiser's forward can output. `kind` tells the integer graph how
// to store it: "uniform" and "log2" are integer codes with scales (spec), the
// others are small tables of values (binary {-a, a}, ternary {-a, 0, a}, codebook).
struct LevelSet {
  std::string kind;     // uniform | log2 | binary | ternary | codebook
  quant::QuantSpec spec;  // meaningful for uniform (and log2: bits, sign, scale)
  torch::Tensor values;   // [channels, L] every value forward() can produce, sorted per row
};

class QuantizerImpl : public torch::nn::Module {
 public:
  explicit QuantizerImpl(QuantizerOptions options) : options_(std::move(options)) {}

  virtual torch::Tensor forward(const torch::Tensor& x) = 0;

  // Sets learned/derived parameters (scale, clipping value, thresholds,
  // centroids...) from a representative tensor: the float weights for weight
  // quantisers, a calibration batch for activation quantisers.
  virtual void initialize(const torch::Tensor& x) = 0;

  // Sets the quantiser's range from calibration: per-channel (or 1-element)
  // min and max tensors. Algorithms without a range (binary, ternary,
  // codebook, INQ) ignore it.
  virtual void set_range(const torch::Tensor& min, const torch::Tensor& max) { (void)min; (void)max; }

  // Training progress in [0, 1] (fraction of the QAT schedule done). Annealed
  // and incremental algorithms (ANA, INQ) read it; at 1 every algorithm's
  // forward lands exactly on levels().
  virtual void set_progress(double progress) { progress_ = progress; }

  // The level set forward() maps onto, with the current parameters.
  virtual LevelSet levels() const = 0;

  const QuantizerOptions& options() const { return options_; }
  double progress() const { return progress_; }

 protected:
  QuantizerOptions options_;
  double progress_ = 0.0;
};
TORCH_MODULE(Quantizer);

// Builds the quantiser named by options.algorithm; throws ConfigError naming
// the algorithm (and the known ones) when it is unknown or not defined for the
// role (e.g. "inq" for activations), and for bad params.
Quantizer make_quantizer(const QuantizerOptions& options);

// Whether the catalog's algorithm exists and supports a role.
bool algorithm_supports(const std::string& algorithm, TensorRole role);

}  // namespace bitlab::train
