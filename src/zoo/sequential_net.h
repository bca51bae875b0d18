#pragma once
// A classifier that is nothing but a chain of named Sequentials, run in
// registration order after the input quantiser. The zoo's reference networks
// (zoo/networks.h) are built this way so that fold_batchnorm, quantize_model
// and the tracer, which all work on Sequentials and train::Residual blocks,
// handle them without per-network code (docs/architecture.md, "Why Sequentials").
#include <torch/torch.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "train/classifier.h"

namespace bitlab::zoo {

class SequentialNetImpl : public train::Classifier {
 public:
  // Stages in forward order, e.g. {{"features", ...}, {"classifier", ...}}.
  explicit SequentialNetImpl(std::vector<std::pair<std::string, torch::nn::Sequential>> stages);
  torch::Tensor forward(torch::Tensor x) override;
  const std::vector<torch::nn::Sequential>& stages() const { return stages_; }

 private:
  std::vector<torch::nn::Sequential> stages_;
};
TORCH_MODULE(SequentialNet);

// Multiply-accumulates per sample of the conv and linear layers of a float
// SequentialNet, found by running its Sequentials (and Residual branches)
// element by element on one zero input of `input_shape` ([C, H, W] or [F]).
// Quantised networks are costed from their traced graph (hw) instead.
int64_t count_macs(SequentialNetImpl& net, const std::vector<int64_t>& input_shape);

// Building blocks. `prefix` starts the element names ("conv0" → "conv0", "bn0", "relu0").
struct ConvSpec {
  int64_t in = 1, out = 1;
  std::array<int64_t, 2> kernel{3, 3};
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{1, 1};
  int64_t groups = 1;  // = in = out: depthwise
  bool bias = false;
};
enum class Act { kNone, kRelu, kRelu6 };

// Conv2d → BatchNorm2d → activation, named "<conv>", "<bn>", "<act>".
void add_conv_bn(torch::nn::Sequential& seq, const std::string& conv, const std::string& bn, const std::string& act,
                 const ConvSpec& spec, Act activation);

// The output side of a convolution or pooling (floor mode), for the builders' shape bookkeeping.
int64_t conv_output_side(int64_t side, int64_t kernel, int64_t stride, int64_t padding);

}  // namespace bitlab::zoo
