#include "train/quantizers/fused/fake_quant.h"

#include "train/quantizers/fused/kernels.h"

namespace bitlab::train::fused {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

thread_local bool reference_only = false;

CodeBounds bounds(std::int64_t qmin, std::int64_t qmax) {
  return {static_cast<float>(qmin), static_cast<float>(qmax)};
}

torch::Tensor new_like(const torch::Tensor& x) { return torch::empty_like(x, at::MemoryFormat::Contiguous); }

// Incoming gradients can be broadcast views (sum().backward() gives an
// expanded scalar); the kernels want dense float32.
torch::Tensor dense(const torch::Tensor& g) { return g.to(torch::kFloat32).contiguous(); }

// Saved floats go through IValue's double and back: exact.
float saved_float(AutogradContext* ctx, const char* key) { return static_cast<float>(ctx->saved_data[key].toDouble()); }

struct SteFunction : torch::autograd::Function<SteFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, double scale, double zero_point,
                               std::int64_t qmin, std::int64_t qmax) {
    auto out = new_like(x);
    const auto s = static_cast<float>(scale);
    const auto z = static_cast<float>(zero_point);
    ste_forward(x.data_ptr<float>(), out.data_ptr<float>(), x.numel(), s, z, bounds(qmin, qmax));
    ctx->save_for_backward({x});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["zero_point"] = zero_point;
    ctx->saved_data["qmin"] = qmin;
    ctx->saved_data["qmax"] = qmax;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto x = ctx->get_saved_variables()[0];
    auto g = dense(grads[0]);
    auto grad_x = new_like(x);
    ste_backward(x.data_ptr<float>(), g.data_ptr<float>(), grad_x.data_ptr<float>(), x.numel(),
                 saved_float(ctx, "scale"), saved_float(ctx, "zero_point"),
                 bounds(ctx->saved_data["qmin"].toInt(), ctx->saved_data["qmax"].toInt()));
    return {grad_x, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

struct LsqFunction : torch::autograd::Function<LsqFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& step,
                               std::int64_t qmin, std::int64_t qmax) {
    auto out = new_like(x);
    lsq_forward(x.data_ptr<float>(), out.data_ptr<float>(), x.numel(), step.item<float>(), bounds(qmin, qmax));
    ctx->save_for_backward({x, step});
    ctx->saved_data["qmin"] = qmin;
    ctx->saved_data["qmax"] = qmax;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& step = saved[1];
    auto g = dense(grads[0]);
    torch::Tensor grad_x = ctx->needs_input_grad(0) ? new_like(x) : torch::Tensor();
    const double grad_step =
        lsq_backward(x.data_ptr<float>(), g.data_ptr<float>(), grad_x.defined() ? grad_x.data_ptr<float>() : nullptr,
                     x.numel(), step.item<float>(),
                     bounds(ctx->saved_data["qmin"].toInt(), ctx->saved_data["qmax"].toInt()));
    auto grad_s = ctx->needs_input_grad(1) ? torch::full(step.sizes(), grad_step, step.options()) : torch::Tensor();
    return {grad_x, grad_s, torch::Tensor(), torch::Tensor()};
  }
};

struct PactFunction : torch::autograd::Function<PactFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& alpha,
                               double scale, bool symmetric, std::int64_t kmin, std::int64_t qmax) {
    auto out = new_like(x);
    const PactParams p = params(alpha, scale, symmetric, kmin, qmax);
    pact_forward(x.data_ptr<float>(), out.data_ptr<float>(), x.numel(), p);
    ctx->save_for_backward({x, alpha});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["symmetric"] = symmetric;
    ctx->saved_data["kmin"] = kmin;
    ctx->saved_data["qmax"] = qmax;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& alpha = saved[1];
    const bool symmetric = ctx->saved_data["symmetric"].toBool();
    const PactParams p = params(alpha, ctx->saved_data["scale"].toDouble(), symmetric,
                                ctx->saved_data["kmin"].toInt(), ctx->saved_data["qmax"].toInt());
    auto g = dense(grads[0]);
    torch::Tensor grad_x = ctx->needs_input_grad(0) ? new_like(x) : torch::Tensor();
    const PactClipGradients sums = pact_backward(
        x.data_ptr<float>(), g.data_ptr<float>(), grad_x.defined() ? grad_x.data_ptr<float>() : nullptr, x.numel(), p);
    // A symmetric clip's lower bound is -alpha, so its gradient counts negatively.
    const double grad_alpha = sums.upper - (symmetric ? sums.lower : 0.0);
    auto grad_a = ctx->needs_input_grad(1) ? torch::full(alpha.sizes(), grad_alpha, alpha.options()) : torch::Tensor();
    return {grad_x, grad_a, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }

  static PactParams params(const torch::Tensor& alpha, double scale, bool symmetric, std::int64_t kmin,
                           std::int64_t qmax) {
    PactParams p;
    p.alpha = alpha.item<float>();
    p.lower = symmetric ? -p.alpha : 0.0f;
    p.scale = static_cast<float>(scale);
    p.codes = bounds(kmin, qmax);
    return p;
  }
};

}  // namespace

bool fusable(const torch::Tensor& x, const torch::Tensor& parameter) {
  return !reference_only && x.defined() && parameter.defined() && x.layout() == torch::kStrided &&
         x.device().is_cpu() && parameter.device().is_cpu() && x.scalar_type() == torch::kFloat32 &&
         parameter.scalar_type() == torch::kFloat32 && parameter.numel() == 1 && x.is_contiguous();
}

ReferenceOnly::ReferenceOnly() : previous_(reference_only) { reference_only = true; }
ReferenceOnly::~ReferenceOnly() { reference_only = previous_; }

torch::Tensor ste_fake_quant(const torch::Tensor& x, float scale, float zero_point, int qmin, int qmax) {
  return SteFunction::apply(x, static_cast<double>(scale), static_cast<double>(zero_point),
                            static_cast<std::int64_t>(qmin), static_cast<std::int64_t>(qmax));
}

torch::Tensor lsq_fake_quant(const torch::Tensor& x, const torch::Tensor& step, int qmin, int qmax) {
  return LsqFunction::apply(x, step, static_cast<std::int64_t>(qmin), static_cast<std::int64_t>(qmax));
}

torch::Tensor pact_fake_quant(const torch::Tensor& x, const torch::Tensor& alpha, float scale, bool symmetric,
                              int kmin, int qmax) {
  return PactFunction::apply(x, alpha, static_cast<double>(scale), symmetric, static_cast<std::int64_t>(kmin),
                             static_cast<std::int64_t>(qmax));
}

}  // namespace bitlab::train::fused
