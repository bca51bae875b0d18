#include "zoo/networks.h"

#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "train/modules/quant_point.h"
#include "train/modules/residual.h"

namespace bitlab::zoo {
namespace {

using torch::nn::Sequential;

Sequential classifier_head(int64_t features, int64_t num_classes) {
  Sequential head;
  head->push_back("flatten", torch::nn::Flatten());
  head->push_back("fc", torch::nn::Linear(features, num_classes));
  return head;
}

// One basic block: 3×3 conv-BN-ReLU → 3×3 conv-BN, plus the shortcut, then ReLU
// (appended to `features` after the Residual element).
void basic_block(Sequential& features, const std::string& name, int64_t in, int64_t out, int64_t stride, bool bias,
                 bool shortcut_bn) {
  Sequential main;
  add_conv_bn(main, "conv1", "bn1", "relu1", {.in = in, .out = out, .stride = {stride, stride}, .bias = bias}, Act::kRelu);
  add_conv_bn(main, "conv2", "bn2", "", {.in = out, .out = out, .bias = bias}, Act::kNone);
  Sequential shortcut;
  if (stride != 1 || in != out) {
    shortcut->push_back("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(bias)));
    if (shortcut_bn) shortcut->push_back("bn", torch::nn::BatchNorm2d(out));
  }
  features->push_back(std::string(name), train::Residual(main, shortcut));
  features->push_back("relu_" + name, torch::nn::ReLU());
}

SequentialNet cifar_resnet(int64_t blocks_per_stage, bool bias, bool shortcut_bn, int64_t num_classes) {
  Sequential features;
  add_conv_bn(features, "conv0", "bn0", "relu0", {.in = 3, .out = 16, .bias = bias}, Act::kRelu);
  int64_t in = 16;
  for (int64_t s = 0; s < 3; ++s) {
    const int64_t out = 16 << s;
    for (int64_t b = 0; b < blocks_per_stage; ++b) {
      basic_block(features, fmt::format("block{}_{}", s, b), in, out, s > 0 && b == 0 ? 2 : 1, bias, shortcut_bn);
      in = out;
    }
  }
  features->push_back("pool", torch::nn::AvgPool2d(8));  // 32 → 8 after two stride-2 stages
  return SequentialNet(std::vector<std::pair<std::string, Sequential>>{{"features", features},
                                                                      {"classifier", classifier_head(in, num_classes)}});
}

}  // namespace

SequentialNet ds_cnn(int64_t num_classes) {
  constexpr int64_t kFilters = 64;
  Sequential features;
  add_conv_bn(features, "conv0", "bn0", "relu0",
              {.in = 1, .out = kFilters, .kernel = {10, 4}, .stride = {2, 2}, .padding = {5, 1}, .bias = true},
              Act::kRelu);
  features->push_back("dropout0", torch::nn::Dropout(0.2));
  for (int i = 1; i <= 4; ++i) {
    add_conv_bn(features, fmt::format("dw{}", i), fmt::format("dw_bn{}", i), fmt::format("dw_relu{}", i),
                {.in = kFilters, .out = kFilters, .groups = kFilters, .bias = true}, Act::kRelu);
    add_conv_bn(features, fmt::format("pw{}", i), fmt::format("pw_bn{}", i), fmt::format("pw_relu{}", i),
                {.in = kFilters, .out = kFilters, .kernel = {1, 1}, .padding = {0, 0}, .bias = true}, Act::kRelu);
  }
  features->push_back("dropout1", torch::nn::Dropout(0.4));
  features->push_back("pool", torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions({25, 5})));
  return SequentialNet(std::vector<std::pair<std::string, Sequential>>{
      {"features", features}, {"classifier", classifier_head(kFilters, num_classes)}});
}

SequentialNet resnet8(int64_t num_classes) { return cifar_resnet(1, /*bias=*/true, /*shortcut_bn=*/false, num_classes); }

SequentialNet resnet20(int64_t num_classes) {
  return cifar_resnet(3, /*bias=*/false, /*shortcut_bn=*/true, num_classes);
}

SequentialNet mobilenet_v1(double width, int64_t resolution, int64_t num_classes, bool relu6) {
  if (resolution % 32 != 0) throw std::invalid_argument("mobilenet_v1: the resolution must be a multiple of 32");
  const Act act = relu6 ? Act::kRelu6 : Act::kRelu;
  auto ch = [width](int64_t c) { return static_cast<int64_t>(static_cast<double>(c) * width); };
  // (output channels, stride) of the 13 depthwise-separable blocks (Howard et al., Table 1).
  constexpr std::array<std::pair<int64_t, int64_t>, 13> kBlocks{{{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1},
                                                                  {512, 2}, {512, 1}, {512, 1}, {512, 1}, {512, 1},
                                                                  {512, 1}, {1024, 2}, {1024, 1}}};
  Sequential features;
  int64_t in = ch(32);
  add_conv_bn(features, "conv0", "bn0", "relu0", {.in = 3, .out = in, .stride = {2, 2}}, act);
  for (size_t i = 0; i < kBlocks.size(); ++i) {
    const auto [c, stride] = kBlocks[i];
    const int64_t out = ch(c);
    const int b = static_cast<int>(i) + 1;
    add_conv_bn(features, fmt::format("dw{}", b), fmt::format("dw_bn{}", b), fmt::format("dw_relu{}", b),
                {.in = in, .out = in, .stride = {stride, stride}, .groups = in}, act);
    add_conv_bn(features, fmt::format("pw{}", b), fmt::format("pw_bn{}", b), fmt::format("pw_relu{}", b),
                {.in = in, .out = out, .kernel = {1, 1}, .padding = {0, 0}}, act);
    in = out;
  }
  features->push_back("pool", torch::nn::AvgPool2d(resolution / 32));
  return SequentialNet(std::vector<std::pair<std::string, Sequential>>{{"features", features},
                                                                      {"classifier", classifier_head(in, num_classes)}});
}

SequentialNet mobilenet_v2(int64_t resolution, int64_t num_classes) {
  if (resolution % 32 != 0) throw std::invalid_argument("mobilenet_v2: the resolution must be a multiple of 32");
  // (expansion t, channels c, repeats n, first stride s): Sandler et al., Table 2.
  constexpr std::array<std::array<int64_t, 4>, 7> kStages{
      {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}}};
  Sequential features;
  add_conv_bn(features, "conv0", "bn0", "relu0", {.in = 3, .out = 32, .stride = {2, 2}}, Act::kRelu6);
  int64_t in = 32;
  int b = 0;
  for (const auto& [t, c, n, s] : kStages) {
    for (int64_t r = 0; r < n; ++r, ++b) {
      const int64_t stride = r == 0 ? s : 1;
      const int64_t hidden = in * t;
      Sequential main;
      if (t != 1) add_conv_bn(main, "expand", "expand_bn", "expand_relu", {.in = in, .out = hidden, .kernel = {1, 1}, .padding = {0, 0}}, Act::kRelu6);
      add_conv_bn(main, "dw", "dw_bn", "dw_relu", {.in = hidden, .out = hidden, .stride = {stride, stride}, .groups = hidden},
                  Act::kRelu6);
      add_conv_bn(main, "project", "project_bn", "", {.in = hidden, .out = c, .kernel = {1, 1}, .padding = {0, 0}}, Act::kNone);
      const std::string name = fmt::format("block{}", b);
      if (stride == 1 && in == c) {
        features->push_back(std::string(name), train::Residual(main, Sequential()));
      } else {
        // A Sequential cannot hold a Sequential (LibTorch's AnyModule needs a
        // typed forward), so a block without shortcut is spliced in by name.
        const auto children = main->named_children();
        for (size_t i = 0; i < children.size(); ++i) {
          features->push_back(name + "_" + children[i].key(), *(main->begin() + static_cast<std::ptrdiff_t>(i)));
        }
        // The linear bottleneck feeds the next block's expansion directly; the
        // integer graph needs its output on a grid (a Residual's QAdd gives
        // the others one).
        features->push_back(name + "_project_quant", train::QuantPoint());
      }
      in = c;
    }
  }
  add_conv_bn(features, "conv_last", "bn_last", "relu_last", {.in = in, .out = 1280, .kernel = {1, 1}, .padding = {0, 0}},
              Act::kRelu6);
  features->push_back("pool", torch::nn::AvgPool2d(resolution / 32));
  return SequentialNet(std::vector<std::pair<std::string, Sequential>>{
      {"features", features}, {"classifier", classifier_head(1280, num_classes)}});
}

SequentialNet fc_autoencoder(int64_t inputs) {
  constexpr std::array<int64_t, 9> kWidths{128, 128, 128, 128, 8, 128, 128, 128, 128};
  Sequential layers;
  int64_t in = inputs;
  for (size_t i = 0; i < kWidths.size(); ++i) {
    layers->push_back(fmt::format("fc{}", i), torch::nn::Linear(in, kWidths[i]));
    layers->push_back(fmt::format("bn{}", i), torch::nn::BatchNorm1d(kWidths[i]));
    layers->push_back(fmt::format("relu{}", i), torch::nn::ReLU());
    in = kWidths[i];
  }
  layers->push_back("fc_out", torch::nn::Linear(in, inputs));
  return SequentialNet(std::vector<std::pair<std::string, Sequential>>{{"layers", layers}});
}

SequentialNet build_zoo_network(std::string_view name) {
  if (name == "ds-cnn") return ds_cnn();
  if (name == "resnet8") return resnet8();
  if (name == "resnet20") return resnet20();
  if (name == "mobilenet-v1-0.25-96") return mobilenet_v1(0.25, 96, 2, /*relu6=*/false);
  if (name == "mobilenet-v1-0.75-224") return mobilenet_v1(0.75, 224, 1000, /*relu6=*/true);
  if (name == "mobilenet-v1-1.0-224") return mobilenet_v1(1.0, 224, 1000, /*relu6=*/true);
  if (name == "mobilenet-v2-1.0-224") return mobilenet_v2(224, 1000);
  if (name == "fc-autoencoder") return fc_autoencoder(640);
  std::string known;
  for (const auto& n : kNetworks) known += (known.empty() ? "" : ", ") + std::string(n.name);
  throw std::invalid_argument(fmt::format("zoo: unknown network \"{}\" (known: {})", name, known));
}

}  // namespace bitlab::zoo
