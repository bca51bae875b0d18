#pragma once
// The tracer: a fake-quantised LibTorch classifier (a network after
// quantize_model, trained or calibrated) → the fake-quantised float IR graph
// that ir::passes::convert turns into an integer graph (docs/conversion.md,
// "Input"). Torch-free header: the model is only named here.
#include <string>

#include "ir/graph.h"

namespace bitlab::train {

class Classifier;

struct TraceOptions {
  // [N, C, H, W] (or [N, features]) of the graph input; N is the batch the graph is built for.
  ir::Shape input_shape;
  std::string graph_name = "net";
  std::string input_name = "images";
  // The integer graph's outputs are codes, but a classifier's last linear layer
  // has no quantiser (its float logits feed the loss). The tracer closes such
  // an output with a signed symmetric quant of this many bits whose step covers
  // the layer's static bound (Σ|w|·max|x| + |b|, from the weight codes and the
  // input grid), so it never saturates and needs no calibration data. 0 leaves
  // the output unquantised: the graph then equals the LibTorch model exactly,
  // but convert() refuses it.
  int output_bits = 16;
  // Weight level sets with no common integer grid (TTQ with Wp != Wn, learned
  // codebooks) are rounded onto a symmetric signed grid of this many bits whose
  // largest code is the largest level; each level moves by at most
  // max|level| / (2^bits - 2), so the graph differs from the model by that
  // rounding (docs/conversion.md, "Non-uniform weights"). In [2, 16].
  int level_grid_bits = 8;
};

// Contract: walks the model's input quantiser, then every child Sequential in
// registration order (nested Sequentials depth first) — the forward bitlab's
// zoo networks run (docs/architecture.md, "Why Sequentials"). Emits: the input
// quant; conv2d / linear with the quantiser's output weights stored as float32
// (they lie on the weight grid, so weight_quant reproduces their codes) and the
// weight quantiser's uniform spec; the folded weights and bias of a QConvBn2d;
// batchnorm for a kept BatchNorm2d (running statistics); relu and quant for a
// QActivation; avgpool and quant for a QAvgPool; maxpool; flatten; and the
// output quant of TraceOptions::output_bits; for a train::Residual, both
// branches from the block input, each quantised by its QAdd input quantiser,
// then add. Dropout and Identity vanish (eval).
// The returned graph passes ir::validate and, run by runtime::run_fake_quantised,
// computes what model.eval() computes (in float64 rather than float32).
//
// Non-uniform weight quantisers are stored as integer codes (train/trace/
// weight_grid.h): binary, TWN and log2 exactly, TTQ and codebooks rounded
// onto TraceOptions::level_grid_bits (then eval() and the graph differ by that
// rounding).
//
// Throws ConfigError naming the layer and the fix for what the integer graph
// cannot express: a non-uniform activation quantiser, log2 weights wider than
// 16 integer bits, an unquantised Conv2d / Linear / AvgPool2d or
// Residual merge (a float add), a QAdd / QConcat outside a Residual, a model
// without an input quantiser, an activation quantiser that never saw data, a
// clipped activation whose quantiser range does not clip where it does, and
// modules the tracer does not know (naming their type).
ir::Graph trace_model(Classifier& model, const TraceOptions& options);

}  // namespace bitlab::train
