#include "train/quantizers/bayesian_bits.h"

#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "common/json_reader.h"
#include "train/quantizers/algorithms.h"
#include "train/quantizers/ste_ops.h"
#include "train/quantizers/uniform_common.h"

namespace bitlab::train {
namespace {

// Hard-concrete stretch interval and temperature (Louizos et al. 2018, the
// values Bayesian Bits uses).
constexpr double kGamma = -0.1;
constexpr double kZeta = 1.1;
constexpr double kTemperature = 2.0 / 3.0;

torch::Tensor lower_bound(const torch::Tensor& beta, bool is_signed) {
  return is_signed ? -beta : torch::zeros_like(beta);
}

double levels_minus_one(int bits) { return std::ldexp(1.0, bits) - 1.0; }

}  // namespace

BayesianBitsOptions parse_bayesian_bits_options(const QuantizerOptions& options) {
  JsonReader params(detail::params_of(options), "quantizer bayesian_bits");
  BayesianBitsOptions o;
  o.min_bits = static_cast<int>(params.integer("min_bits", o.min_bits, 1, 16));
  o.gate_init = params.number("gate_init", o.gate_init, -50.0, 50.0);
  o.threshold = params.number("threshold", o.threshold, 0.0, 1.0);
  o.learn_range = params.boolean("learn_range", o.learn_range);
  params.finish();
  int b = o.min_bits;
  while (b < options.bits) b *= 2;
  if (b != options.bits)
    throw ConfigError(fmt::format("quantizer bayesian_bits: {} bits is not min_bits ({}) doubled a whole number "
                                  "of times; use e.g. min_bits 2 with 2, 4, 8 or 16 bits",
                                  options.bits, o.min_bits));
  return o;
}

torch::Tensor bayesian_bits_plain(const torch::Tensor& x, const torch::Tensor& beta, bool is_signed, int bits) {
  const auto alpha = lower_bound(beta, is_signed);
  const auto clipped = torch::min(torch::max(x, alpha), beta);
  const auto s = (beta - alpha) / levels_minus_one(bits);
  return alpha + s * ste::round((clipped - alpha) / s);
}

torch::Tensor bayesian_bits_sum(const torch::Tensor& x, const torch::Tensor& beta, bool is_signed, int min_bits,
                                const std::vector<torch::Tensor>& gates) {
  const auto alpha = lower_bound(beta, is_signed);
  const auto clipped = torch::min(torch::max(x, alpha), beta);
  auto s = (beta - alpha) / levels_minus_one(min_bits);
  const auto base = alpha + s * ste::round((clipped - alpha) / s);
  // Residuals against the un-gated previous width x_p, on grids that nest:
  // s_2p = s_p / (2^p + 1), because (2^p − 1)(2^p + 1) = 2^2p − 1.
  std::vector<torch::Tensor> residuals;
  auto previous = base;
  int p = min_bits;
  for (std::size_t g = 0; g < gates.size(); ++g) {
    s = s / (std::ldexp(1.0, p) + 1.0);
    auto residual = s * ste::round((clipped - previous) / s);
    previous = previous + residual;
    residuals.push_back(residual);
    p *= 2;
  }
  torch::Tensor nested = torch::zeros_like(base);
  for (std::size_t g = gates.size(); g-- > 0;) nested = gates[g] * (residuals[g] + nested);
  return base + nested;
}

BayesianBitsQuantizerImpl::BayesianBitsQuantizerImpl(QuantizerOptions options, BayesianBitsOptions bb)
    : QuantizerImpl(std::move(options)), bb_(bb) {
  // Shared checks (granularity, axis); the code range itself is not used.
  static_cast<void>(detail::check_uniform_options(options_, "bayesian_bits"));
  for (int b = 2 * bb_.min_bits; b <= options_.bits; b *= 2) gate_bits_.push_back(b);
  const auto ones = torch::ones({detail::channel_count(options_)});
  range_ = bb_.learn_range ? register_parameter("range", ones) : register_buffer("range", ones);
  log_alpha_ = register_parameter("log_alpha",
                                  torch::full({static_cast<std::int64_t>(gate_bits_.size())}, bb_.gate_init));
}

torch::Tensor BayesianBitsQuantizerImpl::beta() const { return torch::clamp_min(range_, 1e-8); }

torch::Tensor BayesianBitsQuantizerImpl::gate_probabilities() const {
  return torch::sigmoid(log_alpha_ - kTemperature * std::log(-kGamma / kZeta));
}

torch::Tensor BayesianBitsQuantizerImpl::expected_extra_bits() const {
  const auto p = gate_probabilities();
  torch::Tensor total = torch::zeros({}, p.options());
  torch::Tensor open = torch::ones({}, p.options());
  for (std::size_t g = 0; g < gate_bits_.size(); ++g) {
    open = open * p[static_cast<std::int64_t>(g)];
    total = total + open * static_cast<double>(gate_bits_[g] / 2);
  }
  return total;
}

int BayesianBitsQuantizerImpl::deterministic_bits() const {
  const auto p = gate_probabilities().detach().to(torch::kCPU).to(torch::kFloat64).contiguous();
  int bits = bb_.min_bits;
  for (std::size_t g = 0; g < gate_bits_.size(); ++g) {
    if (p.data_ptr<double>()[g] < bb_.threshold) break;
    bits = gate_bits_[g];
  }
  return bits;
}

std::vector<torch::Tensor> BayesianBitsQuantizerImpl::sampled_gates(const torch::Tensor& like) const {
  // u ~ U(0, 1) kept off 0 and 1 so the logits stay finite; one draw per gate
  // and forward (a layer's gate is shared by the whole batch).
  const auto u = torch::rand({static_cast<std::int64_t>(gate_bits_.size())}, log_alpha_.options())
                     .clamp(1e-6, 1.0 - 1e-6);
  const auto s = torch::sigmoid((torch::log(u) - torch::log1p(-u) + log_alpha_) / kTemperature);
  const auto z = torch::clamp(s * (kZeta - kGamma) + kGamma, 0.0, 1.0).to(like.scalar_type());
  std::vector<torch::Tensor> gates;
  for (std::size_t g = 0; g < gate_bits_.size(); ++g) gates.push_back(z[static_cast<std::int64_t>(g)]);
  return gates;
}

torch::Tensor BayesianBitsQuantizerImpl::forward(const torch::Tensor& x) {
  elements_ = options_.role == TensorRole::kActivation && x.dim() >= 2 && x.size(0) > 0 ? x.numel() / x.size(0) : x.numel();
  const auto b = detail::broadcast(beta(), options_, x);
  // Training samples the gates; at the end of the schedule (progress 1) and in
  // eval mode they are deterministic, so forward lands on levels().
  if (is_training() && progress_ < 1.0) return bayesian_bits_sum(x, b, options_.is_signed, bb_.min_bits, sampled_gates(x));
  const int bits = deterministic_bits();
  std::vector<torch::Tensor> gates;
  for (const int g : gate_bits_) gates.push_back(torch::full({}, g <= bits ? 1.0 : 0.0, x.options()));
  // The exact grid value, with the gradient of the decomposition.
  return ste::with_gradient_of(bayesian_bits_plain(x, b, options_.is_signed, bits),
                               bayesian_bits_sum(x, b, options_.is_signed, bb_.min_bits, gates));
}

void BayesianBitsQuantizerImpl::initialize(const torch::Tensor& x) {
  auto rows = detail::channel_rows(x.detach().to(torch::kFloat32), options_);
  set_range(std::get<0>(rows.min(1)), std::get<0>(rows.max(1)));
}

void BayesianBitsQuantizerImpl::set_range(const torch::Tensor& min, const torch::Tensor& max) {
  const auto lo = detail::per_channel_bound(min, options_, "min");
  const auto hi = detail::per_channel_bound(max, options_, "max");
  set_beta(options_.is_signed ? torch::maximum(lo.abs(), hi.abs()) : hi);
}

void BayesianBitsQuantizerImpl::set_beta(const torch::Tensor& value) {
  torch::NoGradGuard no_grad;
  range_.copy_(detail::positive_or_one(value));
}

LevelSet BayesianBitsQuantizerImpl::levels() const {
  QuantizerOptions o = options_;
  o.bits = deterministic_bits();
  const auto b = beta().detach().to(torch::kFloat32);
  const auto alpha = lower_bound(b, o.is_signed);
  const auto s = (b - alpha) / levels_minus_one(o.bits);
  const auto max_code = static_cast<std::int64_t>(levels_minus_one(o.bits));
  // Unsigned: codes 0 … 2^b − 1 times s, an ordinary uniform grid. Signed: α + k s has no zero.
  if (!o.is_signed) {
    return LevelSet{"uniform", detail::make_spec(o, s, torch::Tensor(), true), detail::grid_values(s, torch::Tensor(), 0, max_code)};
  }
  auto values = alpha.reshape({-1, 1}) + detail::grid_values(s, torch::Tensor(), 0, max_code);
  return LevelSet{"codebook", detail::make_spec(o, s, torch::Tensor(), true), values.contiguous()};
}

Quantizer make_bayesian_bits_quantizer(const QuantizerOptions& options) {
  const BayesianBitsOptions bb = parse_bayesian_bits_options(options);
  return Quantizer(std::shared_ptr<QuantizerImpl>(std::make_shared<BayesianBitsQuantizerImpl>(options, bb)));
}

}  // namespace bitlab::train
