#include "train/editing/sequential_edit.h"

namespace bitlab::train {

void for_each_sequential_element(torch::nn::Module& root, const SequentialVisitor& visit) {
  // Collect first: visiting may replace modules, which would invalidate iteration.
  std::vector<std::pair<std::string, std::shared_ptr<torch::nn::SequentialImpl>>> containers;
  for (const auto& item : root.named_modules("", /*include_self=*/true)) {
    if (auto seq = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(item.value())) {
      containers.emplace_back(item.key(), seq);
    }
  }
  for (auto& [prefix, seq] : containers) {
    auto children = seq->named_children();
    for (size_t i = 0; i < children.size(); ++i) {
      std::string name = prefix.empty() ? children[i].key() : prefix + "." + children[i].key();
      visit(name, *seq, i, seq->ptr(i));
    }
  }
}

void replace_sequential_element(torch::nn::SequentialImpl& container, size_t index, torch::nn::AnyModule replacement) {
  std::string key = container.named_children()[index].key();
  container.replace_module(key, replacement.ptr());
  *(container.begin() + static_cast<std::ptrdiff_t>(index)) = std::move(replacement);
}

}  // namespace bitlab::train
