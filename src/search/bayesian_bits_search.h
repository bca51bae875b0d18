#pragma once
// Bayesian Bits' gate training (docs/search.md §4.8), the LibTorch step
// `bitlab search` runs before the bayesian_bits strategy: the evaluator job's
// network, from its float checkpoint, quantised with gated residual
// quantisers on every free knob (search/core/bayesian_bits.h's policy), is
// trained with cross-entropy + λ · E[bits] / bits at the widest widths, and
// the deterministic gates give every knob its width.
#include <nlohmann/json.hpp>

#include "search/core/bayesian_bits.h"
#include "search/qat_evaluator.h"

namespace bitlab::search {

// E[bits] sums, over the gated knobs, the quantised tensor's elements (weights;
// activations per sample) times its expected width, so λ weighs model memory
// plus activation traffic. Trains `options.epochs` epochs on the evaluator's
// training folds (the held-out fold is only evaluated). Returns the widths as
// to_bits_json does. Deterministic given the job's train.seed.
nlohmann::json train_bayesian_bits_gates(const QatEvaluatorOptions& evaluator, const SearchSpace& space,
                                         const BayesianBitsOptions& options, double lambda, bool progress);

}  // namespace bitlab::search
