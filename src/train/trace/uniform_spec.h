#pragma once
// The integer grid a QAT quantiser maps onto, as the QuantSpec the IR's quant
// and weight_quant attributes hold. Only uniform level sets have one; the
// others (log2, binary, ternary, codebook) are refused with the layer's name
// (weight quantisers with such levels go through weight_grid.h instead).
#include <string>

#include "quant/spec.h"

namespace bitlab::train {

class QuantizerImpl;

// Contract: returns quantizer.levels().spec, with narrow_range set when the
// signed levels stop one code above qmin (PACT's and DoReFa's symmetric clip
// reach -qmax..qmax only), so the IR quant clamps where the forward does.
// Throws ConfigError naming `layer`, `role` ("weights" / "activations") and
// the algorithm when the level set is not uniform.
quant::QuantSpec uniform_spec(const QuantizerImpl& quantizer, const std::string& layer, const std::string& role);

}  // namespace bitlab::train
