#include "train/modules/residual.h"

namespace bitlab::train {

ResidualImpl::ResidualImpl(torch::nn::Sequential main_branch, torch::nn::Sequential shortcut_branch)
    : main(register_module("main", std::move(main_branch))),
      shortcut(register_module("shortcut", std::move(shortcut_branch))) {}

torch::Tensor ResidualImpl::forward(const torch::Tensor& x) {
  const torch::Tensor a = main->forward(x);
  // Sequential::forward refuses an empty container; empty means identity here.
  const torch::Tensor b = shortcut->is_empty() ? x : shortcut->forward(x);
  return add ? add->forward(a, b) : a + b;
}

void ResidualImpl::quantize_merge(const QuantizerOptions& quantizer) {
  QAdd merge(2, quantizer);
  add = add ? replace_module("add", merge) : register_module("add", merge);
}

}  // namespace bitlab::train
