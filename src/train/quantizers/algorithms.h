#pragma once
// Factories of the QAT algorithms, one per file in this folder (docs/algorithms.md).
// Use make_quantizer() (quantizer.h) rather than these directly: it checks the role.
#include "train/quantizers/quantizer.h"

namespace bitlab::train {

Quantizer make_ste_quantizer(const QuantizerOptions& options);       // uniform, STE
Quantizer make_pact_quantizer(const QuantizerOptions& options);      // learned clipping alpha
Quantizer make_lsq_quantizer(const QuantizerOptions& options);       // learned step size
Quantizer make_tqt_quantizer(const QuantizerOptions& options);       // learned log2 threshold
Quantizer make_dorefa_quantizer(const QuantizerOptions& options);    // tanh-normalised weights
Quantizer make_ana_quantizer(const QuantizerOptions& options);       // additive noise annealing
Quantizer make_inq_quantizer(const QuantizerOptions& options);       // incremental power-of-two
Quantizer make_binary_quantizer(const QuantizerOptions& options);    // BinaryConnect / BNN / XNOR
Quantizer make_twn_quantizer(const QuantizerOptions& options);       // ternary, threshold 0.7 E|w|
Quantizer make_ttq_quantizer(const QuantizerOptions& options);       // ternary, learned scales
Quantizer make_log2_quantizer(const QuantizerOptions& options);      // power-of-two weights
Quantizer make_codebook_quantizer(const QuantizerOptions& options);  // k-means levels
Quantizer make_bayesian_bits_quantizer(const QuantizerOptions& options);  // gated residual widths (search)

}  // namespace bitlab::train
