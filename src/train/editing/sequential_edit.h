#pragma once
// In-place edits of torch::nn::Sequential containers. LibTorch modules call
// their children through C++ members, so a child can only be swapped where the
// parent looks it up at run time: inside a Sequential. bitlab's zoo builds
// every network from Sequentials for this reason (docs/architecture.md).
#include <torch/torch.h>

#include <functional>
#include <string>

namespace bitlab::train {

// Visits every element of every Sequential under `root` (at any depth) with its
// full dotted name ("features.conv0_0"), its container and its index.
using SequentialVisitor = std::function<void(const std::string& name, torch::nn::SequentialImpl& container,
                                             size_t index, const std::shared_ptr<torch::nn::Module>& element)>;
void for_each_sequential_element(torch::nn::Module& root, const SequentialVisitor& visit);

// Replaces element `index` of `container`, keeping its name.
void replace_sequential_element(torch::nn::SequentialImpl& container, size_t index, torch::nn::AnyModule replacement);

}  // namespace bitlab::train
