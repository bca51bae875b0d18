#include "zoo/fmnist_cnn.h"

#include <fmt/format.h>

#include <stdexcept>

namespace bitlab::zoo {
namespace {

void validate(const FmnistCnnOptions& o) {
  if (o.channels.empty()) throw std::invalid_argument("FmnistCnn: channels must name at least one block");
  int64_t side = o.image_size;
  for (size_t b = 0; b < o.channels.size(); ++b) {
    side /= 2;
    if (side < 1) {
      throw std::invalid_argument(fmt::format(
          "FmnistCnn: {} pooling blocks shrink a {}px image below 1px; use fewer blocks",
          o.channels.size(), o.image_size));
    }
  }
}

int64_t feature_side(const FmnistCnnOptions& o) {
  int64_t side = o.image_size;
  for (size_t b = 0; b < o.channels.size(); ++b) side /= 2;
  return side;
}

}  // namespace

FmnistCnnImpl::FmnistCnnImpl(FmnistCnnOptions options) : options_(std::move(options)) {
  validate(options_);
  features_ = torch::nn::Sequential();
  int64_t in = options_.in_channels;
  for (size_t b = 0; b < options_.channels.size(); ++b) {
    int64_t out = options_.channels[b];
    for (int64_t j = 0; j < options_.convs_per_block; ++j) {
      // No conv bias: the following BatchNorm's shift makes it redundant.
      features_->push_back(fmt::format("conv{}_{}", b, j),
                           torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
      features_->push_back(fmt::format("bn{}_{}", b, j), torch::nn::BatchNorm2d(out));
      features_->push_back(fmt::format("relu{}_{}", b, j), torch::nn::ReLU());
      in = out;
    }
    features_->push_back(fmt::format("pool{}", b), torch::nn::MaxPool2d(2));
  }
  classifier_ = torch::nn::Sequential();
  classifier_->push_back("flatten", torch::nn::Flatten());
  int64_t flat = in * feature_side(options_) * feature_side(options_);
  if (options_.hidden > 0) {
    classifier_->push_back("fc0", torch::nn::Linear(flat, options_.hidden));
    classifier_->push_back("relu_fc0", torch::nn::ReLU());
    flat = options_.hidden;
  }
  if (options_.dropout > 0) classifier_->push_back("dropout", torch::nn::Dropout(options_.dropout));
  classifier_->push_back("fc_out", torch::nn::Linear(flat, options_.num_classes));
  register_module("features", features_);
  register_module("classifier", classifier_);
}

torch::Tensor FmnistCnnImpl::forward(torch::Tensor x) {
  return classifier_->forward(features_->forward(quantize_input(x)));
}

int64_t count_macs(const FmnistCnnOptions& o) {
  validate(o);
  int64_t macs = 0, side = o.image_size, in = o.in_channels;
  for (int64_t out : o.channels) {
    for (int64_t j = 0; j < o.convs_per_block; ++j) {
      macs += side * side * out * in * 9;
      in = out;
    }
    side /= 2;
  }
  int64_t flat = in * side * side;
  if (o.hidden > 0) {
    macs += flat * o.hidden;
    flat = o.hidden;
  }
  return macs + flat * o.num_classes;
}

}  // namespace bitlab::zoo
