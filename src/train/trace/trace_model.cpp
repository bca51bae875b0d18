#include "train/trace/trace_model.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "common/error.h"
#include "ir/shape_inference.h"
#include "ir/validate.h"
#include "quant/range.h"
#include "train/classifier.h"
#include "train/modules/qactivation.h"
#include "train/modules/qconv2d.h"
#include "train/modules/qconv_bn2d.h"
#include "train/modules/qlinear.h"
#include "train/modules/qmerge.h"
#include "train/modules/quant_point.h"
#include "train/modules/residual.h"
#include "train/trace/uniform_spec.h"
#include "train/trace/weight_grid.h"

namespace bitlab::train {
namespace {

std::vector<float> float_values(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

ir::Shape shape_of(const torch::Tensor& t) { return {t.sizes().begin(), t.sizes().end()}; }

ir::Pair pair_of(const torch::ExpandingArray<2>& a) { return {(*a)[0], (*a)[1]}; }

// The module's C++ type, for messages about modules the tracer does not know.
std::string type_name(const torch::nn::Module& m) { return m.name(); }

class Tracer {
 public:
  explicit Tracer(const TraceOptions& options) : options_(options) { g_.name = options.graph_name; }

  ir::Graph run(Classifier& model) {
    if (options_.input_shape.size() != 4 && options_.input_shape.size() != 2) {
      throw ConfigError(fmt::format("trace: the input shape must be [N, C, H, W] or [N, features], got {}",
                                    ir::to_string(options_.input_shape)));
    }
    if (!model.input_quantizer()) {
      throw ConfigError("trace: the model has no input quantiser, so it is a float network; only quantised "
                        "networks (a config with a \"quantization\" section) convert to integer graphs");
    }
    g_.add_tensor(ir::float_tensor(options_.input_name, options_.input_shape));
    g_.inputs = {options_.input_name};
    x_ = options_.input_name;
    quantise("input_quantizer", *model.input_quantizer());
    for (const auto& item : model.named_children()) {
      const std::string& name = item.key();
      const std::shared_ptr<torch::nn::Module>& child = item.value();
      if (name == "input_quantizer") continue;
      auto* sequential = dynamic_cast<torch::nn::SequentialImpl*>(child.get());
      if (!sequential) {
        throw ConfigError(fmt::format(
            "trace: model child \"{}\" is a {}, not a Sequential; the tracer follows the Sequentials a network "
            "registers, in order (docs/architecture.md, \"Why Sequentials\")",
            name, type_name(*child)));
      }
      walk(name, *sequential);
    }
    close_output();
    g_.outputs = {x_};
    ir::validate(g_);
    return g_;
  }

 private:
  void walk(const std::string& prefix, torch::nn::SequentialImpl& sequential) {
    for (const auto& item : sequential.named_children()) visit(prefix + "." + item.key(), *item.value());
  }

  void visit(const std::string& name, torch::nn::Module& m) {
    if (auto* s = dynamic_cast<torch::nn::SequentialImpl*>(&m)) return walk(name, *s);
    if (auto* r = dynamic_cast<ResidualImpl*>(&m)) return residual(name, *r);
    if (auto* conv = dynamic_cast<QConv2dImpl*>(&m)) {
      torch::NoGradGuard no_grad;
      return conv2d(name, conv->conv_options, conv->quantized_weight(), conv->bias, *conv->weight_quantizer);
    }
    if (auto* conv_bn = dynamic_cast<QConvBn2dImpl*>(&m)) {
      // Eval computes conv(x, q(folded weight)) + folded bias: no BatchNorm left.
      torch::NoGradGuard no_grad;
      return conv2d(name, conv_bn->conv_options, conv_bn->quantized_weight(), conv_bn->folded_bias(),
                    *conv_bn->weight_quantizer);
    }
    if (auto* linear = dynamic_cast<QLinearImpl*>(&m)) {
      torch::NoGradGuard no_grad;
      // Weights first: a forward may refresh the quantiser's state (DoReFa's alpha) that levels() reads.
      const WeightGrid grid =
          weight_grid(*linear->weight_quantizer, linear->quantized_weight(), name, options_.level_grid_bits);
      return layer(name, ir::OpKind::Linear, grid.weight, linear->bias, ir::LinearAttrs{grid.spec});
    }
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(&m)) return batchnorm(name, *bn);
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm1dImpl*>(&m)) return batchnorm(name, *bn);
    if (dynamic_cast<torch::nn::ReLUImpl*>(&m)) {
      const std::string input = x_;
      x_ = op(name, ir::OpKind::Relu, {x_}, ir::ReluAttrs{});
      keep_grid(input);
      return;
    }
    if (auto* act = dynamic_cast<QActivationImpl*>(&m)) return activation(name, *act);
    if (auto* pool = dynamic_cast<QAvgPoolImpl*>(&m)) {
      x_ = op(name + ".pool", ir::OpKind::AvgPool, {x_}, avgpool_attrs(name, pool->options));
      quantise(name, *pool->output_quantizer);
      return;
    }
    if (auto* pool = dynamic_cast<torch::nn::MaxPool2dImpl*>(&m)) return maxpool(name, pool->options);
    if (auto* flatten = dynamic_cast<torch::nn::FlattenImpl*>(&m)) {
      if (flatten->options.start_dim() != 1 || flatten->options.end_dim() != -1) {
        throw ConfigError(fmt::format("trace: layer \"{}\": only Flatten(start_dim=1, end_dim=-1) is supported", name));
      }
      const std::string input = x_;
      x_ = op(name, ir::OpKind::Flatten, {x_}, ir::FlattenAttrs{1});
      keep_grid(input);
      return;
    }
    // Identities in eval: dropout, and the Identity a QConvBn2d leaves in its BatchNorm's slot.
    if (dynamic_cast<torch::nn::DropoutImpl*>(&m) || dynamic_cast<torch::nn::IdentityImpl*>(&m)) return;
    if (dynamic_cast<torch::nn::Conv2dImpl*>(&m) || dynamic_cast<torch::nn::LinearImpl*>(&m) ||
        dynamic_cast<torch::nn::AvgPool2dImpl*>(&m) || dynamic_cast<torch::nn::ReLU6Impl*>(&m) ||
        dynamic_cast<QuantPointImpl*>(&m)) {
      throw ConfigError(fmt::format(
          "trace: layer \"{}\" ({}) is not quantised; the integer graph needs every weight layer, pooling average "
          "and clipped activation quantised: give it a rule in the precision policy",
          name, type_name(m)));
    }
    if (dynamic_cast<QAddImpl*>(&m) || dynamic_cast<QConcatImpl*>(&m)) {
      throw ConfigError(fmt::format("trace: layer \"{}\" ({}) merges branches, but a Sequential element has one "
                                    "input; put residual adds in a train::Residual (main and shortcut Sequentials), "
                                    "which the tracer follows (docs/architecture.md, \"Why Sequentials\")",
                                    name, type_name(m)));
    }
    throw ConfigError(fmt::format("trace: layer \"{}\" is a {}, which the tracer does not know how to express "
                                  "in the IR (docs/conversion.md lists the ops)",
                                  name, type_name(m)));
  }

  // main and shortcut both read the block's input; each branch is quantised by
  // its QAdd input quantiser, then added (pass 3 of the conversion brings the
  // two grids to one scale).
  void residual(const std::string& name, ResidualImpl& r) {
    if (!r.add) {
      throw ConfigError(fmt::format("trace: residual block \"{}\" adds in float; the integer graph needs its branches "
                                    "quantised: quantise the network (its merge is the activation layer \"{}.add\")",
                                    name, name));
    }
    const std::string input = x_;
    walk(name + ".main", *r.main);
    quantise(name + ".add.input_quantizer0", *r.add->input_quantizers[0]);
    const std::string a = x_;
    x_ = input;
    walk(name + ".shortcut", *r.shortcut);
    quantise(name + ".add.input_quantizer1", *r.add->input_quantizers[1]);
    const std::string b = x_;
    x_ = op(name + ".add", ir::OpKind::Add, {a, b}, ir::AddAttrs{});
  }

  // `weight` is the quantiser's output, computed before levels() is read here.
  void conv2d(const std::string& name, const Conv2dConfig& c, const torch::Tensor& weight, const torch::Tensor& bias,
              const QuantizerImpl& quantizer) {
    ir::Conv2dAttrs a;
    a.stride = pair_of(c.stride());
    // QConv2d / QConvBn2d accept explicit zero padding only (check_quantizable_conv).
    a.padding = pair_of(get<torch::ExpandingArray<2>>(c.padding()));
    a.dilation = pair_of(c.dilation());
    a.groups = c.groups();
    const WeightGrid grid = weight_grid(quantizer, weight, name, options_.level_grid_bits);
    a.weight_quant = grid.spec;
    layer(name, ir::OpKind::Conv2d, grid.weight, bias, a);
  }

  // The weights stored are the quantiser's outputs: they lie on the weight grid,
  // so weight_quant gives back exactly the codes the forward used, whatever
  // transform (DoReFa's tanh, LSQ's learned step) produced them.
  void layer(const std::string& name, ir::OpKind kind, const torch::Tensor& weight, const torch::Tensor& bias,
             ir::Attributes attrs) {
    std::vector<std::string> inputs{x_, constant(name + ".weight", weight)};
    if (bias.defined()) inputs.push_back(constant(name + ".bias", bias));
    const std::string input = x_;
    x_ = op(name, kind, std::move(inputs), std::move(attrs));
    layers_[x_] = LayerRecord{input, weight.detach().to(torch::kCPU).to(torch::kFloat64),
                   bias.defined() ? bias.detach().to(torch::kCPU).to(torch::kFloat64) : torch::Tensor()};
  }

  // BatchNorm2d after a conv, BatchNorm1d after a linear layer: one IR op (channel axis 1).
  template <typename BatchNormImpl>
  void batchnorm(const std::string& name, BatchNormImpl& bn) {
    if (!bn.options.track_running_stats()) {
      throw ConfigError(fmt::format("trace: layer \"{}\": a BatchNorm without running statistics normalises "
                                    "with batch statistics even in eval, which a fixed graph cannot express",
                                    name));
    }
    torch::NoGradGuard no_grad;
    const std::int64_t c = bn.options.num_features();
    const torch::Tensor gamma = bn.options.affine() ? bn.weight : torch::ones({c});
    const torch::Tensor beta = bn.options.affine() ? bn.bias : torch::zeros({c});
    // ir::BatchNorm's input order: x, gamma, beta, mean, var.
    x_ = op(name, ir::OpKind::BatchNorm,
            {x_, constant(name + ".gamma", gamma), constant(name + ".beta", beta),
             constant(name + ".mean", bn.running_mean), constant(name + ".var", bn.running_var)},
            ir::BatchNormAttrs{bn.options.eps()});
  }

  void activation(const std::string& name, QActivationImpl& act) {
    const QActivationOptions& o = act.options();
    double lo = 0.0, hi = 0.0;
    bool clips = true;
    switch (o.kind) {
      case ActivationKind::kIdentity: clips = false; break;
      case ActivationKind::kRelu: clips = false; x_ = op(name + ".relu", ir::OpKind::Relu, {x_}, ir::ReluAttrs{}); break;
      case ActivationKind::kRelu6: hi = 6.0; break;
      case ActivationKind::kClip: lo = o.clip_min; hi = o.clip_max; break;
    }
    if (clips) {
      // The IR has no clip op before conversion: a clip is a relu followed by a
      // quant whose code range ends where the clip does (docs/conversion.md).
      if (lo != 0.0) {
        throw ConfigError(fmt::format("trace: layer \"{}\": a clip with a non-zero lower bound ({}) has no IR form; "
                                      "use ReLU or ReLU6",
                                      name, lo));
      }
      const quant::QuantSpec spec = uniform_spec(*act.output_quantizer->quantizer(), name, "activations");
      if (spec.granularity != quant::Granularity::PerTensor ||
          std::nearbyint(hi / spec.step() + spec.zero_point()) < spec.qmax()) {
        throw ConfigError(fmt::format(
            "trace: layer \"{}\": the activation clips at {} but its quantiser reaches {}, so the quantiser does not "
            "clip where the activation does and the IR (which has no clip attribute) cannot express it; use a "
            "quantiser whose range ends at the clip (e.g. pact) or a plain ReLU",
            name, hi, spec.step() * (spec.qmax() - spec.zero_point())));
      }
      x_ = op(name + ".relu", ir::OpKind::Relu, {x_}, ir::ReluAttrs{});
    }
    quantise(name, *act.output_quantizer);
  }

  ir::PoolAttrs avgpool_attrs(const std::string& name, const torch::nn::AvgPool2dOptions& o) {
    if (o.ceil_mode() || !o.count_include_pad() || o.divisor_override()) {
      throw ConfigError(fmt::format("trace: layer \"{}\": AvgPool2d must use ceil_mode=false, count_include_pad=true "
                                    "and no divisor_override, as the integer average pool does (integer-spec §14.5)",
                                    name));
    }
    const torch::ExpandingArray<2> kernel = o.kernel_size();
    const torch::ExpandingArray<2> stride = o.stride();
    return {pair_of(kernel), pair_of(stride), pair_of(o.padding())};
  }

  void maxpool(const std::string& name, const torch::nn::MaxPool2dOptions& o) {
    if (o.ceil_mode() || (*o.dilation())[0] != 1 || (*o.dilation())[1] != 1) {
      throw ConfigError(
          fmt::format("trace: layer \"{}\": MaxPool2d must use ceil_mode=false and dilation 1", name));
    }
    const std::string input = x_;
    x_ = op(name, ir::OpKind::MaxPool, {x_}, ir::PoolAttrs{pair_of(o.kernel_size()), pair_of(o.stride()),
                                                            pair_of(o.padding())});
    keep_grid(input);
  }

  void quantise(const std::string& name, const ActivationQuantizerImpl& point) {
    if (!point.initialized()) {
      throw ConfigError(fmt::format("trace: the activation quantiser of \"{}\" was never initialised (no training "
                                    "or calibration batch reached it), so its range is undefined; train or calibrate "
                                    "the network first",
                                    name));
    }
    const quant::QuantSpec spec = uniform_spec(*point.quantizer(), name, "activations");
    x_ = op(name, ir::OpKind::Quant, {x_}, ir::QuantAttrs{spec, quant::RoundingMode::HalfToEven});
    grids_[x_] = spec;
  }

  // The logits of a final conv / linear are accumulators; see TraceOptions::output_bits.
  void close_output() {
    const auto it = layers_.find(x_);
    if (options_.output_bits == 0 || it == layers_.end()) return;
    const auto grid = grids_.find(it->second.input);
    if (grid == grids_.end()) {
      throw ConfigError(fmt::format("trace: the output layer \"{}\" reads a tensor with no quantiser, so its "
                                    "output range has no static bound",
                                    x_));
    }
    const quant::QuantSpec& s = grid->second;
    double max_input = 0.0;
    for (std::size_t c = 0; c < s.num_channels(); ++c) {
      max_input = std::max({max_input, std::abs(s.step(c) * (s.qmin() - s.zero_point(c))),
                            std::abs(s.step(c) * (s.qmax() - s.zero_point(c)))});
    }
    const torch::Tensor& w = it->second.weight;
    torch::Tensor bound = w.abs().reshape({w.size(0), -1}).sum(1) * max_input;
    if (it->second.bias.defined()) bound = bound + it->second.bias.abs();
    const double b = bound.max().item<double>();
    quant::QuantSpec format{.bits = options_.output_bits, .is_signed = true, .symmetric = true};
    const std::string logits = x_;
    x_ = op(logits + ".output_quant", ir::OpKind::Quant, {x_},
            ir::QuantAttrs{quant::fit_range(format, -b, b), quant::RoundingMode::HalfToEven});
  }

  void keep_grid(const std::string& input) {
    if (const auto it = grids_.find(input); it != grids_.end()) grids_[x_] = it->second;
  }

  std::string op(const std::string& name, ir::OpKind kind, std::vector<std::string> inputs, ir::Attributes attrs) {
    ir::Node n{name, kind, std::move(inputs), {name}, std::move(attrs)};
    g_.add_tensor(ir::float_tensor(name, ir::infer_output_shape(g_, n)));
    g_.add_node(std::move(n));
    return name;
  }

  std::string constant(const std::string& name, const torch::Tensor& t) {
    g_.add_tensor(ir::float_constant(name, shape_of(t), float_values(t)));
    return name;
  }

  struct LayerRecord {
    std::string input;
    torch::Tensor weight;  // float64, CPU
    torch::Tensor bias;    // undefined without bias
  };

  TraceOptions options_;
  ir::Graph g_;
  std::string x_;                                   // the tensor the next module reads
  std::map<std::string, quant::QuantSpec> grids_;   // tensors known to lie on a quantiser's grid
  std::map<std::string, LayerRecord> layers_;       // conv / linear outputs
};

}  // namespace

ir::Graph trace_model(Classifier& model, const TraceOptions& options) {
  // The traced graph is what eval() computes; building it reads only parameters.
  return Tracer(options).run(model);
}

}  // namespace bitlab::train
