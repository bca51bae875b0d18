#pragma once
// Helpers shared by the weight-only / non-uniform quantisers (inq, binary, twn,
// ttq, log2, codebook): option checks, per-channel reductions and exact
// power-of-two arithmetic. Kept out of ste_ops.h, which the uniform
// algorithms own; nothing here is an autograd rule of its own.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "common/json_reader.h"
#include "train/quantizers/quantizer.h"

namespace bitlab::train::nonuniform {

// ConfigError unless options.bits lies in [min_bits, max_bits]; `why` ends the
// message (e.g. "binary levels {-a, +a} need exactly one bit").
void require_bits(const QuantizerOptions& options, const std::string& algorithm, int min_bits, int max_bits,
                  const std::string& why);
// ConfigError for the activation role (the registry checks too; direct
// factory calls should not bypass it).
void require_weights(const QuantizerOptions& options, const std::string& algorithm);
// ConfigError for per-channel granularity, for algorithms whose papers define
// one set of levels per layer.
void require_per_tensor(const QuantizerOptions& options, const std::string& algorithm);
// ConfigError for is_signed = false: these level sets are symmetric around 0.
void require_signed(const QuantizerOptions& options, const std::string& algorithm);
// ConfigError when per-channel options are inconsistent (channels < 1, axis < 0).
void check_granularity(const QuantizerOptions& options, const std::string& algorithm);

// Rows of the level table: options.channels for per-channel, 1 for per-tensor.
int64_t channel_count(const QuantizerOptions& options);

// x as [channels, -1] (per-tensor: [1, numel]); per-channel statistics reduce
// over dim 1. Throws std::invalid_argument when x does not have `channels`
// entries along `axis`.
torch::Tensor channel_rows(const torch::Tensor& x, const QuantizerOptions& options);
// A per-channel statistic p [channels] reshaped to broadcast against x.
torch::Tensor broadcast_channels(const torch::Tensor& p, const torch::Tensor& x, const QuantizerOptions& options);

// Exactly 2^e (float32) for integer exponents e in [-126, 127], built from the
// IEEE-754 bit pattern: pow()/ldexp() on tensors go through vectorised pow,
// which is not guaranteed to be exact.
torch::Tensor pow2(const torch::Tensor& exponents);

// Nearest of {0, ±2^e : e in [e_min, e_max]} in the linear domain with
// quant::Log2Levels' tie rules (docs/integer-spec.md §7): |x| <= 2^(e_min-1)
// gives 0, a tie between 2^k and 2^(k+1) (|x| = 1.5 * 2^k) goes to 2^k, and
// magnitudes above 2^e_max saturate. e_min / e_max are integer tensors that
// broadcast against x. Forward only (no gradient); the result has x's dtype.
torch::Tensor log2_nearest(const torch::Tensor& x, const torch::Tensor& e_min, const torch::Tensor& e_max);

// ceil(log2(m)) for m > 0 exactly (via frexp), per element of a float tensor;
// `fallback` where m <= 0 or m is not finite. Returns int64.
torch::Tensor ceil_log2(const torch::Tensor& m, int64_t fallback);

// Per-channel scales for a QuantSpec: positive finite values as they are, 1.0
// where the level set is degenerate (an all-zero channel has alpha = 0, which
// QuantSpec::validate() would reject; its values row says what forward does).
std::vector<double> spec_scales(const torch::Tensor& per_channel);

// Replaces the data of a registered parameter or buffer without breaking its
// identity (optimisers and the module keep pointing at the same tensor).
void replace_data(torch::Tensor& registered, const torch::Tensor& value);

// An array of numbers in [min, max] with at least one entry (JsonReader only
// has integer arrays).
std::vector<double> read_numbers(const JsonReader& reader, const std::string& key, std::vector<double> fallback,
                                 double min, double max);

// "quantizer <algorithm>": the file part of params error messages.
std::string params_context(const std::string& algorithm);

}  // namespace bitlab::train::nonuniform
