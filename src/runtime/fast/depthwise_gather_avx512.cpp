// The depthwise gather kernel (depthwise_gather.h): VPERMB + VPDPBUSD per quad, requant in registers.
#include "runtime/fast/depthwise_gather.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// GCC 12 warns inside its own AVX-512 headers (the _mm512_undefined_* placeholders).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#define BITLAB_VBMI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi")))

namespace bitlab::runtime::fast::detail {
namespace {

struct Consts {
  __m512i zx, flip, k, lo, hi, interleave, low32;
  bool saturate;
};

// A per-channel table's value in each lane: a broadcast for one channel, a VPERMD of 16 channels'
// values for a block that spans channels (`lanes`: each lane's channel from the block's first, c).
template <bool Mixed>
BITLAB_VBMI inline __m512i per_lane(const std::int32_t* table, std::int64_t c, __m512i lanes) {
  if constexpr (Mixed) return _mm512_permutexvar_epi32(lanes, _mm512_loadu_si512(table + c));
  else return _mm512_set1_epi32(table[c]);
}

// What one block needs while its groups change: the windows, indices and masks stay in registers.
// QT: quads per block at compile time (0: pl.Q at run time).
template <int QT>
struct BlockState {
  static constexpr int kRegs = QT > 0 ? QT : 1;
  __m512i idx[kRegs], lanes;
  __mmask64 load[kRegs], take[kRegs];
  std::int64_t base[kRegs];
  const GatherQuad* quads;
  const std::int32_t* corr;
  const std::int32_t* weights;
  const std::int32_t* mult;
  const std::int32_t* shift1;
  const std::uint8_t* indices;
  std::int64_t Q, cs;
};

#define BITLAB_VBMI_INLINE __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi"), always_inline)) inline

// The 16 accumulators of the block for channel c of lane 0, input planes from src.
// ZeroPad: zx is the byte 0, so the padding bytes come from a zeroing permute (no merge source to copy).
template <int QT, bool Signed, bool ZeroPad, bool Mixed>
BITLAB_VBMI_INLINE __m512i accumulate(const BlockState<QT>& st, const std::uint8_t* src, std::int64_t c, const Consts& k) {
  __m512i acc = per_lane<Mixed>(st.corr, c, st.lanes);
  for (std::int64_t q = 0; q < (QT > 0 ? QT : st.Q); ++q) {
    __m512i v;
    if constexpr (QT > 0) {
      v = _mm512_maskz_loadu_epi8(st.load[q], src + st.base[q]);
      if constexpr (ZeroPad) v = _mm512_maskz_permutexvar_epi8(st.take[q], st.idx[q], v);
      else v = _mm512_mask_permutexvar_epi8(k.zx, st.take[q], st.idx[q], v);
    } else {
      const GatherQuad& qd = st.quads[q];
      v = _mm512_maskz_loadu_epi8(qd.load, src + qd.base);
      v = _mm512_mask_permutexvar_epi8(k.zx, qd.take, _mm512_loadu_si512(st.indices + 64 * qd.index), v);
    }
    if constexpr (Signed) v = _mm512_xor_si512(v, k.flip);  // x + 128 (and zx + 128 in the padding)
    acc = _mm512_dpbusd_epi32(acc, v, per_lane<Mixed>(st.weights + q * st.cs, c, st.lanes));
  }
  return acc;
}

// Requantises (or not) the block's accumulators and stores its lanes at dst.
template <int QT, bool Requant, bool Mixed>
BITLAB_VBMI_INLINE void finish(const BlockState<QT>& st, __m512i acc, std::int64_t c, bool full, __mmask16 store, void* dst,
                               const Consts& k) {
  if constexpr (!Requant) {
    _mm512_mask_storeu_epi32(dst, store, acc);
  } else {
    __m512i te, to;
    if constexpr (Mixed) {
      const __m512i m = per_lane<Mixed>(st.mult, c, st.lanes), s = per_lane<Mixed>(st.shift1, c, st.lanes);
      te = _mm512_srav_epi64(_mm512_mul_epi32(acc, m), _mm512_and_si512(s, k.low32));
      to = _mm512_srav_epi64(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), _mm512_srli_epi64(m, 32)), _mm512_srli_epi64(s, 32));
    } else {
      const __m512i m = _mm512_set1_epi32(st.mult[c]);
      const __m128i s = _mm_cvtsi32_si128(st.shift1[c]);
      te = _mm512_sra_epi64(_mm512_mul_epi32(acc, m), s);
      to = _mm512_sra_epi64(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), m), s);
    }
    // t = (acc·m) >> (s − 1) fits int32 (make_gather_plan); y = (t + 1 + 2zy) >> 1, clamped.
    const __m512i t32 = _mm512_permutex2var_epi32(te, k.interleave, to);
    const __m512i y = _mm512_max_epi32(_mm512_srai_epi32(_mm512_add_epi32(t32, k.k), 1), k.lo);
    // Narrowed in a register (where hi = 255, by VPMOVUSDB's saturation instead of a min: lo ≥ 0
    // there); a plain store for full blocks, a byte-masked one for the last of a group.
    const __m128i bytes = k.saturate ? _mm512_cvtusepi32_epi8(y) : _mm512_cvtepi32_epi8(_mm512_min_epi32(y, k.hi));
    if (full) _mm_storeu_si128(static_cast<__m128i*>(dst), bytes);
    else _mm_mask_storeu_epi8(dst, store, bytes);
  }
}

// One block of the table for `groups` groups, two groups per step so that their dependency
// chains (three VPDPBUSD, the requant) overlap.
template <int QT, bool Signed, bool ZeroPad, bool Requant, bool Mixed>
BITLAB_VBMI void run_block(const GatherPlan& pl, const GatherTable& t, const GatherBlock& b, const GatherQuad* quads,
                           std::int64_t c_first, std::int64_t groups, const std::uint8_t* in, void* out, const Consts& k) {
  BlockState<QT> st;
  st.Q = QT > 0 ? QT : pl.Q;
  st.cs = pl.C + 16;
  st.quads = quads;
  st.corr = pl.corr.data();
  st.weights = pl.weights.data();
  st.mult = pl.mult.data();
  st.shift1 = pl.shift1.data();
  st.indices = pl.indices.data();
  if constexpr (QT > 0) {
    for (int q = 0; q < QT; ++q) {
      st.idx[q] = _mm512_loadu_si512(pl.indices.data() + 64 * quads[q].index);
      st.load[q] = quads[q].load;
      st.take[q] = quads[q].take;
      st.base[q] = quads[q].base;
    }
  }
  st.lanes = Mixed ? _mm512_loadu_si512(pl.lane_channels.data() + 16 * b.lane_channels) : _mm512_setzero_si512();
  const __mmask16 store = static_cast<__mmask16>((1u << b.lanes) - 1);
  const bool full = b.lanes == 16;
  const std::int64_t step_in = t.channels * pl.HW, step_out = (Requant ? 1 : 4) * t.channels * pl.P;
  const std::int64_t c0 = c_first + b.channel;
  std::uint8_t* dst = static_cast<std::uint8_t*>(out) + (Requant ? 1 : 4) * b.out;
  std::int64_t grp = 0;
  for (; grp + 2 <= groups; grp += 2) {
    const std::int64_t c = c0 + grp * t.channels;
    const __m512i a0 = accumulate<QT, Signed, ZeroPad, Mixed>(st, in + grp * step_in, c, k);
    const __m512i a1 = accumulate<QT, Signed, ZeroPad, Mixed>(st, in + (grp + 1) * step_in, c + t.channels, k);
    finish<QT, Requant, Mixed>(st, a0, c, full, store, dst + grp * step_out, k);
    finish<QT, Requant, Mixed>(st, a1, c + t.channels, full, store, dst + (grp + 1) * step_out, k);
  }
  if (grp < groups) {
    const std::int64_t c = c0 + grp * t.channels;
    finish<QT, Requant, Mixed>(st, accumulate<QT, Signed, ZeroPad, Mixed>(st, in + grp * step_in, c, k), c, full, store,
                               dst + grp * step_out, k);
  }
}

template <int QT, bool Signed, bool ZeroPad, bool Requant>
BITLAB_VBMI void run_plan(const GatherPlan& pl, const std::uint8_t* input, void* output) {
  Consts k;
  k.zx = _mm512_set1_epi8(static_cast<char>(pl.zx_byte));
  k.flip = _mm512_set1_epi8(static_cast<char>(0x80));
  k.k = _mm512_set1_epi32(pl.k);
  k.lo = _mm512_set1_epi32(pl.lo);
  k.hi = _mm512_set1_epi32(pl.hi);
  k.interleave = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
  k.low32 = _mm512_set1_epi64(0xFFFFFFFF);
  k.saturate = pl.hi == 255 && pl.lo >= 0;
  const std::size_t out_size = Requant ? 1 : sizeof(std::int32_t);
  for (std::int64_t n = 0; n < pl.N; ++n) {
    for (const bool tail : {false, true}) {
      const GatherTable& t = tail ? pl.tail : pl.main;
      const std::int64_t groups = tail ? (t.blocks.empty() ? 0 : 1) : pl.groups;
      if (groups == 0) continue;
      const std::int64_t c_first = tail ? pl.groups * pl.main.channels : 0;
      const std::uint8_t* in = input + (n * pl.C + c_first) * pl.HW;
      void* out = static_cast<std::uint8_t*>(output) + static_cast<std::size_t>((n * pl.C + c_first) * pl.P) * out_size;
      for (std::size_t i = 0; i < t.blocks.size(); ++i) {
        const GatherBlock& b = t.blocks[i];
        const GatherQuad* quads = t.quads.data() + static_cast<std::int64_t>(i) * pl.Q;
        if (b.lane_channels >= 0) run_block<QT, Signed, ZeroPad, Requant, true>(pl, t, b, quads, c_first, groups, in, out, k);
        else run_block<QT, Signed, ZeroPad, Requant, false>(pl, t, b, quads, c_first, groups, in, out, k);
      }
    }
  }
}

template <int QT, bool Signed, bool ZeroPad>
void run_requant(const GatherPlan& pl, const std::uint8_t* input, void* output) {
  if (pl.requant) run_plan<QT, Signed, ZeroPad, true>(pl, input, output);
  else run_plan<QT, Signed, ZeroPad, false>(pl, input, output);
}

template <int QT>
void run_quads(const GatherPlan& pl, const std::uint8_t* input, void* output) {
  const bool zero = pl.zx_byte == 0;
  if (pl.input_signed) {
    if (zero) run_requant<QT, true, true>(pl, input, output);
    else run_requant<QT, true, false>(pl, input, output);
  } else {
    if (zero) run_requant<QT, false, true>(pl, input, output);
    else run_requant<QT, false, false>(pl, input, output);
  }
}

}  // namespace

void depthwise_gather_avx512(const GatherPlan& plan, const std::uint8_t* input, void* output) {
  if (plan.Q == 3) run_quads<3>(plan, input, output);  // 3 × 3 (and 3 × 1…4) kernels
  else if (plan.Q == 1) run_quads<1>(plan, input, output);
  else run_quads<0>(plan, input, output);
}

}  // namespace bitlab::runtime::fast::detail

#else
namespace bitlab::runtime::fast::detail {
// Never called: gather_supported() is false off x86-64.
void depthwise_gather_avx512(const GatherPlan&, const std::uint8_t*, void*) {}
}  // namespace bitlab::runtime::fast::detail
#endif
