#include "train/editing/quantize_model.h"

#include "train/editing/sequential_edit.h"
#include "train/modules/qactivation.h"
#include "train/modules/qconv2d.h"
#include "train/modules/qconv_bn2d.h"
#include "train/modules/qlinear.h"
#include "train/modules/qmerge.h"
#include "train/modules/quant_point.h"
#include "train/modules/residual.h"

namespace bitlab::train {
namespace {

enum class Edit { kNone, kWeights, kActivation };

Edit classify(const torch::nn::Module& m) {
  if (dynamic_cast<const torch::nn::Conv2dImpl*>(&m) || dynamic_cast<const torch::nn::LinearImpl*>(&m)) {
    return Edit::kWeights;
  }
  if (dynamic_cast<const torch::nn::ReLUImpl*>(&m) || dynamic_cast<const torch::nn::ReLU6Impl*>(&m) ||
      dynamic_cast<const torch::nn::AvgPool2dImpl*>(&m) || dynamic_cast<const QuantPointImpl*>(&m)) {
    return Edit::kActivation;
  }
  return Edit::kNone;
}

// The BatchNorm2d right after element `index` of `container`, if there is one.
std::shared_ptr<torch::nn::BatchNorm2dImpl> batchnorm_after(torch::nn::SequentialImpl& container, size_t index) {
  if (index + 1 >= container.size()) return nullptr;
  return std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(container.ptr(index + 1));
}

// Every Residual under `model` with its dotted name; its merge is the
// activation layer "<name>.add".
std::vector<std::pair<std::string, ResidualImpl*>> residuals(Classifier& model) {
  std::vector<std::pair<std::string, ResidualImpl*>> out;
  for (const auto& item : model.named_modules("", /*include_self=*/false)) {
    if (auto* r = dynamic_cast<ResidualImpl*>(item.value().get())) out.emplace_back(item.key(), r);
  }
  return out;
}

}  // namespace

QuantizedLayers quantizable_layers(Classifier& model) {
  QuantizedLayers layers;
  for_each_sequential_element(model, [&](const std::string& name, torch::nn::SequentialImpl&, size_t,
                                         const std::shared_ptr<torch::nn::Module>& element) {
    switch (classify(*element)) {
      case Edit::kWeights: layers.weight_layers.push_back(name); break;
      case Edit::kActivation: layers.activation_layers.push_back(name); break;
      case Edit::kNone: break;
    }
  });
  for (const auto& [name, residual] : residuals(model)) layers.activation_layers.push_back(name + ".add");
  return layers;
}

QuantizedLayers quantize_model(Classifier& model, const PrecisionPolicy& policy, const QuantizeModelOptions& options) {
  std::vector<bool> used(policy.layers.size(), false);
  QuantizedLayers layers;
  auto device = model.parameters().empty() ? torch::Device(torch::kCPU) : model.parameters().front().device();
  for_each_sequential_element(model, [&](const std::string& name, torch::nn::SequentialImpl& container, size_t index,
                                         const std::shared_ptr<torch::nn::Module>& element) {
    const torch::nn::Module& m = *element;
    auto* conv = dynamic_cast<const torch::nn::Conv2dImpl*>(&m);
    auto bn = conv && options.train_batchnorm ? batchnorm_after(container, index) : nullptr;
    if (conv && bn) {
      // The next visit finds the Identity in the BatchNorm's slot and leaves it.
      QConvBn2d conv_bn(*conv, *bn, resolve_quantizer(policy, name, TensorRole::kWeight, &used), options.conv_bn);
      replace_sequential_element(container, index, torch::nn::AnyModule(conv_bn));
      replace_sequential_element(container, index + 1, torch::nn::AnyModule(torch::nn::Identity()));
      layers.weight_layers.push_back(name);
    } else if (conv) {
      replace_sequential_element(container, index, torch::nn::AnyModule(QConv2d(*conv, resolve_quantizer(policy, name, TensorRole::kWeight, &used))));
      layers.weight_layers.push_back(name);
    } else if (auto* linear = dynamic_cast<const torch::nn::LinearImpl*>(&m)) {
      replace_sequential_element(container, index, torch::nn::AnyModule(QLinear(*linear, resolve_quantizer(policy, name, TensorRole::kWeight, &used))));
      layers.weight_layers.push_back(name);
    } else if (dynamic_cast<const torch::nn::ReLUImpl*>(&m) || dynamic_cast<const torch::nn::ReLU6Impl*>(&m) ||
               dynamic_cast<const QuantPointImpl*>(&m)) {
      QActivationOptions options;
      options.kind = dynamic_cast<const torch::nn::ReLUImpl*>(&m)    ? ActivationKind::kRelu
                     : dynamic_cast<const torch::nn::ReLU6Impl*>(&m) ? ActivationKind::kRelu6
                                                                     : ActivationKind::kIdentity;
      replace_sequential_element(container, index, torch::nn::AnyModule(QActivation(options, resolve_quantizer(policy, name, TensorRole::kActivation, &used))));
      layers.activation_layers.push_back(name);
    } else if (auto* pool = dynamic_cast<const torch::nn::AvgPool2dImpl*>(&m)) {
      replace_sequential_element(container, index, torch::nn::AnyModule(QAvgPool(pool->options, resolve_quantizer(policy, name, TensorRole::kActivation, &used))));
      layers.activation_layers.push_back(name);
    }
  });
  for (const auto& [name, residual] : residuals(model)) {
    residual->quantize_merge(resolve_quantizer(policy, name + ".add", TensorRole::kActivation, &used));
    layers.activation_layers.push_back(name + ".add");
  }
  std::vector<std::string> all = layers.weight_layers;
  all.insert(all.end(), layers.activation_layers.begin(), layers.activation_layers.end());
  check_all_rules_used(policy, used, all);
  model.set_input_quantizer(ActivationQuantizer(resolve_input_quantizer(policy)));
  model.to(device);
  return layers;
}

void set_quantization_progress(torch::nn::Module& model, double progress) {
  for (const auto& m : model.modules()) {
    if (auto* q = dynamic_cast<QuantizerImpl*>(m.get())) q->set_progress(progress);
    if (auto* conv_bn = dynamic_cast<QConvBn2dImpl*>(m.get())) conv_bn->set_progress(progress);
  }
}

}  // namespace bitlab::train
