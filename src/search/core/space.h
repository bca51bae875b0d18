#pragma once
// The search space of mixed-precision search (docs/search.md §1): per layer, a
// set of weight widths and a set of activation widths; a candidate is one
// choice index per knob. A candidate maps to the cost models' torch-free
// hw::PrecisionAssignment and to a precision-policy JSON that `bitlab train
// --policy` and job configs accept (docs/policies.md).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hw/precision.h"

namespace bitlab::search {

struct LayerSpace {
  // The layer with weights (Conv2d, Linear): its policy rule's `match` and its IR node name.
  std::string name;
  // Weight widths to choose from; one entry pins the layer; empty: no weight knob
  // (the layer keeps the policy default).
  std::vector<int> weight_bits;
  // The activation quantisation point whose output width this layer's activation
  // knob sets (e.g. the ReLU after the conv, "features.relu0_0"); empty: no activation knob.
  std::string activation_point;
  std::vector<int> activation_bits;
};

// One searched quantity: a layer's weight width or its activation width.
struct Knob {
  int layer = 0;         // index into SearchSpace::layers
  bool weights = true;   // false: activations
  std::vector<int> bits; // the choices (sorted ascending)
};

// A candidate: one index per knob (into Knob::bits).
using Genes = std::vector<int>;

struct SearchSpace {
  std::string algorithm = "ste";  // the QAT algorithm every rule uses
  int default_weight_bits = 8;     // layers outside the space
  int default_activation_bits = 8;
  int input_bits = 8;
  std::vector<LayerSpace> layers;

  // Derived: every knob with at least one choice, in layer order (weights first).
  // Call finalize() after filling `layers`; it sorts choice lists and validates.
  std::vector<Knob> knobs;
  void finalize();

  [[nodiscard]] std::size_t dimensions() const { return knobs.size(); }
  // Number of candidates (saturates at UINT64_MAX).
  [[nodiscard]] std::uint64_t size() const;
  // The mixed-radix index of a candidate and back (for enumerating small spaces).
  // Beyond 2^64 candidates index_of wraps (unsigned), and then serves only as a
  // hash for "seen before" sets, where a rare collision skips one candidate.
  [[nodiscard]] std::uint64_t index_of(const Genes& genes) const;
  [[nodiscard]] Genes from_index(std::uint64_t index) const;

  [[nodiscard]] bool valid(const Genes& genes) const;
  // Bits chosen by `genes` for layer `layer`: {weight bits, activation bits}, the
  // defaults where the layer has no such knob.
  [[nodiscard]] std::pair<int, int> layer_bits(const Genes& genes, int layer) const;
  // The genes choosing, for every knob, the choice closest to `bits`.
  [[nodiscard]] Genes uniform(int weight_bits, int activation_bits) const;
};

// "features.conv0_0=w4a8;classifier.fc_out=w8": the canonical key of a
// candidate, stable under reordering of choice lists; trials are cached by it.
std::string canonical_key(const SearchSpace& space, const Genes& genes);

// Layers take their weight bits; activation points their activation bits;
// the default precision covers the rest (hw/precision.h).
hw::PrecisionAssignment to_assignment(const SearchSpace& space, const Genes& genes);

// The policy JSON (docs/policies.md): the defaults plus one rule per knob.
nlohmann::json to_policy_json(const SearchSpace& space, const Genes& genes);

// {"features.conv0_0": {"weights": 4, "activations": 8}, ...}: what trial logs store.
nlohmann::json to_bits_json(const SearchSpace& space, const Genes& genes);
// Inverse of to_bits_json; throws ConfigError (naming `source`) for a layer or width not in the space.
Genes from_bits_json(const SearchSpace& space, const nlohmann::json& bits, const std::string& source);

// Reads {"algorithm", "default": "w8a8", "input", "weight_bits": [..], "activation_bits": [..],
//        "layers": [{"name", "weights"?: [..]|int, "activation_point"?, "activations"?: [..]|int}]};
// layer lists default to the space-wide sets. Throws ConfigError naming file and JSON Pointer.
SearchSpace parse_space(const nlohmann::json& json, const std::string& file, const std::string& pointer);

}  // namespace bitlab::search
