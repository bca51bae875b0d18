#include "codegen/emitter.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "codegen/c_types.h"
#include "common/error.h"
#include "ir/bounds.h"
#include "quant/packing.h"

namespace bitlab::codegen {
namespace {

__extension__ typedef __int128 Int128;  // GCC and Clang; exact bounds of the 64-bit paths

// The C form of one requantisation (§9.2, §14.9): which helper is exact for
// the input's bound, and the tables or literals it reads.
struct RequantCode {
  std::string helper;        // bl_requant32 / bl_requant64 / bl_requant_wide
  std::string input_cast;    // int32_t / int64_t
  std::string m_table, s_table;  // empty when there is one multiplier
  std::int64_t m = 0;
  int s = 0;
  std::int32_t zy = 0, lo = 0, hi = 0;

  // The call for accumulator expression `x` in channel `c` (a C expression).
  [[nodiscard]] std::string call(const std::string& x, const std::string& c) const {
    const std::string mm = m_table.empty() ? c_literal(m) : fmt::format("{}[{}]", m_table, c);
    const std::string ss = s_table.empty() ? std::to_string(s) : fmt::format("{}[{}]", s_table, c);
    return fmt::format("{}(({})({}), {}, {}, {}, {}, {})", helper, input_cast, x, mm, ss, zy, lo, hi);
  }
};

std::string bytes_initialiser(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out += fmt::format("{}0x{:02x},", i % 16 == 0 ? "\n  " : " ", bytes[i]);
  }
  if (bytes.empty()) out = "\n  0";  // C99 forbids empty initialisers
  return out;
}

template <class T>
std::string ints_initialiser(const std::vector<T>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += fmt::format("{}{},", i % 12 == 0 ? "\n  " : " ", c_literal(static_cast<std::int64_t>(values[i])));
  }
  return out;
}

class Emitter {
 public:
  Emitter(const ir::Graph& g, const Schedule& s, const CodegenOptions& o) : g_(g), s_(s), o_(o) {}

  EmittedLayers run() {
    for (std::size_t l = 0; l < s_.layers.size(); ++l) emit(static_cast<int>(l), s_.layers[l]);
    if (patch16_ > 0) out_.scratch += fmt::format("static int16_t bl_patch16[{}];\n", patch16_);
    if (patch32_ > 0) out_.scratch += fmt::format("static int32_t bl_patch32[{}];\n", patch32_);
    out_.scratch_bytes = 2 * patch16_ + 4 * patch32_;
    return std::move(out_);
  }

 private:
  const ir::Tensor& t(const std::string& name) const { return g_.tensor(name); }
  std::string sym(const std::string& what, int layer) const { return fmt::format("{}_{}{}", o_.prefix, what, layer); }

  void table(const std::string& ctype, const std::string& name, const std::string& init, std::int64_t bytes,
             const std::string& comment) {
    out_.declarations += fmt::format("extern const {} {}[];\n", ctype, name);
    out_.tables += fmt::format("/* {} */\nconst {} {}[] = {{{}\n}};\n\n", comment, ctype, name, init);
    out_.table_bytes += bytes;
  }

  // Requantisation of a tensor whose |x − z_x| never exceeds `bound`.
  RequantCode requant_code(const ir::Node& rq, std::int64_t bound, int layer) {
    const auto& a = rq.attrs<ir::RequantAttrs>();
    const ir::Tensor& y = t(rq.output());
    bool fits32 = bound < (std::int64_t{1} << 31), fits64 = true;
    for (const quant::DyadicMultiplier& m : a.multipliers) {
      const Int128 r = m.shift > 0 ? Int128{1} << (m.shift - 1) : Int128{0};
      const Int128 worst = Int128{bound} * m.multiplier + r;
      if (worst > std::numeric_limits<std::int64_t>::max()) fits32 = fits64 = false;
      if (m.multiplier >= (std::int64_t{1} << 31)) fits32 = false;
      if (m.multiplier >= (std::int64_t{1} << 32)) {
        throw ConfigError(fmt::format("codegen: requant node \"{}\" has multiplier {} >= 2^32, outside integer-spec §14.9",
                                      rq.name, m.multiplier));
      }
    }
    RequantCode c;
    c.helper = fits32 ? "bl_requant32" : fits64 ? "bl_requant64" : "bl_requant_wide";
    c.input_cast = fits32 ? "int32_t" : "int64_t";
    c.zy = y.quant().zero_point();
    c.lo = a.lo;
    c.hi = a.hi;
    if (a.multipliers.size() == 1) {
      c.m = a.multipliers[0].multiplier;
      c.s = a.multipliers[0].shift;
    } else {
      std::vector<std::int64_t> ms;
      std::vector<int> ss;
      for (const auto& m : a.multipliers) {
        ms.push_back(m.multiplier);
        ss.push_back(m.shift);
      }
      const std::string mtype = fits32 ? "int32_t" : fits64 ? "int64_t" : "uint32_t";
      c.m_table = sym("m", layer);
      c.s_table = sym("s", layer);
      table(mtype, c.m_table, ints_initialiser(ms), static_cast<std::int64_t>(ms.size()) * (fits64 && !fits32 ? 8 : 4),
            fmt::format("{}: requant multipliers, one per channel", rq.name));
      table("uint8_t", c.s_table, ints_initialiser(ss), static_cast<std::int64_t>(ss.size()),
            fmt::format("{}: requant shifts", rq.name));
    }
    return c;
  }

  // The statement that stores accumulator `acc` of channel `c` at y[index].
  std::string store(const Layer& layer, const std::optional<RequantCode>& rq, const std::string& index,
                    const std::string& c) const {
    const std::string yt = c_type(t(layer.output).type);
    if (!rq) return fmt::format("y[{}] = acc;", index);
    return fmt::format("y[{}] = ({}){};", index, yt, rq->call("acc", c));
  }

  // Ops of several inputs (add, concat) name them x0, x1, ...; the others x.
  std::string signature(int l, const ir::Node& node, const std::vector<std::string>& inputs,
                        const std::string& output) const {
    const bool numbered = node.op == ir::OpKind::Add || node.op == ir::OpKind::Concat;
    std::string params;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      params += fmt::format("const {}* x{}, ", c_type(t(inputs[i]).type), numbered ? std::to_string(i) : "");
    }
    return fmt::format("static void bl_layer{}({}{}* y)", l, params, c_type(t(output).type));
  }

  void emit(int l, const Layer& layer) {
    const ir::Node& node = g_.nodes[layer.node];
    std::optional<RequantCode> rq;
    if (layer.fused_requant) {
      rq = requant_code(g_.nodes[*layer.fused_requant], ir::accumulator_bound(g_, node), l);
    }
    std::string name = fmt::format("{} ({}{})", node.name, ir::to_string(node.op), rq ? " + requant" : "");
    std::string body;
    std::vector<std::string> data_inputs = node.inputs;
    switch (node.op) {
      case ir::OpKind::Conv2d:
      case ir::OpKind::Linear:
        data_inputs = {node.inputs[0]};
        body = conv_or_linear(l, node, layer, rq);
        break;
      case ir::OpKind::AvgPool: body = avgpool(node, layer, rq); break;
      case ir::OpKind::MaxPool: body = maxpool(node); break;
      case ir::OpKind::Requant: body = requant(l, node); break;
      case ir::OpKind::Clip: body = clip(node); break;
      case ir::OpKind::Add: body = add(node); break;
      case ir::OpKind::Concat: body = concat(node); break;
      default:
        throw ConfigError(fmt::format("codegen: node \"{}\" ({}) has no C form", node.name, ir::to_string(node.op)));
    }
    for (const std::string& in : data_inputs) {
      if (t(in).is_constant()) {
        throw ConfigError(fmt::format("codegen: node \"{}\" reads constant \"{}\" as data; only weights and biases may be "
                                      "constants", node.name, in));
      }
    }
    out_.functions += fmt::format("/* layer {}: {} -> \"{}\" {} */\n{} {{\n{}}}\n\n", l, name, layer.output,
                                  ir::to_string(t(layer.output).shape), signature(l, node, data_inputs, layer.output), body);
    std::string args;
    for (const std::string& in : data_inputs) {
      args += fmt::format("(const {}*){}, ", c_type(t(in).type), storage(g_, s_, in));
    }
    out_.calls.push_back(fmt::format("bl_layer{}({}({}*){});", l, args, c_type(t(layer.output).type),
                                     storage(g_, s_, layer.output)));
    out_.names.push_back(name);
  }

  std::string minus_zero_point(std::int64_t z) const { return z == 0 ? "" : fmt::format(" - ({})", z); }

  // §14.1 / §14.2 (+ §14.8): an im2col patch of (x − zx) per output position,
  // then one dot product per output channel.
  std::string conv_or_linear(int l, const ir::Node& node, const Layer& layer, const std::optional<RequantCode>& rq) {
    const ir::Tensor& x = t(node.inputs[0]);
    const ir::Tensor& w = t(node.inputs[1]);
    const ir::Tensor& acc_t = t(node.output());
    const bool conv = node.op == ir::OpKind::Conv2d;
    const std::int64_t zx = x.quant().zero_point();
    const std::int64_t O = w.shape[0];
    const std::int64_t K = ir::num_elements(w.shape) / O;  // products per output
    const std::string at = c_type(acc_t.type);

    // Weights: packed per §12.
    const int field = quant::field_bits_for(w.type.bits);
    std::vector<std::int32_t> codes(w.int_data->begin(), w.int_data->end());
    const std::vector<std::uint8_t> packed = quant::pack(codes, {field, w.type.is_signed});
    const std::string wsym = sym("w", l);
    table("uint8_t", wsym, bytes_initialiser(packed), static_cast<std::int64_t>(packed.size()),
          fmt::format("{}: {} {} weights \"{}\", {}-bit fields (integer-spec §12)", node.name, ir::to_string(w.type),
                      ir::to_string(w.shape), w.name, field));
    const std::string loader = fmt::format("bl_ld_{}{}", w.type.is_signed ? "s" : "u", field);
    // Weight zero points: none (symmetric), one literal, or a table.
    const ir::Quantization& wq = w.quant();
    std::string zw;
    if (!wq.all_zero_points_zero()) {
      if (wq.num_channels() == 1) {
        zw = minus_zero_point(wq.zero_point());
      } else {
        std::vector<std::int64_t> z;
        for (std::size_t c = 0; c < wq.num_channels(); ++c) z.push_back(wq.zero_point(c));
        table("int32_t", sym("zw", l), ints_initialiser(z), 4 * O, fmt::format("{}: weight zero points", node.name));
        zw = fmt::format(" - {}[o]", sym("zw", l));
      }
    }
    std::string bias = "0";
    if (node.inputs.size() > 2) {
      const ir::Tensor& b = t(node.inputs[2]);
      table(c_type(b.type), sym("b", l), ints_initialiser(*b.int_data), O * c_size(b.type),
            fmt::format("{}: bias \"{}\"", node.name, b.name));
      bias = fmt::format("{}[o]", sym("b", l));
    }
    // Patch values |x − zx| ≤ Ax fit int16 for codes of ≤ 8 bits (and most 16-bit ones).
    const bool p16 = ir::code_magnitude(x) <= 32767;
    const std::string pt = p16 ? "int16_t" : "int32_t";
    const std::string patch = p16 ? "bl_patch16" : "bl_patch32";
    (p16 ? patch16_ : patch32_) = std::max(p16 ? patch16_ : patch32_, K);
    // Dot-product kernels (SMLAD on Cortex-M4) for int16 patches, symmetric signed
    // 8-bit weights or 4-bit ones whose rows start on a byte, and int32 sums.
    const bool kernel = p16 && w.type.is_signed && zw.empty() && acc_t.type.bits == 32;
    const bool s8 = kernel && field == 8, s4 = kernel && field == 4 && K % 2 == 0;
    const std::string dot =
        s8   ? fmt::format("      acc = bl_dot_q15_s8({}, {} + o * {}, {}, acc);\n", patch, wsym, K, K)
        : s4 ? fmt::format("      acc = bl_dot_q15_s4({}, {} + o * {}, {}, acc);\n", patch, wsym, K / 2, K)
             : fmt::format("      for (k = 0; k < {K}; ++k) acc += ({at}){p}[k] * ({at})({ld}({w}, o * {K} + k){zw});\n",
                          fmt::arg("K", K), fmt::arg("at", at), fmt::arg("p", patch), fmt::arg("ld", loader),
                          fmt::arg("w", wsym), fmt::arg("zw", zw));
    std::string b;
    if (!conv) {
      const std::int64_t N = x.shape[0], I = x.shape[1];
      b += "  int32_t n, o, k;\n";
      b += fmt::format("  for (n = 0; n < {}; ++n) {{\n", N);
      b += fmt::format("    for (k = 0; k < {}; ++k) {}[k] = ({})(x[n * {} + k]{});\n", I, patch, pt, I, minus_zero_point(zx));
      b += fmt::format("    for (o = 0; o < {}; ++o) {{\n      {} acc = {};\n", O, at, bias);
      b += dot;
      b += fmt::format("      {}\n    }}\n  }}\n", store(layer, rq, fmt::format("n * {} + o", O), "o"));
      return b;
    }
    const auto& a = node.attrs<ir::Conv2dAttrs>();
    const std::int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const std::int64_t Cg = w.shape[1], KH = w.shape[2], KW = w.shape[3];
    const std::int64_t OH = acc_t.shape[2], OW = acc_t.shape[3], G = a.groups, Og = O / G;
    b += "  int32_t n, g, o, oy, ox, ci, ky, kx, k, iy, ix;\n";
    b += fmt::format("  for (n = 0; n < {}; ++n)\n  for (oy = 0; oy < {}; ++oy)\n  for (ox = 0; ox < {}; ++ox)\n", N, OH, OW);
    b += fmt::format("  for (g = 0; g < {}; ++g) {{\n    k = 0;\n", G);
    b += fmt::format("    for (ci = 0; ci < {}; ++ci)\n      for (ky = 0; ky < {}; ++ky) {{\n", Cg, KH);
    b += fmt::format("        iy = oy * {} - {} + ky * {};\n", a.stride[0], a.padding[0], a.dilation[0]);
    b += fmt::format("        for (kx = 0; kx < {}; ++kx, ++k) {{\n", KW);
    b += fmt::format("          ix = ox * {} - {} + kx * {};\n", a.stride[1], a.padding[1], a.dilation[1]);
    b += "          /* padding holds real 0, code zx: it adds nothing (§14.1) */\n";
    b += fmt::format("          {}[k] = (iy < 0 || iy >= {} || ix < 0 || ix >= {}) ? 0 : ({})(x[((n * {} + g * {} + ci) * {} + iy) * {} + ix]{});\n",
                     patch, H, W, pt, C, Cg, H, W, minus_zero_point(zx));
    b += "        }\n      }\n";
    b += fmt::format("    for (o = g * {0}; o < g * {0} + {0}; ++o) {{\n      {1} acc = {2};\n", Og, at, bias);
    b += dot;
    b += fmt::format("      {}\n    }}\n  }}\n", store(layer, rq, fmt::format("((n * {} + o) * {} + oy) * {} + ox", O, OH, OW), "o"));
    return b;
  }

  // Loops over the in-bounds window positions of a pooling node; `inner` runs per position with `v` the input code.
  std::string window_loops(const ir::Node& node, const std::string& init, const std::string& inner,
                           const std::string& finish) {
    const ir::Tensor& x = t(node.inputs[0]);
    const ir::Tensor& y = t(node.output());
    const auto& a = node.attrs<ir::PoolAttrs>();
    const std::int64_t NC = x.shape[0] * x.shape[1], H = x.shape[2], W = x.shape[3], OH = y.shape[2], OW = y.shape[3];
    std::string b = "  int32_t nc, oy, ox, ky, kx, iy, ix;\n";
    b += fmt::format("  for (nc = 0; nc < {}; ++nc)\n  for (oy = 0; oy < {}; ++oy)\n  for (ox = 0; ox < {}; ++ox) {{\n", NC, OH, OW);
    b += init;
    b += fmt::format("    for (ky = 0; ky < {}; ++ky) {{\n      iy = oy * {} - {} + ky;\n      if (iy < 0 || iy >= {}) continue;\n",
                     a.kernel[0], a.stride[0], a.padding[0], H);
    b += fmt::format("      for (kx = 0; kx < {}; ++kx) {{\n        ix = ox * {} - {} + kx;\n        if (ix < 0 || ix >= {}) continue;\n",
                     a.kernel[1], a.stride[1], a.padding[1], W);
    b += fmt::format("        {{ const int64_t v = x[(nc * {} + iy) * {} + ix]; {} }}\n      }}\n    }}\n", H, W, inner);
    b += finish;
    b += "  }\n";
    return b;
  }

  // §14.5 (+ the requant after it): the exact window sum of (x − zx), padding adding 0.
  std::string avgpool(const ir::Node& node, const Layer& layer, const std::optional<RequantCode>& rq) {
    const ir::Tensor& x = t(node.inputs[0]);
    const ir::Tensor& y = t(node.output());
    const std::string at = c_type(y.type);
    const std::int64_t C = x.shape[1], OH = y.shape[2], OW = y.shape[3];
    return window_loops(node, fmt::format("    {} acc = 0;\n", at),
                        fmt::format("acc += ({})(v{});", at, minus_zero_point(x.quant().zero_point())),
                        fmt::format("    {}\n", store(layer, rq, fmt::format("(nc * {} + oy) * {} + ox", OH, OW),
                                                      fmt::format("(nc % {})", C))));
  }

  // §14.6: the max of the in-bounds codes (every window has one).
  std::string maxpool(const ir::Node& node) {
    const ir::Tensor& y = t(node.output());
    const std::int64_t OH = y.shape[2], OW = y.shape[3];
    return window_loops(node, fmt::format("    int64_t m = {};\n", c_literal(y.type.min_value())), "if (v > m) m = v;",
                        fmt::format("    y[(nc * {} + oy) * {} + ox] = ({})m;\n", OH, OW, c_type(y.type)));
  }

  // §14.9 on a tensor in memory.
  std::string requant(int l, const ir::Node& node) {
    const ir::Tensor& x = t(node.inputs[0]);
    const ir::Tensor& y = t(node.output());
    const auto& a = node.attrs<ir::RequantAttrs>();
    const ir::Quantization& xq = x.quant();
    // The bound on |x − zx|: the producing accumulator's, else the type's range.
    std::int64_t bound = 0;
    const ir::Node* producer = nullptr;
    for (const ir::Node& n : g_.nodes)
      if (n.output() == s_.root(node.inputs[0])) producer = &n;
    if (producer && (producer->op == ir::OpKind::Conv2d || producer->op == ir::OpKind::Linear ||
                     producer->op == ir::OpKind::AvgPool) && s_.root(node.inputs[0]) == node.inputs[0]) {
      bound = ir::accumulator_bound(g_, *producer);
    } else if (x.type.is_code()) {
      bound = ir::code_magnitude(x);
    } else {
      bound = std::numeric_limits<std::int64_t>::max();
    }
    const RequantCode rq = requant_code(node, bound, l);
    const std::string yt = c_type(y.type);
    const std::int64_t n = ir::num_elements(x.shape);
    auto zx = [&](std::size_t c) { return static_cast<std::int64_t>(xq.zero_point(xq.num_channels() == 1 ? 0 : c)); };
    std::string b;
    if (a.multipliers.size() == 1) {
      b += fmt::format("  int32_t e;\n  for (e = 0; e < {}; ++e) y[e] = ({}){};\n", n, yt,
                       rq.call(fmt::format("(int64_t)x[e]{}", minus_zero_point(zx(0))), "0"));
      return b;
    }
    std::int64_t outer = 1, inner = 1;
    for (int d = 0; d < a.axis; ++d) outer *= x.shape[d];
    for (std::size_t d = a.axis + 1; d < x.shape.size(); ++d) inner *= x.shape[d];
    const std::int64_t C = x.shape[a.axis];
    std::string zterm;
    if (xq.num_channels() > 1 && !xq.all_zero_points_zero()) {
      std::vector<std::int64_t> z;
      for (std::size_t c = 0; c < xq.num_channels(); ++c) z.push_back(zx(c));
      table("int32_t", sym("zx", l), ints_initialiser(z), 4 * C, fmt::format("{}: input zero points", node.name));
      zterm = fmt::format(" - {}[c]", sym("zx", l));
    } else {
      zterm = minus_zero_point(zx(0));
    }
    b += "  int32_t o, c, i, e;\n";
    b += fmt::format("  for (o = 0; o < {}; ++o)\n  for (c = 0; c < {}; ++c)\n  for (i = 0; i < {}; ++i) {{\n", outer, C, inner);
    b += fmt::format("    e = (o * {} + c) * {} + i;\n    y[e] = ({}){};\n  }}\n", C, inner, yt,
                     rq.call(fmt::format("(int64_t)x[e]{}", zterm), "c"));
    return b;
  }

  // §14.10
  std::string clip(const ir::Node& node) {
    const auto& a = node.attrs<ir::ClipAttrs>();
    const ir::Tensor& y = t(node.output());
    return fmt::format("  int32_t e;\n  for (e = 0; e < {}; ++e) {{\n    const int64_t v = x[e];\n"
                       "    y[e] = ({})(v < {} ? {} : v > {} ? {} : v);\n  }}\n",
                       ir::num_elements(y.shape), c_type(y.type), a.lo, a.lo, a.hi, a.hi);
  }

  // §14.3: one rounding of the exact sum Σ (x_i − z_i)·m_i.
  std::string add(const ir::Node& node) {
    const ir::AddRequant& a = *node.attrs<ir::AddAttrs>().requant;
    const ir::Tensor& y = t(node.output());
    std::string sum;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      sum += fmt::format("{}((int64_t)x{}[e]{}) * {}", i == 0 ? "" : "\n        + ", i,
                         minus_zero_point(t(node.inputs[i]).quant().zero_point()), c_literal(a.multipliers[i]));
    }
    const std::string rounded =
        a.shift == 0 ? "acc" : fmt::format("bl_asr64(acc + ((int64_t)1 << {}), {})", a.shift - 1, a.shift);
    return fmt::format("  int32_t e;\n  for (e = 0; e < {}; ++e) {{\n    const int64_t acc = {};\n"
                       "    y[e] = ({})bl_clamp_add({}, {}, {}, {});\n  }}\n",
                       ir::num_elements(y.shape), sum, c_type(y.type), rounded, y.quant().zero_point(), a.lo, a.hi);
  }

  // §14.4: a copy, block by block.
  std::string concat(const ir::Node& node) {
    const ir::Tensor& y = t(node.output());
    const std::int64_t axis = node.attrs<ir::ConcatAttrs>().axis;
    std::int64_t outer = 1;
    for (std::int64_t d = 0; d < axis; ++d) outer *= y.shape[d];
    const std::int64_t size = c_size(y.type);
    std::string b = "  int32_t o;\n";
    b += fmt::format("  for (o = 0; o < {}; ++o) {{\n", outer);
    std::int64_t at = 0, total = ir::num_elements(y.shape) / outer;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const std::int64_t block = ir::num_elements(t(node.inputs[i]).shape) / outer;
      b += fmt::format("    memcpy(y + o * {} + {}, x{} + o * {}, {});\n", total, at, i, block, block * size);
      at += block;
    }
    b += "  }\n";
    return b;
  }

  const ir::Graph& g_;
  const Schedule& s_;
  const CodegenOptions& o_;
  EmittedLayers out_;
  std::int64_t patch16_ = 0, patch32_ = 0;
};

}  // namespace

std::string storage(const ir::Graph& graph, const Schedule& schedule, const std::string& tensor) {
  const std::string root = schedule.root(tensor);
  for (std::size_t i = 0; i < graph.inputs.size(); ++i)
    if (graph.inputs[i] == root) return fmt::format("in{}", i);
  return fmt::format("(bl_arena.bytes + {})", schedule.offset.at(root));
}

EmittedLayers emit_layers(const ir::Graph& graph, const Schedule& schedule, const CodegenOptions& options) {
  return Emitter(graph, schedule, options).run();
}

}  // namespace bitlab::codegen
