// "tqt": Trained Quantization Thresholds (Jain, Gural, Wu & Dick 2020,
// "Trained Quantization Thresholds for Accurate and Efficient Fixed-Point
// Inference of Deep Neural Networks", MLSys 2020, arXiv:1903.08066).
//
// The learned parameter is log2 t (t = clipping threshold); training in the
// log domain makes the update scale-invariant. The scale
// is a power of two, so the integer graph rescales with shifts:
//   s = 2^ceil(log2 t) / 2^(b-1)  signed,   s = 2^ceil(log2 t) / 2^b  unsigned
//   q(x) = clamp(round(x / s), n, p) * s
// with round and ceil through the STE. Autograd then yields the paper's
// gradients: with r = round(x / s),
//   d q / d log2 t = s ln2 * (r - x/s)  if n <= r <= p
//                    s ln2 * n          if r < n
//                    s ln2 * p          if r > p
//   d q / d x      = 1 if n <= r <= p, else 0
// Note the range test is on the rounded value r, so inputs up to half a step
// beyond the last code still pass gradient (unlike ste / lsq, which clip x/s).
// n, p are bitlab's code range (qmin/qmax: full range unless narrow_range).
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/json_reader.h"
#include "train/quantizers/algorithms.h"
#include "train/quantizers/ste_ops.h"
#include "train/quantizers/uniform_common.h"

namespace bitlab::train {

// Parameter "log2_t" [C] (C = 1 per tensor, as in the paper; per-channel is a
// bitlab generalisation).
class TqtQuantizerImpl : public QuantizerImpl {
 public:
  TqtQuantizerImpl(QuantizerOptions options, double percentile)
      : QuantizerImpl(std::move(options)),
        range_(detail::check_uniform_options(options_, "tqt")),
        percentile_(percentile),
        // 2^(b-1) signed codes on each side, 2^b unsigned ones.
        exponent_shift_(options_.is_signed ? options_.bits - 1 : options_.bits) {
    log2_t_ = register_parameter("log2_t", torch::zeros({detail::channel_count(options_)}));
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    auto s = detail::broadcast(scale(), options_, x);
    auto r = ste::round(x / s);
    return torch::clamp(r, range_.qmin, range_.qmax) * s;
  }

  // log2 t = log2 of max|x| (signed) or max(x) (unsigned) per channel, or of
  // the params "percentile" of those magnitudes.
  void initialize(const torch::Tensor& x) override {
    auto rows = detail::channel_rows(x.detach().to(torch::kFloat32), options_);
    rows = options_.is_signed ? rows.abs() : torch::clamp_min(rows, 0.0);
    torch::Tensor t;
    if (percentile_ >= 100.0) {
      t = std::get<0>(rows.max(1));
    } else {
      const auto n = rows.size(1);
      const auto k = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil(percentile_ / 100.0 * n)), 1, n);
      t = std::get<0>(rows.kthvalue(k, 1));
    }
    set_threshold(t);
  }

  void set_range(const torch::Tensor& min, const torch::Tensor& max) override {
    auto t = detail::per_channel_bound(max, options_, "max");
    if (options_.is_signed) t = torch::maximum(t.abs(), detail::per_channel_bound(min, options_, "min").abs());
    set_threshold(t);
  }

  LevelSet levels() const override {
    auto s = exact_scale();
    return LevelSet{"uniform", detail::make_spec(options_, s, torch::Tensor(), true, quant::ScaleKind::PowerOfTwo),
                    detail::grid_values(s, torch::Tensor(), range_.qmin, range_.qmax)};
  }

 private:
  // The power-of-two scale, [C]. Its value comes from exact_scale() (ldexp in
  // double: pow() in float kernels need not return 2^e exactly) and its
  // gradient from 2^ceil_ste(log2 t) / 2^shift, i.e. d s / d log2 t = s ln2.
  torch::Tensor scale() const {
    auto surrogate = torch::pow(2.0, ste::ceil(log2_t_)) / std::ldexp(1.0, exponent_shift_);
    return ste::with_gradient_of(exact_scale().to(log2_t_.device()), surrogate);
  }

  torch::Tensor exact_scale() const {
    auto e = torch::ceil(log2_t_.detach()).to(torch::kCPU).to(torch::kFloat64).contiguous();
    std::vector<float> s(static_cast<std::size_t>(e.numel()));
    for (std::size_t c = 0; c < s.size(); ++c) {
      // Keep the exponent inside float32's normal range so the scale stays a valid power of two.
      const double exponent = std::clamp(e.data_ptr<double>()[c] - exponent_shift_, -126.0, 127.0);
      s[c] = static_cast<float>(std::ldexp(1.0, static_cast<int>(exponent)));
    }
    return torch::tensor(s, torch::kFloat32);
  }

  void set_threshold(const torch::Tensor& t) {
    // std::log2 in double is exact for powers of two, so a threshold of 2^e
    // gives log2 t = e and not e + 1 ulp (which ceil would turn into e + 1).
    auto td = detail::positive_or_one(t).to(torch::kCPU).to(torch::kFloat64).contiguous();  // all-zero data: t = 1
    std::vector<float> log2_t(static_cast<std::size_t>(td.numel()));
    for (std::size_t c = 0; c < log2_t.size(); ++c) log2_t[c] = static_cast<float>(std::log2(td.data_ptr<double>()[c]));
    torch::NoGradGuard no_grad;
    log2_t_.copy_(torch::tensor(log2_t, torch::kFloat32));
  }

  detail::CodeRange range_;
  double percentile_;
  int exponent_shift_;
  torch::Tensor log2_t_;
};

Quantizer make_tqt_quantizer(const QuantizerOptions& options) {
  JsonReader params(detail::params_of(options), "quantizer tqt");
  // 100 = the maximum; lower values ignore outliers when initialising from data.
  const double percentile = params.number("percentile", 100.0, 0.0, 100.0);
  if (percentile <= 0.0) params.fail("percentile", "a number in (0, 100]");
  params.finish();
  return Quantizer(std::shared_ptr<QuantizerImpl>(std::make_shared<TqtQuantizerImpl>(options, percentile)));
}

}  // namespace bitlab::train
