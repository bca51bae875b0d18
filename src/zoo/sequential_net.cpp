#include "zoo/sequential_net.h"

#include <stdexcept>

#include "train/modules/residual.h"

namespace bitlab::zoo {

SequentialNetImpl::SequentialNetImpl(std::vector<std::pair<std::string, torch::nn::Sequential>> stages) {
  if (stages.empty()) throw std::invalid_argument("SequentialNet: needs at least one stage");
  for (auto& [name, seq] : stages) stages_.push_back(register_module(name, seq));
}

torch::Tensor SequentialNetImpl::forward(torch::Tensor x) {
  x = quantize_input(x);
  for (auto& s : stages_) x = s->forward(x);
  return x;
}

namespace {

// Runs `seq` on x, adding each weight layer's MACs: output elements × fan-in.
torch::Tensor run_counting(torch::nn::SequentialImpl& seq, torch::Tensor x, int64_t& macs) {
  for (size_t i = 0; i < seq.size(); ++i) {
    const std::shared_ptr<torch::nn::Module> m = seq.ptr(i);
    if (auto* inner = dynamic_cast<torch::nn::SequentialImpl*>(m.get())) {
      x = run_counting(*inner, x, macs);
    } else if (auto* r = dynamic_cast<train::ResidualImpl*>(m.get())) {
      const torch::Tensor a = run_counting(*r->main, x, macs);
      x = a + (r->shortcut->is_empty() ? x : run_counting(*r->shortcut, x, macs));
    } else {
      const torch::Tensor y = (seq.begin() + static_cast<std::ptrdiff_t>(i))->forward(x);
      if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(m.get())) {
        macs += y.numel() * (conv->weight.numel() / conv->weight.size(0));
      } else if (auto* linear = dynamic_cast<torch::nn::LinearImpl*>(m.get())) {
        macs += y.numel() * linear->weight.size(1);
      }
      x = y;
    }
  }
  return x;
}

}  // namespace

int64_t count_macs(SequentialNetImpl& net, const std::vector<int64_t>& input_shape) {
  torch::NoGradGuard no_grad;
  const bool training = net.is_training();
  net.eval();
  std::vector<int64_t> shape{1};
  shape.insert(shape.end(), input_shape.begin(), input_shape.end());
  torch::Tensor x = torch::zeros(shape);
  int64_t macs = 0;
  for (torch::nn::Sequential stage : net.stages()) x = run_counting(*stage, x, macs);
  net.train(training);
  return macs;
}

void add_conv_bn(torch::nn::Sequential& seq, const std::string& conv, const std::string& bn, const std::string& act,
                 const ConvSpec& s, Act activation) {
  seq->push_back(std::string(conv), torch::nn::Conv2d(torch::nn::Conv2dOptions(s.in, s.out, s.kernel)
                                             .stride(s.stride)
                                             .padding(s.padding)
                                             .groups(s.groups)
                                             .bias(s.bias)));
  seq->push_back(std::string(bn), torch::nn::BatchNorm2d(s.out));
  if (activation == Act::kRelu) seq->push_back(std::string(act), torch::nn::ReLU());
  if (activation == Act::kRelu6) seq->push_back(std::string(act), torch::nn::ReLU6());
}

int64_t conv_output_side(int64_t side, int64_t kernel, int64_t stride, int64_t padding) {
  return (side + 2 * padding - kernel) / stride + 1;
}

}  // namespace bitlab::zoo
