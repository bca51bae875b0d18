#pragma once
// The precision a cost model assumes for each layer, without LibTorch: search
// costs a candidate policy by building one of these instead of training it.
// A later adapter maps train::PrecisionPolicy onto it (docs/cost-models.md §1).
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace bitlab::hw {

struct LayerPrecision {
  static constexpr int kMinBits = 1;
  static constexpr int kMaxBits = 32;  // 32 stands for an unquantised float32 operand

  int weight_bits = 8;
  // Bits of the activations this layer *writes* (its output codes), as a
  // policy's activation quantiser after the layer sets them. The bits a layer
  // *reads* are those of whatever produced its input.
  int activation_bits = 8;

  // Throws std::invalid_argument naming `what` unless both widths are in [1, 32].
  void validate(const std::string& what) const;
  bool operator==(const LayerPrecision&) const = default;
};

struct PrecisionAssignment {
  // Bits of the graph inputs (a policy's `input` quantiser).
  int input_bits = 8;
  // Layers not named in `layers`.
  LayerPrecision default_precision = {};
  // IR node name -> precision. A compute layer (conv, linear, add, avgpool)
  // takes the entry's weight and activation bits; any other node named here
  // (e.g. a ReLU activation point) re-sets the activation bits of its output.
  std::map<std::string, LayerPrecision, std::less<>> layers = {};

  // Throws std::invalid_argument for a width out of range.
  void validate() const;
  [[nodiscard]] const LayerPrecision& of(const std::string& node_name) const;
  [[nodiscard]] bool names(const std::string& node_name) const { return layers.count(node_name) > 0; }

  // Every layer at the same widths: "w4a4".
  static PrecisionAssignment uniform(int weight_bits, int activation_bits, int input_bits = 8);
};

// The precision a graph already carries: weight bits from the integer weight
// tensor (or the float graph's weight_quant spec; 32 when absent), activation
// bits from the code tensor a layer's output ends up in after requantisation
// (or the Quant node after it in a float graph; 32 when none), input bits
// likewise. Lets an integer graph be costed as it is.
PrecisionAssignment precision_from_graph(const ir::Graph& graph);

}  // namespace bitlab::hw
