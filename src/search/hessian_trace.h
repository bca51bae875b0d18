#pragma once
// Hessian traces for HAWQ (docs/search.md §7.4): Hutchinson's estimator
// Tr(H) ≈ mean over Rademacher probes v of vᵀHv, with Hv by double backward
// (Pearlmutter's trick on LibTorch autograd), per layer — the diagonal blocks
// of the Hessian of the loss — and the sensitivity table the `hawq` strategy
// takes, built from them.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "search/core/space.h"
#include "search/qat_evaluator.h"

namespace bitlab::search {

struct HutchinsonOptions {
  int samples = 32;        // Rademacher probes
  std::uint64_t seed = 0;  // the probes are drawn from torch's generator seeded with this
};

// Tr(∂²loss/∂p_i²) for every tensor p_i of `params` (each the trace of its own
// diagonal block). One backward pass per probe serves every block: with v
// independent across blocks, E[v_iᵀ(Hv)_i] = Tr(H_ii). `loss` must be a scalar
// built from `params` with grad mode on.
std::vector<double> hutchinson_traces(const torch::Tensor& loss, const std::vector<torch::Tensor>& params,
                                      const HutchinsonOptions& options);

// The strategy's sensitivity object {layer: {"w4": Ω, ...}} (search_config's
// format) for every layer of `space`: Ω_l(b) = hawq_sensitivity(Tr(H_l)/n_l,
// W_l, b), the Hessian of the cross-entropy of the evaluator job's float
// network (from `evaluator.from`, eval mode) on its first `images` training
// images. Weight knobs only: a space with an activation knob that is not
// pinned is a ConfigError (the Hessian says nothing about activation widths).
nlohmann::json hessian_sensitivity(const QatEvaluatorOptions& evaluator, const SearchSpace& space, int images,
                                   const HutchinsonOptions& options, const std::string& source);

}  // namespace bitlab::search
