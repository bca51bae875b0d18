#pragma once
// The parts of the integer ops that involve no rounding: index arithmetic and
// exact integer sums / maxima (docs/integer-spec.md §14). They are templates
// over the element type so that the int64 reference runtime and the float64
// simulation share them; the two differ only where §9 rounds (requant, add),
// and the simulation checks that its doubles stay exact (< 2^53) before
// calling these. Shapes are assumed validated (ir::validate).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "ir/ops.h"
#include "runtime/tensor.h"

namespace bitlab::runtime::kernels {

// acc[n, o, oy, ox] = bias[o] + Σ_{ci, ky, kx} (x[n, g·Cg + ci, iy, ix] − zx) · (w[o, ci, ky, kx] − zw[o])
// with g = o / (O / groups), iy = oy·stride − pad + ky·dilation (likewise ix).
// Positions in the padding hold real 0, i.e. code zx, so they add nothing (§14.1).
template <class T>
TensorOf<T> conv2d(const TensorOf<T>& x, T zx, const TensorOf<T>& w, std::span<const T> zw, const std::vector<T>* bias,
                   const ir::Conv2dAttrs& a, const ir::Shape& out_shape) {
  const std::int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const std::int64_t O = w.shape[0], Cg = w.shape[1], KH = w.shape[2], KW = w.shape[3];
  const std::int64_t OH = out_shape[2], OW = out_shape[3];
  const std::int64_t Og = O / a.groups;
  TensorOf<T> out{out_shape, std::vector<T>(static_cast<std::size_t>(N * O * OH * OW))};
  for (std::int64_t n = 0; n < N; ++n) {
    for (std::int64_t o = 0; o < O; ++o) {
      const std::int64_t group = o / Og;
      for (std::int64_t oy = 0; oy < OH; ++oy) {
        for (std::int64_t ox = 0; ox < OW; ++ox) {
          T acc = bias ? (*bias)[o] : T{0};
          for (std::int64_t ci = 0; ci < Cg; ++ci) {
            const std::int64_t c = group * Cg + ci;
            for (std::int64_t ky = 0; ky < KH; ++ky) {
              const std::int64_t iy = oy * a.stride[0] - a.padding[0] + ky * a.dilation[0];
              if (iy < 0 || iy >= H) continue;
              for (std::int64_t kx = 0; kx < KW; ++kx) {
                const std::int64_t ix = ox * a.stride[1] - a.padding[1] + kx * a.dilation[1];
                if (ix < 0 || ix >= W) continue;
                const T xv = x.values[((n * C + c) * H + iy) * W + ix] - zx;
                const T wv = w.values[((o * Cg + ci) * KH + ky) * KW + kx] - zw[o];
                acc += xv * wv;
              }
            }
          }
          out.values[((n * O + o) * OH + oy) * OW + ox] = acc;
        }
      }
    }
  }
  return out;
}

// acc[n, o] = bias[o] + Σ_i (x[n, i] − zx) · (w[o, i] − zw[o])   (§14.2)
template <class T>
TensorOf<T> linear(const TensorOf<T>& x, T zx, const TensorOf<T>& w, std::span<const T> zw, const std::vector<T>* bias) {
  const std::int64_t N = x.shape[0], I = x.shape[1], O = w.shape[0];
  TensorOf<T> out{{N, O}, std::vector<T>(static_cast<std::size_t>(N * O))};
  for (std::int64_t n = 0; n < N; ++n) {
    for (std::int64_t o = 0; o < O; ++o) {
      T acc = bias ? (*bias)[o] : T{0};
      for (std::int64_t i = 0; i < I; ++i) acc += (x.values[n * I + i] - zx) * (w.values[o * I + i] - zw[o]);
      out.values[n * O + o] = acc;
    }
  }
  return out;
}

// Visits the in-bounds input positions of each pooling window: f(out_index, in_index).
template <class F>
void for_each_window(const ir::Shape& in, const ir::Shape& out, const ir::PoolAttrs& a, F&& f) {
  const std::int64_t NC = in[0] * in[1], H = in[2], W = in[3], OH = out[2], OW = out[3];
  for (std::int64_t nc = 0; nc < NC; ++nc) {
    for (std::int64_t oy = 0; oy < OH; ++oy) {
      for (std::int64_t ox = 0; ox < OW; ++ox) {
        const std::int64_t o = (nc * OH + oy) * OW + ox;
        for (std::int64_t ky = 0; ky < a.kernel[0]; ++ky) {
          const std::int64_t iy = oy * a.stride[0] - a.padding[0] + ky;
          if (iy < 0 || iy >= H) continue;
          for (std::int64_t kx = 0; kx < a.kernel[1]; ++kx) {
            const std::int64_t ix = ox * a.stride[1] - a.padding[1] + kx;
            if (ix < 0 || ix >= W) continue;
            f(o, (nc * H + iy) * W + ix);
          }
        }
      }
    }
  }
}

// sum[n, c, oy, ox] = Σ_{window} (x − zx); padding holds code zx and adds 0 (§14.5).
template <class T>
TensorOf<T> avgpool_sum(const TensorOf<T>& x, T zx, const ir::PoolAttrs& a, const ir::Shape& out_shape) {
  TensorOf<T> out{out_shape, std::vector<T>(static_cast<std::size_t>(ir::num_elements(out_shape)), T{0})};
  for_each_window(x.shape, out_shape, a, [&](std::int64_t o, std::int64_t i) { out.values[o] += x.values[i] - zx; });
  return out;
}

// max over the in-bounds window; padding never wins (§14.6).
template <class T>
TensorOf<T> maxpool(const TensorOf<T>& x, const ir::PoolAttrs& a, const ir::Shape& out_shape) {
  TensorOf<T> out{out_shape,
                  std::vector<T>(static_cast<std::size_t>(ir::num_elements(out_shape)), std::numeric_limits<T>::lowest())};
  for_each_window(x.shape, out_shape, a,
                  [&](std::int64_t o, std::int64_t i) { out.values[o] = std::max(out.values[o], x.values[i]); });
  return out;
}

// Inputs laid end to end along `axis` (§14.4).
template <class T>
TensorOf<T> concat(const std::vector<const TensorOf<T>*>& inputs, std::int64_t axis, const ir::Shape& out_shape) {
  std::int64_t outer = 1;
  for (std::int64_t d = 0; d < axis; ++d) outer *= out_shape[d];
  TensorOf<T> out{out_shape, {}};
  out.values.reserve(static_cast<std::size_t>(ir::num_elements(out_shape)));
  for (std::int64_t o = 0; o < outer; ++o) {
    for (const TensorOf<T>* in : inputs) {
      const std::int64_t block = ir::num_elements(in->shape) / outer;
      out.values.insert(out.values.end(), in->values.begin() + o * block, in->values.begin() + (o + 1) * block);
    }
  }
  return out;
}

// clamp(x, lo, hi) element-wise (§14.10).
template <class T>
TensorOf<T> clip(const TensorOf<T>& x, T lo, T hi) {
  TensorOf<T> out{x.shape, x.values};
  for (T& v : out.values) v = std::clamp(v, lo, hi);
  return out;
}

}  // namespace bitlab::runtime::kernels
