#pragma once
// The zoo's reference networks (names and input shapes: zoo/network_names.h),
// each a SequentialNet whose residual blocks are train::Residual elements, so
// that BN folding, quantize_model and the tracer handle them unchanged.
// Deviations from the references, all without effect on parameter or MAC
// counts, are listed with each builder.
#include <string_view>

#include "zoo/network_names.h"
#include "zoo/sequential_net.h"

namespace bitlab::zoo {

// MLPerf Tiny KWS reference (mlcommons/tiny, keyword_spotting keras_model.py
// "ds_cnn"): conv 64 10×4 stride 2 → 4 × (depthwise 3×3 → pointwise 64), each
// conv with bias + BN + ReLU → average pool → FC. Input [1, 49, 10]. TF's
// asymmetric 'same' padding (4/5 rows) becomes the symmetric (5, 1), which gives
// the same 25×5 map; the reference's 24×5 pool (int(49/2)) becomes a global 25×5 one.
SequentialNet ds_cnn(int64_t num_classes = 12);

// CIFAR ResNets. ResNet-8 is the MLPerf Tiny IC reference (keras_model.py
// "resnet_v1_eembc" with 16 filters): 3 stacks of one basic block (16/32/64),
// conv biases, 1×1 conv shortcuts without BN where the shape changes.
// ResNet-20 is He et al. 2016 §4.2 (3 stages × 3 blocks) with option-B
// shortcuts (1×1 conv + BN where the shape changes; the paper's option A pads
// with zeros, an op the IR lacks) and no conv biases.
SequentialNet resnet8(int64_t num_classes = 10);
SequentialNet resnet20(int64_t num_classes = 10);

// MobileNetV1 (Howard et al. 2017) with width multiplier `width` (channels
// int(c·width), as Keras) at `resolution`: conv-BN-act blocks, a global average
// pool, an FC head. `relu6` as in the paper's TF implementation; the MLPerf
// Tiny VWW reference (0.25, 96×96, 2 classes) uses ReLU.
SequentialNet mobilenet_v1(double width, int64_t resolution, int64_t num_classes, bool relu6);

// MobileNetV2 (Sandler et al. 2018, Table 2) at width 1.0: inverted residual
// blocks (expand 1×1 → depthwise 3×3 → project 1×1, ReLU6), a Residual where
// stride is 1 and channels match, 1×1 conv to 1280, global pool, FC.
SequentialNet mobilenet_v2(int64_t resolution = 224, int64_t num_classes = 1000);

// MLPerf Tiny AD reference (anomaly_detection keras_model.py): 640 → 4 ×
// (Dense 128 + BN + ReLU) → Dense 8 + BN + ReLU → 4 × (Dense 128 + BN + ReLU) → Dense 640.
SequentialNet fc_autoencoder(int64_t inputs = 640);

// The network kNetworks names; throws std::invalid_argument for other names.
SequentialNet build_zoo_network(std::string_view name);

}  // namespace bitlab::zoo
