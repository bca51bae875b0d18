#include "runtime/executor.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "ir/shape_inference.h"
#include "ir/validate.h"
#include "quant/dyadic.h"
#include "runtime/fast/depthwise.h"
#include "runtime/fast/elementwise.h"
#include "runtime/fast/gemv.h"
#include "runtime/fast/packed_conv.h"
#include "runtime/memory_plan.h"
#include "runtime/conv_split.h"
#include "runtime/thread_pool.h"

namespace bitlab::runtime {
namespace {

__extension__ using Int128 = __int128;

// Largest batch on the GEMV path; larger batches fill the packed GEMM's 64-pixel blocks better.
constexpr std::int64_t kGemvMaxBatch = 4;

// How a tensor's integers sit in the arena: codes ≤ 8 bits one byte each, other
// codes and int32 accumulators 4 bytes, int64 accumulators 8 bytes.
enum class Storage : unsigned char { I8, U8, I32, I64 };

Storage storage_for(const ir::ElementType& t) {
  if (t.bits <= 8) return t.is_signed ? Storage::I8 : Storage::U8;
  if (t.bits <= 32) return Storage::I32;
  return Storage::I64;
}

std::size_t storage_size(Storage s) {
  switch (s) {
    case Storage::I8:
    case Storage::U8: return 1;
    case Storage::I32: return 4;
    case Storage::I64: return 8;
  }
  return 8;
}

// Calls f with a value of the C++ type that holds storage `s` (for typed loops).
template <class F>
void with_type(Storage s, F&& f) {
  switch (s) {
    case Storage::I8: f(std::int8_t{}); break;
    case Storage::U8: f(std::uint8_t{}); break;
    case Storage::I32: f(std::int32_t{}); break;
    case Storage::I64: f(std::int64_t{}); break;
  }
}

// with_type for the storages the vectorised kernels are instantiated for (not I64).
template <class F>
void with_vector_type(Storage s, F&& f) {
  switch (s) {
    case Storage::I8: f(std::int8_t{}); break;
    case Storage::U8: f(std::uint8_t{}); break;
    default: f(std::int32_t{}); break;
  }
}

struct Buffer {
  Storage storage = Storage::I64;
  std::int64_t elements = 0;
  std::int64_t offset = 0;  // in the arena
  int first = 0, last = 0;  // lifetime in steps (node indices)
};

// One slice of a conv/linear step split over threads (conv_split.h), beyond the first slice,
// which is the step's own kernel (at offsets 0).
struct Part {
  std::unique_ptr<fast::PackedConv> conv;
  std::unique_ptr<fast::DepthwiseConv> depthwise;
  std::unique_ptr<fast::Gemv> gemv;
  std::int64_t input_offset = 0, output_offset = 0;  // bytes into the step's input / output buffer
  std::int64_t scratch_offset = 0;
  std::size_t scratch_bytes = 0;
};

enum class StepKind : unsigned char { FastConv, Depthwise, Gemv, Conv, Linear, Requant, Add, AvgPool, MaxPool, Clip, Concat };

struct Step {
  StepKind kind = StepKind::Requant;
  std::size_t node = 0;
  std::vector<int> inputs;  // buffer ids
  int output = 0;
  std::int64_t scratch_offset = 0;
  std::size_t scratch_bytes = 0;
  std::unique_ptr<fast::PackedConv> conv;
  std::unique_ptr<fast::DepthwiseConv> depthwise;
  std::unique_ptr<fast::Gemv> gemv;
  std::vector<Part> parts;  // threads > 1: the other slices, run beside the kernel above
  // Non-conv ops on the vectorised kernels (elementwise.h) when `vector_op` is set.
  bool vector_op = false;
  std::vector<fast::RequantParams> requant_params;  // requant: per channel
  fast::Add2Params add_params;
  // Generic ops: precomputed so that run() allocates nothing.
  std::vector<std::int64_t> zero_points;  // conv/linear: per O weight zero points; add: per input
  std::int64_t zx = 0;
  std::vector<quant::Requantiser> requantisers;  // requant: per channel
  std::vector<std::int64_t> requant_zx;           // requant: input zero point per channel
  std::int64_t outer = 1, channels = 1, inner = 1;
  bool narrow_math = false;  // requant: int64 arithmetic is exact (m < 2^31, input ≤ 32 bits)
};

}  // namespace

struct Executor::Plan {
  std::vector<Buffer> buffers;
  std::vector<Step> steps;
  std::vector<int> input_buffers, output_buffers;
  std::vector<std::int64_t> input_lo, input_hi;
  std::vector<std::uint8_t> storage;  // the arena, plus alignment slack
  std::uint8_t* arena = nullptr;
  fast::Isa isa = fast::Isa::Portable;
  int counts[5] = {0, 0, 0, 0, 0};  // int8 packed, binary, generic, int8 depthwise, int8 gemv
  std::unique_ptr<ThreadPool> pool;  // threads > 1

  template <class T>
  T* at(int buffer) const {
    return reinterpret_cast<T*>(arena + buffers[static_cast<std::size_t>(buffer)].offset);
  }
};

namespace {

ir::Graph rebatch(const ir::Graph& graph, std::int64_t batch) {
  ir::Graph g = graph;
  std::int64_t old = -1;
  for (const std::string& name : g.inputs) {
    ir::Tensor& t = g.tensor(name);
    if (t.shape.empty()) throw std::invalid_argument(fmt::format("input \"{}\" has no batch dimension", name));
    if (old >= 0 && t.shape[0] != old) throw std::invalid_argument("graph inputs disagree on the batch dimension");
    old = t.shape[0];
    t.shape[0] = batch;
  }
  for (ir::Node& node : g.nodes) {
    if (node.op != ir::OpKind::Reshape) continue;
    auto& a = std::get<ir::ReshapeAttrs>(node.attributes);
    if (!a.shape.empty() && a.shape[0] == old) a.shape[0] = batch;
  }
  ir::infer_shapes(g);
  return g;
}

std::int64_t load(const Executor::Plan& plan, int buffer, std::int64_t i) {
  std::int64_t v = 0;
  with_type(plan.buffers[static_cast<std::size_t>(buffer)].storage,
            [&](auto t) { v = plan.at<decltype(t)>(buffer)[i]; });
  return v;
}

void store(const Executor::Plan& plan, int buffer, std::int64_t i, std::int64_t v) {
  with_type(plan.buffers[static_cast<std::size_t>(buffer)].storage,
            [&](auto t) { plan.at<decltype(t)>(buffer)[i] = static_cast<decltype(t)>(v); });
}

// §14.9 for one value already minus its zero point.
std::int64_t requant_value(const Step& s, std::size_t c, std::int64_t v) {
  const quant::Requantiser& r = s.requantisers[c];
  if (!s.narrow_math) return r.apply(v);
  const int sh = r.multiplier.shift;
  const std::int64_t t = (v * r.multiplier.multiplier + (sh > 0 ? std::int64_t{1} << (sh - 1) : 0)) >> sh;
  return std::clamp<std::int64_t>(t + r.zero_point, r.clamp.lo, r.clamp.hi);
}

void run_generic_conv(const Executor::Plan& plan, const ir::Graph& g, const Step& s) {
  const ir::Node& node = g.nodes[s.node];
  const ir::Tensor& wt = g.tensor(node.inputs[1]);
  const std::vector<std::int64_t>& w = *wt.int_data;
  const std::vector<std::int64_t>* bias = node.inputs.size() > 2 ? &*g.tensor(node.inputs[2]).int_data : nullptr;
  const ir::Shape& xs = g.tensor(node.inputs[0]).shape;
  const ir::Shape& ys = g.tensor(node.output()).shape;
  const int x = s.inputs[0], y = s.output;
  if (s.kind == StepKind::Linear) {
    const std::int64_t N = xs[0], I = xs[1], O = wt.shape[0];
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t o = 0; o < O; ++o) {
        std::int64_t acc = bias ? (*bias)[static_cast<std::size_t>(o)] : 0;
        for (std::int64_t i = 0; i < I; ++i)
          acc += (load(plan, x, n * I + i) - s.zx) * (w[static_cast<std::size_t>(o * I + i)] - s.zero_points[static_cast<std::size_t>(o)]);
        store(plan, y, n * O + o, acc);
      }
    return;
  }
  const auto& a = node.attrs<ir::Conv2dAttrs>();
  const std::int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3];
  const std::int64_t O = wt.shape[0], Cg = wt.shape[1], KH = wt.shape[2], KW = wt.shape[3], OH = ys[2], OW = ys[3];
  const std::int64_t Og = O / a.groups;
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t o = 0; o < O; ++o)
      for (std::int64_t oy = 0; oy < OH; ++oy)
        for (std::int64_t ox = 0; ox < OW; ++ox) {
          std::int64_t acc = bias ? (*bias)[static_cast<std::size_t>(o)] : 0;
          for (std::int64_t ci = 0; ci < Cg; ++ci)
            for (std::int64_t ky = 0; ky < KH; ++ky) {
              const std::int64_t iy = oy * a.stride[0] - a.padding[0] + ky * a.dilation[0];
              if (iy < 0 || iy >= H) continue;
              for (std::int64_t kx = 0; kx < KW; ++kx) {
                const std::int64_t ix = ox * a.stride[1] - a.padding[1] + kx * a.dilation[1];
                if (ix < 0 || ix >= W) continue;
                const std::int64_t xv = load(plan, x, ((n * C + (o / Og) * Cg + ci) * H + iy) * W + ix) - s.zx;
                acc += xv * (w[static_cast<std::size_t>(((o * Cg + ci) * KH + ky) * KW + kx)] - s.zero_points[static_cast<std::size_t>(o)]);
              }
            }
          store(plan, y, ((n * O + o) * OH + oy) * OW + ox, acc);
        }
}

void run_pool(const Executor::Plan& plan, const ir::Graph& g, const Step& s) {
  const ir::Node& node = g.nodes[s.node];
  const auto& a = node.attrs<ir::PoolAttrs>();
  const ir::Shape& in = g.tensor(node.inputs[0]).shape;
  const ir::Shape& out = g.tensor(node.output()).shape;
  const bool avg = s.kind == StepKind::AvgPool;
  if (s.vector_op) {  // global average pool: one sum per plane
    with_vector_type(plan.buffers[static_cast<std::size_t>(s.inputs[0])].storage, [&](auto ti) {
      with_vector_type(plan.buffers[static_cast<std::size_t>(s.output)].storage, [&](auto to) {
        fast::plane_sums(plan.isa, plan.at<decltype(ti)>(s.inputs[0]), in[0] * in[1], in[2] * in[3], s.zx,
                         plan.at<decltype(to)>(s.output));
      });
    });
    return;
  }
  with_type(plan.buffers[static_cast<std::size_t>(s.inputs[0])].storage, [&](auto ti) {
    with_type(plan.buffers[static_cast<std::size_t>(s.output)].storage, [&](auto to) {
      using In = decltype(ti);
      using Out = decltype(to);
      const In* x = plan.at<In>(s.inputs[0]);
      Out* y = plan.at<Out>(s.output);
      const std::int64_t NC = in[0] * in[1], H = in[2], W = in[3], OH = out[2], OW = out[3];
      for (std::int64_t nc = 0; nc < NC; ++nc)
        for (std::int64_t oy = 0; oy < OH; ++oy)
          for (std::int64_t ox = 0; ox < OW; ++ox) {
            std::int64_t acc = avg ? 0 : INT64_MIN;
            for (std::int64_t ky = 0; ky < a.kernel[0]; ++ky) {
              const std::int64_t iy = oy * a.stride[0] - a.padding[0] + ky;
              if (iy < 0 || iy >= H) continue;
              for (std::int64_t kx = 0; kx < a.kernel[1]; ++kx) {
                const std::int64_t ix = ox * a.stride[1] - a.padding[1] + kx;
                if (ix < 0 || ix >= W) continue;
                const std::int64_t v = x[(nc * H + iy) * W + ix];
                acc = avg ? acc + (v - s.zx) : std::max(acc, v);  // §14.5, §14.6
              }
            }
            y[(nc * OH + oy) * OW + ox] = static_cast<Out>(acc);
          }
    });
  });
}

void run_requant(const Executor::Plan& plan, const Step& s) {
  if (s.vector_op && s.inner >= 16) {  // runs of one channel long enough for 16-lane blocks
    with_vector_type(plan.buffers[static_cast<std::size_t>(s.inputs[0])].storage, [&](auto ti) {
      with_vector_type(plan.buffers[static_cast<std::size_t>(s.output)].storage, [&](auto to) {
        const auto* x = plan.at<decltype(ti)>(s.inputs[0]);
        auto* y = plan.at<decltype(to)>(s.output);
        for (std::int64_t o = 0; o < s.outer; ++o)
          for (std::int64_t c = 0; c < s.channels; ++c) {
            const std::int64_t at = (o * s.channels + c) * s.inner;
            fast::requant(plan.isa, x + at, s.inner, s.requant_params[static_cast<std::size_t>(c)], y + at);
          }
      });
    });
    return;
  }
  with_type(plan.buffers[static_cast<std::size_t>(s.inputs[0])].storage, [&](auto ti) {
    with_type(plan.buffers[static_cast<std::size_t>(s.output)].storage, [&](auto to) {
      using In = decltype(ti);
      using Out = decltype(to);
      const In* x = plan.at<In>(s.inputs[0]);
      Out* y = plan.at<Out>(s.output);
      std::int64_t i = 0;
      for (std::int64_t o = 0; o < s.outer; ++o)
        for (std::int64_t c = 0; c < s.channels; ++c)
          for (std::int64_t k = 0; k < s.inner; ++k, ++i)
            y[i] = static_cast<Out>(requant_value(s, static_cast<std::size_t>(c), x[i] - s.requant_zx[static_cast<std::size_t>(c)]));
    });
  });
}

void run_add(const Executor::Plan& plan, const ir::Graph& g, const Step& s) {
  const ir::AddRequant& a = *g.nodes[s.node].attrs<ir::AddAttrs>().requant;
  const std::int64_t count = plan.buffers[static_cast<std::size_t>(s.output)].elements;
  if (s.vector_op) {
    with_vector_type(plan.buffers[static_cast<std::size_t>(s.inputs[0])].storage, [&](auto ti) {
      with_vector_type(plan.buffers[static_cast<std::size_t>(s.output)].storage, [&](auto to) {
        fast::add2(plan.isa, plan.at<decltype(ti)>(s.inputs[0]), plan.at<decltype(ti)>(s.inputs[1]), count, s.add_params,
                   plan.at<decltype(to)>(s.output));
      });
    });
    return;
  }
  const std::int64_t rnd = a.shift > 0 ? std::int64_t{1} << (a.shift - 1) : 0;
  const std::int64_t zy = s.zx;
  for (std::int64_t e = 0; e < count; ++e) {
    std::int64_t sum = 0;  // exact: the validator bounds Σ|x_i − z_i|·m_i + 2^(s−1) by int64 (§14.3)
    for (std::size_t i = 0; i < s.inputs.size(); ++i)
      sum += (load(plan, s.inputs[i], e) - s.zero_points[i]) * a.multipliers[i];
    store(plan, s.output, e, std::clamp<std::int64_t>(((sum + rnd) >> a.shift) + zy, a.lo, a.hi));
  }
}

void run_step(const Executor::Plan& plan, const ir::Graph& g, const Step& s) {
  switch (s.kind) {
    case StepKind::FastConv:
      s.conv->run(plan.at<std::uint8_t>(s.inputs[0]), plan.at<std::uint8_t>(s.output), plan.arena + s.scratch_offset);
      break;
    case StepKind::Depthwise:
      s.depthwise->run(plan.at<std::uint8_t>(s.inputs[0]), plan.at<std::uint8_t>(s.output), plan.arena + s.scratch_offset);
      break;
    case StepKind::Gemv:
      s.gemv->run(plan.at<std::uint8_t>(s.inputs[0]), plan.at<std::uint8_t>(s.output), plan.arena + s.scratch_offset);
      break;
    case StepKind::Conv:
    case StepKind::Linear: run_generic_conv(plan, g, s); break;
    case StepKind::Requant: run_requant(plan, s); break;
    case StepKind::Add: run_add(plan, g, s); break;
    case StepKind::AvgPool:
    case StepKind::MaxPool: run_pool(plan, g, s); break;
    case StepKind::Clip: {
      const auto& a = g.nodes[s.node].attrs<ir::ClipAttrs>();
      const std::int64_t count = plan.buffers[static_cast<std::size_t>(s.output)].elements;
      if (s.vector_op) {  // same storage in and out (§14.10 keeps the type)
        with_vector_type(plan.buffers[static_cast<std::size_t>(s.output)].storage, [&](auto t) {
          fast::clip(plan.isa, plan.at<decltype(t)>(s.inputs[0]), count, a.lo, a.hi, plan.at<decltype(t)>(s.output));
        });
        break;
      }
      for (std::int64_t e = 0; e < count; ++e)
        store(plan, s.output, e, std::clamp<std::int64_t>(load(plan, s.inputs[0], e), a.lo, a.hi));
      break;
    }
    case StepKind::Concat: {
      const ir::Node& node = g.nodes[s.node];
      const std::int64_t axis = node.attrs<ir::ConcatAttrs>().axis;
      const ir::Shape& ys = g.tensor(node.output()).shape;
      std::int64_t outer = 1;
      for (std::int64_t d = 0; d < axis; ++d) outer *= ys[static_cast<std::size_t>(d)];
      const std::size_t elem = storage_size(plan.buffers[static_cast<std::size_t>(s.output)].storage);
      std::uint8_t* dst = plan.at<std::uint8_t>(s.output);
      for (std::int64_t o = 0; o < outer; ++o)
        for (const int in : s.inputs) {  // same element type and grid on every input (§14.4)
          const auto block = static_cast<std::size_t>(plan.buffers[static_cast<std::size_t>(in)].elements / outer) * elem;
          std::memcpy(dst, plan.at<std::uint8_t>(in) + static_cast<std::size_t>(o) * block, block);
          dst += block;
        }
      break;
    }
  }
}

// Cuts a fast conv/linear step into up to options.threads slices (conv_split.h) when each
// slice keeps at least options.parallel_min_macs; the step's kernel becomes slice 0, the
// others go to s.parts. Leaves the step whole when some slice would not take the same kernel.
void split_step(Step& s, const fast::ConvProblem& p, fast::ConvKind kind, const ExecutorOptions& options) {
  if (options.threads <= 1) return;
  const std::int64_t macs = conv_macs(p);
  std::int64_t parts = options.threads;
  if (options.parallel_min_macs > 0) parts = std::min(parts, macs / options.parallel_min_macs);
  if (parts < 2) return;
  std::vector<ConvSlice> slices = split_conv(p, static_cast<int>(parts));
  if (slices.size() < 2) return;
  for (const ConvSlice& slice : slices) {
    const fast::ConvProblem& q = slice.problem;
    const bool ok = s.kind == StepKind::Depthwise ? fast::DepthwiseConv::eligible(q)
                    : s.kind == StepKind::Gemv    ? fast::Gemv::eligible(q)
                    : kind == fast::ConvKind::Int8 ? fast::int8_eligible(q)
                                                   : fast::binary_eligible(q);
    if (!ok) return;
  }
  const std::int64_t out_bytes = p.requant ? 1 : 4;
  for (std::size_t k = 0; k < slices.size(); ++k) {
    const fast::ConvProblem& q = slices[k].problem;
    Part part;
    part.input_offset = slices[k].input_offset;
    part.output_offset = slices[k].output_offset * out_bytes;
    if (s.kind == StepKind::Depthwise) {
      part.depthwise = std::make_unique<fast::DepthwiseConv>(q, options.isa);
      part.scratch_bytes = part.depthwise->scratch_bytes();
    } else if (s.kind == StepKind::Gemv) {
      part.gemv = std::make_unique<fast::Gemv>(q, options.isa);
      part.scratch_bytes = part.gemv->scratch_bytes();
    } else {
      part.conv = std::make_unique<fast::PackedConv>(q, kind, options.isa);
      part.scratch_bytes = part.conv->scratch_bytes();
    }
    if (k == 0) {  // slice 0 starts at offsets 0: it replaces the step's whole kernel
      s.conv = std::move(part.conv);
      s.depthwise = std::move(part.depthwise);
      s.gemv = std::move(part.gemv);
      s.scratch_bytes = part.scratch_bytes;
    } else {
      s.parts.push_back(std::move(part));
    }
  }
}

// Task k of a split step: its kernel (k = 0) or part k − 1.
struct StepJob {
  const Executor::Plan* plan;
  const ir::Graph* graph;
  const Step* step;
};

void run_step_slice(const void* context, std::size_t k) {
  const auto& job = *static_cast<const StepJob*>(context);
  const Executor::Plan& plan = *job.plan;
  const Step& s = *job.step;
  if (k == 0) {
    run_step(plan, *job.graph, s);
    return;
  }
  const Part& part = s.parts[k - 1];
  const std::uint8_t* in = plan.at<std::uint8_t>(s.inputs[0]) + part.input_offset;
  std::uint8_t* out = plan.at<std::uint8_t>(s.output) + part.output_offset;
  std::uint8_t* scratch = plan.arena + part.scratch_offset;
  if (part.conv) part.conv->run(in, out, scratch);
  else if (part.depthwise) part.depthwise->run(in, out, scratch);
  else part.gemv->run(in, out, scratch);
}

}  // namespace

Executor::~Executor() = default;

Executor::Executor(const ir::Graph& graph, ExecutorOptions options)
    : graph_(options.batch > 0 ? rebatch(graph, options.batch) : graph), options_(options), plan_(std::make_unique<Plan>()) {
  if (!fast::isa_supported(options_.isa)) {
    throw std::invalid_argument(fmt::format("Executor: ISA \"{}\" is not supported by this CPU or build; use fast::best_isa()",
                                            fast::to_string(options_.isa)));
  }
  if (options_.alignment < 1) throw std::invalid_argument("Executor: alignment must be ≥ 1");
  if (options_.threads < 1) throw std::invalid_argument("Executor: threads must be ≥ 1");
  ir::validate_integer_graph(graph_);
  const ir::Graph& g = graph_;
  Plan& plan = *plan_;
  plan.isa = options_.isa;
  const int num_steps = static_cast<int>(g.nodes.size());

  // Consumers of every tensor, to find fusable conv → requant pairs and lifetimes.
  std::map<std::string, std::vector<std::size_t>> consumers;
  for (std::size_t i = 0; i < g.nodes.size(); ++i)
    for (const std::string& in : g.nodes[i].inputs) consumers[in].push_back(i);
  auto is_output = [&](const std::string& name) { return std::find(g.outputs.begin(), g.outputs.end(), name) != g.outputs.end(); };

  std::map<std::string, int> buffer_of;
  auto new_buffer = [&](const std::string& name, int first) {
    const ir::Tensor& t = g.tensor(name);
    Buffer b{storage_for(t.type), ir::num_elements(t.shape), 0, first, first};
    plan.buffers.push_back(b);
    buffer_of[name] = static_cast<int>(plan.buffers.size()) - 1;
    return buffer_of[name];
  };
  for (const std::string& name : g.inputs) {
    const int b = new_buffer(name, 0);
    plan.buffers[static_cast<std::size_t>(b)].last = num_steps;  // kept whole run, so run() may be repeated
    plan.input_buffers.push_back(b);
    const ir::Tensor& t = g.tensor(name);
    plan.input_lo.push_back(t.type.min_value());
    plan.input_hi.push_back(t.type.max_value());
  }
  auto use = [&](const std::string& name, int step) {
    const int b = buffer_of.at(name);
    plan.buffers[static_cast<std::size_t>(b)].last = std::max(plan.buffers[static_cast<std::size_t>(b)].last, step);
    return b;
  };

  std::vector<bool> fused_away(g.nodes.size(), false);
  std::vector<BufferRequest> scratch_requests;
  std::vector<std::size_t> scratch_step_index;
  std::vector<BufferRequest> part_scratch_requests;                   // threads > 1
  std::vector<std::pair<std::size_t, std::size_t>> part_scratch_index;  // (step, part)
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (fused_away[i]) continue;
    const ir::Node& node = g.nodes[i];
    const int step_no = static_cast<int>(i);
    const ir::Tensor& y_info = g.tensor(node.output());
    auto in_info = [&](std::size_t k) -> const ir::Tensor& { return g.tensor(node.inputs.at(k)); };

    if (node.op == ir::OpKind::Flatten || node.op == ir::OpKind::Reshape) {
      buffer_of[node.output()] = use(node.inputs[0], step_no);  // same bytes, new shape (§14.7)
      continue;
    }
    Step s;
    s.node = i;
    for (std::size_t k = 0; k < node.inputs.size(); ++k)
      if (!in_info(k).is_constant()) s.inputs.push_back(use(node.inputs[k], step_no));
    std::string out_name = node.output();

    switch (node.op) {
      case ir::OpKind::Conv2d:
      case ir::OpKind::Linear: {
        const ir::Tensor& x = in_info(0);
        const ir::Tensor& w = in_info(1);
        const bool is_conv = node.op == ir::OpKind::Conv2d;
        s.kind = is_conv ? StepKind::Conv : StepKind::Linear;
        s.zx = x.quant().zero_point();
        for (std::int64_t o = 0; o < w.shape[0]; ++o)
          s.zero_points.push_back(w.quant().zero_point(w.quant().num_channels() == 1 ? 0 : static_cast<std::size_t>(o)));
        if (!options_.fast_kernels || x.type.bits > 8 || y_info.type.bits != 32) break;

        fast::ConvProblem p;
        p.N = x.shape[0];
        p.C = x.shape[1];
        p.O = w.shape[0];
        if (is_conv) {
          const auto& a = node.attrs<ir::Conv2dAttrs>();
          p.H = x.shape[2];
          p.W = x.shape[3];
          p.KH = w.shape[2];
          p.KW = w.shape[3];
          p.stride_h = a.stride[0], p.stride_w = a.stride[1], p.pad_h = a.padding[0], p.pad_w = a.padding[1];
          p.dil_h = a.dilation[0], p.dil_w = a.dilation[1], p.groups = a.groups;
          p.OH = y_info.shape[2];
          p.OW = y_info.shape[3];
        } else {
          p.linear = true;
        }
        p.input_bits = x.type.bits;
        p.input_signed = x.type.is_signed;
        p.input_zero_point = static_cast<std::int32_t>(s.zx);
        p.weights = *w.int_data;
        p.weight_zero_points = s.zero_points;
        if (node.inputs.size() > 2) p.bias = *in_info(2).int_data;

        // Fuse the requant that is the accumulator's only reader (§14.8).
        const auto& readers = consumers[node.output()];
        if (options_.fuse_requant && readers.size() == 1 && !is_output(node.output()) &&
            g.nodes[readers[0]].op == ir::OpKind::Requant) {
          const ir::Node& rq = g.nodes[readers[0]];
          const ir::Tensor& r_out = g.tensor(rq.output());
          const auto& ra = rq.attrs<ir::RequantAttrs>();
          if (r_out.type.bits <= 8 && (ra.multipliers.size() == 1 || ra.axis == 1)) {
            p.requant = true;
            const ir::Quantization& aq = y_info.quant();
            for (std::int64_t o = 0; o < p.O; ++o) {
              p.multipliers.push_back(ra.multipliers[ra.multipliers.size() == 1 ? 0 : static_cast<std::size_t>(o)]);
              p.requant_input_zero_points.push_back(aq.zero_point(aq.num_channels() == 1 ? 0 : static_cast<std::size_t>(o)));
            }
            p.output_zero_point = r_out.quant().zero_point();
            p.lo = ra.lo;
            p.hi = ra.hi;
            p.output_signed = r_out.type.is_signed;
          }
        }
        std::optional<fast::ConvKind> kind;
        if (options_.binary_kernels && fast::binary_eligible(p)) kind = fast::ConvKind::Binary;
        else if (fast::int8_eligible(p)) kind = fast::ConvKind::Int8;
        if (!kind) break;
        if (*kind == fast::ConvKind::Int8 && options_.direct_kernels && is_conv && fast::DepthwiseConv::eligible(p)) {
          s.kind = StepKind::Depthwise;
          s.depthwise = std::make_unique<fast::DepthwiseConv>(p, options_.isa);
          s.scratch_bytes = s.depthwise->scratch_bytes();
        } else if (*kind == fast::ConvKind::Int8 && options_.direct_kernels && !is_conv && p.N <= kGemvMaxBatch &&
                   fast::Gemv::eligible(p)) {
          s.kind = StepKind::Gemv;
          s.gemv = std::make_unique<fast::Gemv>(p, options_.isa);
          s.scratch_bytes = s.gemv->scratch_bytes();
        } else {
          s.kind = StepKind::FastConv;
          s.conv = std::make_unique<fast::PackedConv>(p, *kind, options_.isa);
          s.scratch_bytes = s.conv->scratch_bytes();
        }
        split_step(s, p, *kind, options_);
        if (p.requant) {
          fused_away[consumers[node.output()][0]] = true;
          out_name = g.nodes[consumers[node.output()][0]].output();
        }
        break;
      }
      case ir::OpKind::Requant: {
        s.kind = StepKind::Requant;
        const auto& a = node.attrs<ir::RequantAttrs>();
        const ir::Tensor& x = in_info(0);
        const ir::Quantization& xq = x.quant();
        if (a.multipliers.size() > 1) {
          for (int d = 0; d < a.axis; ++d) s.outer *= x.shape[static_cast<std::size_t>(d)];
          s.channels = x.shape[static_cast<std::size_t>(a.axis)];
          for (std::size_t d = static_cast<std::size_t>(a.axis) + 1; d < x.shape.size(); ++d) s.inner *= x.shape[d];
        } else {
          s.inner = ir::num_elements(x.shape);
        }
        s.narrow_math = x.type.bits <= 32;
        for (std::size_t c = 0; c < a.multipliers.size(); ++c) {
          s.requantisers.push_back({a.multipliers[c], y_info.quant().zero_point(), {a.lo, a.hi}});
          s.requant_zx.push_back(xq.zero_point(xq.num_channels() == 1 ? 0 : c));
          if (a.multipliers[c].multiplier >= (std::int64_t{1} << 31)) s.narrow_math = false;
        }
        s.vector_op = options_.fast_kernels && s.narrow_math && storage_for(x.type) != Storage::I64 &&
                      storage_for(y_info.type) != Storage::I64;
        for (std::size_t c = 0; c < a.multipliers.size() && s.vector_op; ++c) {
          s.requant_params.push_back({.zx = s.requant_zx[c], .m = a.multipliers[c].multiplier, .shift = a.multipliers[c].shift,
                                      .zy = y_info.quant().zero_point(), .lo = a.lo, .hi = a.hi});
        }
        break;
      }
      case ir::OpKind::Add:
        s.kind = StepKind::Add;
        for (std::size_t k = 0; k < node.inputs.size(); ++k) s.zero_points.push_back(in_info(k).quant().zero_point());
        s.zx = y_info.quant().zero_point();
        // Two inputs of one storage type; the validator bounds Σ|x_i − z_i|·m_i + 2^(s−1) by int64 (§14.3),
        // so the kernel's int64 arithmetic is exact as in run_add.
        if (options_.fast_kernels && node.inputs.size() == 2 && !in_info(0).is_constant() && !in_info(1).is_constant() &&
            storage_for(in_info(0).type) == storage_for(in_info(1).type) && storage_for(in_info(0).type) != Storage::I64 &&
            storage_for(y_info.type) != Storage::I64) {
          const ir::AddRequant& r = *node.attrs<ir::AddAttrs>().requant;
          s.vector_op = true;
          s.add_params = {.za = s.zero_points[0], .zb = s.zero_points[1], .ma = r.multipliers[0], .mb = r.multipliers[1],
                          .shift = r.shift, .zy = s.zx, .lo = r.lo, .hi = r.hi};
        }
        break;
      case ir::OpKind::AvgPool:
        s.kind = StepKind::AvgPool;
        s.zx = in_info(0).quant().zero_point();
        {
          const auto& a = node.attrs<ir::PoolAttrs>();
          const ir::Shape& xs = in_info(0).shape;
          s.vector_op = options_.fast_kernels && a.kernel[0] == xs[2] && a.kernel[1] == xs[3] && a.padding[0] == 0 &&
                        a.padding[1] == 0 && y_info.shape[2] == 1 && y_info.shape[3] == 1 &&
                        storage_for(in_info(0).type) != Storage::I64 && storage_for(y_info.type) != Storage::I64;
        }
        break;
      case ir::OpKind::MaxPool: s.kind = StepKind::MaxPool; break;
      case ir::OpKind::Clip:
        s.kind = StepKind::Clip;
        s.vector_op = options_.fast_kernels && storage_for(in_info(0).type) == storage_for(y_info.type) &&
                      storage_for(y_info.type) != Storage::I64;
        break;
      case ir::OpKind::Concat: s.kind = StepKind::Concat; break;
      default:
        throw std::invalid_argument(fmt::format("node \"{}\": {} is not an integer op", node.name, ir::to_string(node.op)));
    }
    // Constant inputs the generic paths read must stay in the graph (they do: graph_ owns them).
    s.output = new_buffer(out_name, step_no);
    if (s.kind == StepKind::FastConv) ++plan.counts[s.conv->kind() == fast::ConvKind::Int8 ? 0 : 1];
    if (s.kind == StepKind::Depthwise) ++plan.counts[3];
    if (s.kind == StepKind::Gemv) ++plan.counts[4];
    if (s.kind == StepKind::Conv || s.kind == StepKind::Linear) ++plan.counts[2];
    if (s.scratch_bytes > 0) {
      scratch_requests.push_back({node.name + "/scratch", static_cast<std::int64_t>(s.scratch_bytes), step_no, step_no});
      scratch_step_index.push_back(plan.steps.size());
    }
    for (std::size_t k = 0; k < s.parts.size(); ++k) {  // each thread's slice has its own scratch
      if (s.parts[k].scratch_bytes == 0) continue;
      part_scratch_requests.push_back(
          {fmt::format("{}/scratch{}", node.name, k + 1), static_cast<std::int64_t>(s.parts[k].scratch_bytes), step_no, step_no});
      part_scratch_index.emplace_back(plan.steps.size(), k);
    }
    plan.steps.push_back(std::move(s));
  }
  for (const std::string& name : g.outputs) {
    const int b = buffer_of.at(name);
    plan.buffers[static_cast<std::size_t>(b)].last = num_steps;
    plan.output_buffers.push_back(b);
  }

  // One arena for every buffer and every step's scratch (greedy by size).
  std::vector<BufferRequest> requests;
  for (std::size_t b = 0; b < plan.buffers.size(); ++b) {
    const Buffer& buf = plan.buffers[b];
    requests.push_back({fmt::format("buffer{}", b), buf.elements * static_cast<std::int64_t>(storage_size(buf.storage)), buf.first, buf.last});
  }
  requests.insert(requests.end(), scratch_requests.begin(), scratch_requests.end());
  requests.insert(requests.end(), part_scratch_requests.begin(), part_scratch_requests.end());
  const MemoryPlan mp = plan_memory(requests, {.alignment = options_.alignment});
  for (std::size_t b = 0; b < plan.buffers.size(); ++b) plan.buffers[b].offset = mp.offsets[b];
  for (std::size_t k = 0; k < scratch_step_index.size(); ++k)
    plan.steps[scratch_step_index[k]].scratch_offset = mp.offsets[plan.buffers.size() + k];
  for (std::size_t k = 0; k < part_scratch_index.size(); ++k) {
    const auto [step, part] = part_scratch_index[k];
    plan.steps[step].parts[part].scratch_offset = mp.offsets[plan.buffers.size() + scratch_requests.size() + k];
  }
  memory_.arena_bytes = mp.arena_bytes;
  memory_.peak_live_bytes = mp.peak_live_bytes;
  for (const BufferRequest& r : requests) memory_.unshared_bytes += r.bytes;
  for (const Step& s : plan.steps)
    if (s.conv) memory_.packed_weight_bytes += static_cast<std::int64_t>(s.conv->weight_bytes());
    else if (s.depthwise) memory_.packed_weight_bytes += static_cast<std::int64_t>(s.depthwise->weight_bytes());
    else if (s.gemv) memory_.packed_weight_bytes += static_cast<std::int64_t>(s.gemv->weight_bytes());
  for (const Step& s : plan.steps)
    for (const Part& part : s.parts)
      memory_.packed_weight_bytes += static_cast<std::int64_t>(part.conv        ? part.conv->weight_bytes()
                                                               : part.depthwise ? part.depthwise->weight_bytes()
                                                                                : part.gemv->weight_bytes());
  if (options_.threads > 1) plan.pool = std::make_unique<ThreadPool>(options_.threads);

  // The kernels read up to 64 bytes past a row start with masked loads only, so no slack is needed
  // beyond alignment; zero-filled so that padding lanes are deterministic.
  const auto align = static_cast<std::size_t>(std::max<std::int64_t>(options_.alignment, 64));
  plan.storage.assign(static_cast<std::size_t>(mp.arena_bytes) + align, 0);
  const auto base = reinterpret_cast<std::uintptr_t>(plan.storage.data());
  plan.arena = plan.storage.data() + (align - base % align) % align;
}

std::string Executor::kernel_summary() const {
  // "int8" counts every int8 kernel (packed GEMM, depthwise, GEMV); the parenthesis splits it.
  const int* c = plan_->counts;
  return fmt::format("int8 {} (packed {}, depthwise {}, gemv {}), binary {}, generic {} (isa {})", c[0] + c[3] + c[4], c[0], c[3],
                     c[4], c[1], c[2], fast::to_string(options_.isa));
}

int Executor::parallel_steps() const {
  return static_cast<int>(std::count_if(plan_->steps.begin(), plan_->steps.end(), [](const Step& s) { return !s.parts.empty(); }));
}

void Executor::set_input(std::size_t index, std::span<const std::int64_t> codes) {
  const Plan& plan = *plan_;
  if (index >= plan.input_buffers.size()) throw std::invalid_argument(fmt::format("Executor: no input {}", index));
  const int b = plan.input_buffers[index];
  const Buffer& buf = plan.buffers[static_cast<std::size_t>(b)];
  if (static_cast<std::int64_t>(codes.size()) != buf.elements) {
    throw std::invalid_argument(fmt::format("input \"{}\" needs {} values, got {}", graph_.inputs[index], buf.elements, codes.size()));
  }
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] < plan.input_lo[index] || codes[i] > plan.input_hi[index]) {
      throw std::invalid_argument(fmt::format("input \"{}\": value {} at index {} is outside [{}, {}]", graph_.inputs[index], codes[i],
                                              i, plan.input_lo[index], plan.input_hi[index]));
    }
    store(plan, b, static_cast<std::int64_t>(i), codes[i]);
  }
}

void Executor::run() {
  if (plan_->pool) plan_->pool->wake();  // workers wake while the first steps run
  for (const Step& s : plan_->steps) {
    if (s.parts.empty()) {
      run_step(*plan_, graph_, s);
      continue;
    }
    const StepJob job{plan_.get(), &graph_, &s};  // on the stack: dispatch allocates nothing
    plan_->pool->run(run_step_slice, &job, s.parts.size() + 1);
  }
}

void Executor::get_output(std::size_t index, std::span<std::int64_t> out) const {
  const Plan& plan = *plan_;
  if (index >= plan.output_buffers.size()) throw std::invalid_argument(fmt::format("Executor: no output {}", index));
  const int b = plan.output_buffers[index];
  if (static_cast<std::int64_t>(out.size()) != plan.buffers[static_cast<std::size_t>(b)].elements) {
    throw std::invalid_argument(fmt::format("output \"{}\" has {} values, the span {}", graph_.outputs[index],
                                            plan.buffers[static_cast<std::size_t>(b)].elements, out.size()));
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = load(plan, b, static_cast<std::int64_t>(i));
}

IntTensorMap Executor::run(const IntTensorMap& inputs) {
  for (std::size_t i = 0; i < graph_.inputs.size(); ++i) {
    const auto it = inputs.find(graph_.inputs[i]);
    if (it == inputs.end()) throw std::invalid_argument(fmt::format("input \"{}\" is missing", graph_.inputs[i]));
    set_input(i, it->second.values);
  }
  run();
  IntTensorMap outputs;
  for (std::size_t i = 0; i < graph_.outputs.size(); ++i) {
    IntTensor t{graph_.tensor(graph_.outputs[i]).shape, {}};
    t.values.resize(static_cast<std::size_t>(ir::num_elements(t.shape)));
    get_output(i, t.values);
    outputs.emplace(graph_.outputs[i], std::move(t));
  }
  return outputs;
}

}  // namespace bitlab::runtime
