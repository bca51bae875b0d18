#include "train/modules/qmerge.h"

#include <fmt/format.h>

#include "common/error.h"

namespace bitlab::train {
namespace {

std::vector<ActivationQuantizer> make_inputs(torch::nn::Module& owner, int64_t inputs, QuantizerOptions q) {
  if (inputs < 2) throw ConfigError(fmt::format("a merge needs at least 2 inputs, got {}", inputs));
  q.role = TensorRole::kActivation;
  q.granularity = quant::Granularity::PerTensor;
  std::vector<ActivationQuantizer> out;
  for (int64_t i = 0; i < inputs; ++i) {
    out.push_back(owner.register_module(fmt::format("input_quantizer{}", i), ActivationQuantizer(q)));
  }
  return out;
}

}  // namespace

QAddImpl::QAddImpl(int64_t inputs, QuantizerOptions quantizer)
    : input_quantizers(make_inputs(*this, inputs, quantizer)) {}

torch::Tensor QAddImpl::forward(const torch::Tensor& a, const torch::Tensor& b) { return forward({a, b}); }

torch::Tensor QAddImpl::forward(const std::vector<torch::Tensor>& inputs) {
  if (inputs.size() != input_quantizers.size()) {
    throw std::invalid_argument(fmt::format("QAdd built for {} inputs got {}", input_quantizers.size(), inputs.size()));
  }
  torch::Tensor sum = input_quantizers[0]->forward(inputs[0]);
  for (size_t i = 1; i < inputs.size(); ++i) sum = sum + input_quantizers[i]->forward(inputs[i]);
  return sum;
}

QConcatImpl::QConcatImpl(int64_t inputs, int64_t dim, QuantizerOptions quantizer)
    : input_quantizers(make_inputs(*this, inputs, quantizer)), dim(dim) {}

torch::Tensor QConcatImpl::forward(const std::vector<torch::Tensor>& inputs) {
  if (inputs.size() != input_quantizers.size()) {
    throw std::invalid_argument(fmt::format("QConcat built for {} inputs got {}", input_quantizers.size(), inputs.size()));
  }
  std::vector<torch::Tensor> quantised;
  for (size_t i = 0; i < inputs.size(); ++i) quantised.push_back(input_quantizers[i]->forward(inputs[i]));
  return torch::cat(quantised, dim);
}

QAvgPoolImpl::QAvgPoolImpl(torch::nn::AvgPool2dOptions options, QuantizerOptions quantizer) : options(options) {
  quantizer.role = TensorRole::kActivation;
  quantizer.granularity = quant::Granularity::PerTensor;
  output_quantizer = register_module("output_quantizer", ActivationQuantizer(quantizer));
}

torch::Tensor QAvgPoolImpl::forward(const torch::Tensor& x) {
  return output_quantizer->forward(torch::nn::functional::avg_pool2d(x, options));
}

}  // namespace bitlab::train
