#include "train/editing/fold_batchnorm.h"

#include "train/editing/sequential_edit.h"

namespace bitlab::train {
namespace {

template <typename BatchNorm>
BatchNormStatistics statistics_of(const BatchNorm& bn) {
  return {bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.options.eps()};
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> fold_into(const torch::Tensor& weight, const torch::Tensor& bias,
                                                  const BatchNormStatistics& bn) {
  auto factor = torch::rsqrt(bn.var.to(torch::kFloat64) + bn.eps);
  if (bn.gamma.defined()) factor = factor * bn.gamma.to(torch::kFloat64);
  std::vector<int64_t> shape(static_cast<size_t>(weight.dim()), 1);
  shape[0] = -1;
  auto w = (weight.to(torch::kFloat64) * factor.view(shape)).to(weight.dtype());
  auto b0 = bias.defined() ? bias.to(torch::kFloat64) : torch::zeros_like(bn.mean, torch::kFloat64);
  auto b = (b0 - bn.mean.to(torch::kFloat64)) * factor;
  if (bn.beta.defined()) b = b + bn.beta.to(torch::kFloat64);
  return {w, b.to(weight.dtype())};
}

int fold_batchnorm(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  int count = 0;
  std::shared_ptr<torch::nn::Module> previous;
  torch::nn::SequentialImpl* previous_container = nullptr;
  size_t previous_index = 0;
  for_each_sequential_element(model, [&](const std::string&, torch::nn::SequentialImpl& container, size_t index,
                                         const std::shared_ptr<torch::nn::Module>& element) {
    auto* bn2 = dynamic_cast<torch::nn::BatchNorm2dImpl*>(element.get());
    auto* bn1 = dynamic_cast<torch::nn::BatchNorm1dImpl*>(element.get());
    bool adjacent = previous && previous_container == &container && previous_index + 1 == index;
    if ((bn2 || bn1) && adjacent) {
      if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(previous); conv && bn2) {
        auto [w, b] = fold_into(conv->weight, conv->bias, statistics_of(*bn2));
        const auto& o = conv->options;
        torch::nn::Conv2d replacement(torch::nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
                                          .stride(o.stride())
                                          .padding(o.padding())
                                          .dilation(o.dilation())
                                          .groups(o.groups())
                                          .padding_mode(o.padding_mode())
                                          .bias(true));
        replacement->weight.copy_(w);
        replacement->bias.copy_(b);
        replacement->to(conv->weight.device());
        replace_sequential_element(container, previous_index, torch::nn::AnyModule(replacement));
        replace_sequential_element(container, index, torch::nn::AnyModule(torch::nn::Identity()));
        ++count;
      } else if (auto linear = std::dynamic_pointer_cast<torch::nn::LinearImpl>(previous); linear && bn1) {
        auto [w, b] = fold_into(linear->weight, linear->bias, statistics_of(*bn1));
        torch::nn::Linear replacement(torch::nn::LinearOptions(linear->options.in_features(),
                                                               linear->options.out_features()).bias(true));
        replacement->weight.copy_(w);
        replacement->bias.copy_(b);
        replacement->to(linear->weight.device());
        replace_sequential_element(container, previous_index, torch::nn::AnyModule(replacement));
        replace_sequential_element(container, index, torch::nn::AnyModule(torch::nn::Identity()));
        ++count;
      }
    }
    previous = element;
    previous_container = &container;
    previous_index = index;
  });
  return count;
}

}  // namespace bitlab::train
