#pragma once
// What a fake quantiser is asked to do. Torch-free, so precision policies can
// be parsed and resolved without LibTorch.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "quant/spec.h"

namespace bitlab::train {

enum class TensorRole { kWeight, kActivation };

struct QuantizerOptions {
  std::string algorithm = "ste";
  TensorRole role = TensorRole::kWeight;
  int bits = 8;
  // Weights: signed. Activations after ReLU: unsigned; network inputs: signed.
  bool is_signed = true;
  // Signed weights drop the most negative code ([-127, 127]) so the range is
  // symmetric and a weight can be negated without saturating.
  bool narrow_range = false;
  quant::Granularity granularity = quant::Granularity::PerTensor;
  int64_t axis = 0;      // channel axis for per-channel quantisers (weights: 0 = output channel)
  int64_t channels = 1;  // number of channels along `axis` (1 for per-tensor)
  // Algorithm-specific settings (e.g. {"alpha": 6.0} for PACT, {"schedule": [...]} for INQ).
  // Each algorithm documents and validates its own keys.
  nlohmann::json params = nlohmann::json::object();
};

}  // namespace bitlab::train
