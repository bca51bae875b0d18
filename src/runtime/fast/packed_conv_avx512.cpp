// AVX-512 pieces of the packed conv (packed_conv.h): VPDPBUSD (u8 × s8 → int32)
// for int8, VPOPCNTB for binary (with
// the binary panel in the int8 panel's dword order, see pack_bits4_avx512). Compiled with per-function target attributes
// so that the library builds without -march and the caller dispatches at run
// time (isa.h). Results are bit-identical to the portable code beside them in
// packed_conv.cpp, which the differential tests check.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "runtime/fast/packed_conv.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// GCC 12 warns inside its own AVX-512 headers (the _mm512_undefined_* placeholders).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#define BITLAB_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512bitalg,avx512vpopcntdq,avx512vbmi")))

namespace bitlab::runtime::fast::detail {
namespace {

BITLAB_AVX512 inline __m512i load_row(const std::uint8_t* row, std::int64_t p0, __mmask64 mask) {
  return row ? _mm512_maskz_loadu_epi8(mask, row + p0) : _mm512_setzero_si512();
}

BITLAB_AVX512 inline __mmask64 valid_mask(std::int64_t valid) {
  return valid >= 64 ? ~__mmask64{0} : ((__mmask64{1} << valid) - 1);
}

// q[k] = bytes 64k..64k+63 of the interleave out[i·4 + j] = byte i of r_j, i < 64 (the VPDPBUSD
// operand order): byte then word interleaves work inside 128-bit lanes; a 4×4 lane transpose finishes.
BITLAB_AVX512 inline void interleave4(__m512i r0, __m512i r1, __m512i r2, __m512i r3, __m512i q[4]) {
  const __m512i a = _mm512_unpacklo_epi8(r0, r1), b = _mm512_unpackhi_epi8(r0, r1);
  const __m512i c = _mm512_unpacklo_epi8(r2, r3), d = _mm512_unpackhi_epi8(r2, r3);
  const __m512i e0 = _mm512_unpacklo_epi16(a, c), e1 = _mm512_unpackhi_epi16(a, c);
  const __m512i e2 = _mm512_unpacklo_epi16(b, d), e3 = _mm512_unpackhi_epi16(b, d);
  const __m512i t0 = _mm512_shuffle_i32x4(e0, e1, 0x44), t1 = _mm512_shuffle_i32x4(e2, e3, 0x44);
  const __m512i t2 = _mm512_shuffle_i32x4(e0, e1, 0xEE), t3 = _mm512_shuffle_i32x4(e2, e3, 0xEE);
  q[0] = _mm512_shuffle_i32x4(t0, t1, 0x88);
  q[1] = _mm512_shuffle_i32x4(t0, t1, 0xDD);
  q[2] = _mm512_shuffle_i32x4(t2, t3, 0x88);
  q[3] = _mm512_shuffle_i32x4(t2, t3, 0xDD);
}

// The first 4·n bytes of an interleave (n ≤ 64 pixels): plain stores for a whole block, masked
// ones for a tail, so nothing past them is written.
BITLAB_AVX512 inline void store_quads(const __m512i q[4], std::int64_t n, std::uint8_t* out) {
  if (n >= 64) {
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) _mm512_storeu_si512(out + k * 64, q[k]);
    return;
  }
  const std::int64_t bytes = n * 4;
  for (int k = 0; k < 4 && bytes > k * 64; ++k) _mm512_mask_storeu_epi8(out + k * 64, valid_mask(bytes - k * 64), q[k]);
}

// out[i·4 + j] = byte i of r_j ^ f for the 64 bytes i.
BITLAB_AVX512 inline void interleave_store(__m512i r0, __m512i r1, __m512i r2, __m512i r3, __m512i f, std::uint8_t* out) {
  __m512i q[4];
  interleave4(r0, r1, r2, r3, q);
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) _mm512_storeu_si512(out + k * 64, _mm512_xor_si512(q[k], f));
}

}  // namespace

// out[i·4 + j] = rows[j][p0 + i] ^ flip for the 64 pixels i (the VPDPBUSD operand order).
BITLAB_AVX512 void interleave4_avx512(const std::uint8_t* const rows[4], std::int64_t p0, std::int64_t valid,
                                      std::uint8_t flip, std::uint8_t* out) {
  const __mmask64 mask = valid_mask(valid);
  interleave_store(load_row(rows[0], p0, mask), load_row(rows[1], p0, mask), load_row(rows[2], p0, mask),
                   load_row(rows[3], p0, mask), _mm512_set1_epi8(static_cast<char>(flip)), out);
}

// out[i·4 + j] = rows[j][i] ^ flip for i < n; only the 4·n bytes are written.
BITLAB_AVX512 void quad_rows_avx512(const std::uint8_t* const rows[4], std::int64_t n, std::uint8_t flip, std::uint8_t* out) {
  const __m512i f = _mm512_set1_epi8(static_cast<char>(flip));
  for (std::int64_t p0 = 0; p0 < n; p0 += 64) {
    const __mmask64 mask = valid_mask(n - p0);
    __m512i q[4];
    interleave4(load_row(rows[0], p0, mask), load_row(rows[1], p0, mask), load_row(rows[2], p0, mask),
                load_row(rows[3], p0, mask), q);
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) q[k] = _mm512_xor_si512(q[k], f);
    store_quads(q, n - p0, out + 4 * p0);
  }
}

namespace {

// Bit j of byte i = (rows[j][at + i] − sub) & 1 for the 64 pixels i (lanes outside `mask` read
// as 0). VPSLLW by j ≤ 7 moves each byte's bit 0 to its bit j without reaching the next byte,
// and one VPTERNLOGD ORs that bit in: acc | (v' & 2^j) for unsigned codes (sub = 0),
// acc | (~v' & 2^j) for signed ones (sub = 0xFF: (v + 1) & 1 = ~v & 1). A missing row (a
// channel past Cg) leaves its bit 0.
template <bool Signed>
BITLAB_AVX512 inline __m512i bits8(const std::uint8_t* const rows[8], std::int64_t at, __mmask64 mask) {
  __m512i acc = _mm512_setzero_si512();
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) {
    if (!rows[j]) continue;
    __m512i v = _mm512_maskz_loadu_epi8(mask, rows[j] + at);
    if (j > 0) v = _mm512_slli_epi16(v, static_cast<unsigned>(j));
    acc = _mm512_ternarylogic_epi32(acc, v, _mm512_set1_epi8(static_cast<char>(1u << j)), Signed ? 0xF2 : 0xF8);
  }
  return acc;
}

// 32 channels per pixel dword (byte q = channels 8q..8q+7), n pixels: 4·n bytes, nothing past them.
template <bool Signed>
BITLAB_AVX512 void pack_quad_run(const std::uint8_t* const rows[32], std::int64_t p0, std::int64_t n, std::uint8_t* out) {
  for (std::int64_t i = 0; i < n; i += 64) {
    const __mmask64 mask = valid_mask(n - i);
    const __m512i r0 = bits8<Signed>(rows, p0 + i, mask), r1 = bits8<Signed>(rows + 8, p0 + i, mask);
    const __m512i r2 = bits8<Signed>(rows + 16, p0 + i, mask), r3 = bits8<Signed>(rows + 24, p0 + i, mask);
    __m512i q[4];
    interleave4(r0, r1, r2, r3, q);
    store_quads(q, n - i, out + i * 4);
  }
}

}  // namespace

BITLAB_AVX512 void pack_bit_quads_avx512(const std::uint8_t* const rows[32], std::int64_t p0, std::int64_t n, std::uint8_t sub,
                                         std::uint8_t* out) {
  if (sub != 0) pack_quad_run<true>(rows, p0, n, out);
  else pack_quad_run<false>(rows, p0, n, out);
}

// out[i·4 + q] bit j = rows[q·8 + j][p0 + i] − sub (0 or 1) for the 64 pixels i: four bytes of
// taps per pixel, in the int8 panel's order, so that one broadcast weight dword serves 4 vectors.
BITLAB_AVX512 void pack_bits4_avx512(const std::uint8_t* const rows[32], std::int64_t p0, std::int64_t valid,
                                     std::uint8_t sub, std::uint8_t* out) {
  const __mmask64 mask = valid_mask(valid);
  if (sub != 0) {  // 0xFF: signed 1-bit codes
    interleave_store(bits8<true>(rows, p0, mask), bits8<true>(rows + 8, p0, mask), bits8<true>(rows + 16, p0, mask),
                     bits8<true>(rows + 24, p0, mask), _mm512_setzero_si512(), out);
  } else {
    interleave_store(bits8<false>(rows, p0, mask), bits8<false>(rows + 8, p0, mask), bits8<false>(rows + 16, p0, mask),
                     bits8<false>(rows + 24, p0, mask), _mm512_setzero_si512(), out);
  }
}

namespace {

// raw[r][i] = Σ_s Σ_j panel[s][i][j] · w[r][s·4 + j] for R rows × 16·V pixels: R·V accumulators,
// V activation vectors per step, each weight dword broadcast once and used V times. VPDPBUSD
// issues one zmm per cycle here with latency 4 (bench BM_VpdpbusdPeak), so R·V ≥ 4 keeps it busy.
// Step s's activations start at panel + s·256 (a built panel) or at base + offsets[s] (the
// quad plane, see quad_rows_avx512: then every step is a slice of the plane, nothing is built).
template <int R, int V>
BITLAB_AVX512 void int8_block(const std::uint8_t* panel, const std::int64_t* offsets, const std::int8_t* w,
                              std::int64_t k_steps, std::int32_t* raw) {
  __m512i acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_si512();
  const std::int64_t stride = k_steps * 4;
  for (std::int64_t s = 0; s < k_steps; ++s) {
    const std::uint8_t* x = offsets ? panel + offsets[s] : panel + s * 256;
    __m512i a[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) a[v] = _mm512_loadu_si512(x + v * 64);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      std::int32_t word;
      std::memcpy(&word, w + r * stride + s * 4, 4);
      const __m512i b = _mm512_set1_epi32(word);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], a[v], b);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) _mm512_storeu_si512(raw + r * 64 + v * 16, acc[r][v]);
}

// Row r's 64 codes into its output plane: one store per grid-row segment of the block (lane i at
// base + i; masked-off lanes are never accessed, AVX-512 suppresses their faults), a plain store
// when the block is one full run.
BITLAB_AVX512 inline void store_binary_row(__m512i bytes, const BinaryOut& o, int r) {
  const std::uintptr_t row = reinterpret_cast<std::uintptr_t>(o.out) + static_cast<std::uintptr_t>(r * o.out_stride);
  for (int i = 0; i < o.segment_count; ++i) {
    const StoreSegment& sg = o.segments[i];
    void* dst = reinterpret_cast<void*>(row + static_cast<std::uintptr_t>(sg.base));
    if (sg.mask == ~std::uint64_t{0}) _mm512_storeu_si512(dst, bytes);
    else _mm512_mask_storeu_epi8(dst, sg.mask, bytes);
  }
}

// Row r's codes from its 16·V pixel dwords x = popcount(β ∧ β_w) + popcount(β)·2^16, i.e. the
// word pair (p, n) with dot product d = 2p − n: clamp((d·m' + f') >> s', lo, hi) in int32 lanes
// (exact: fit_binary_requant). When m' fits a word that is one VPDPWSSD of (p, n) with
// (2m', −m') onto f'; else d = VPDPWSSD of (p, n) with (2, −1), then VPMULLD + VPADDD. Packed
// to 64 bytes by saturating packs (exact inside [lo, hi] ⊂ a byte's range), the clamp then on
// bytes when narrower than the packs'. Table form (steep requants, BinaryRequant::table): the
// same packs turn d − D into bytes, VPMINUB caps them at 63, one VPERMB reads the codes.
template <int V>
BITLAB_AVX512 inline void requant_binary_row(const __m512i* x, const BinaryRequant& q, const BinaryOut& o, int r) {
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  if (q.table) {  // index clamp(d − D, 0, 63) by saturating packs and VPMINUB, then VPERMB
    const __m512i base = _mm512_set1_epi32(q.fold), pair = _mm512_set1_epi32(static_cast<std::int32_t>(q.pair));
    __m512i e[4];
#pragma GCC unroll 4
    for (int v = 0; v < 4; ++v) e[v] = v < V ? _mm512_dpwssd_epi32(base, x[v], pair) : _mm512_setzero_si512();
    const __m512i idx = _mm512_min_epu8(
        _mm512_packus_epi16(_mm512_packs_epi32(e[0], e[1]), _mm512_packs_epi32(e[2], e[3])), _mm512_set1_epi8(63));
    const __m512i bytes = _mm512_permutexvar_epi8(idx, _mm512_loadu_si512(q.bytes.data()));
    store_binary_row(_mm512_permutexvar_epi32(order, bytes), o, r);
    return;
  }
  const __m512i f = _mm512_set1_epi32(q.fold);
  const __m128i count = _mm_cvtsi32_si128(q.shift);
  const __m512i pair = _mm512_set1_epi32(static_cast<std::int32_t>(q.pair));
  __m512i y[4];
#pragma GCC unroll 4
  for (int v = 0; v < 4; ++v) {
    if (v >= V) {
      y[v] = _mm512_setzero_si512();
      continue;
    }
    const __m512i t = q.word ? _mm512_dpwssd_epi32(f, x[v], pair)
                             : _mm512_add_epi32(_mm512_mullo_epi32(_mm512_dpwssd_epi32(_mm512_setzero_si512(), x[v], pair),
                                                                   _mm512_set1_epi32(q.mult)),
                                                f);
    y[v] = _mm512_sra_epi32(t, count);
  }
  const __m512i w01 = _mm512_packs_epi32(y[0], y[1]), w23 = _mm512_packs_epi32(y[2], y[3]);
  __m512i bytes = o.unsigned_bytes ? _mm512_packus_epi16(w01, w23) : _mm512_packs_epi16(w01, w23);
  if (o.clamp) {
    const __m512i lo = _mm512_set1_epi8(static_cast<char>(o.lo)), hi = _mm512_set1_epi8(static_cast<char>(o.hi));
    bytes = o.unsigned_bytes ? _mm512_min_epu8(_mm512_max_epu8(bytes, lo), hi) : _mm512_min_epi8(_mm512_max_epi8(bytes, lo), hi);
  }
  // The packs work per 128-bit lane: lane L holds dwords (y0, y1, y2, y3) of pixels 4L..4L+3 of each vector.
  store_binary_row(_mm512_permutexvar_epi32(order, bytes), o, r);
}

// Per pixel dword of R rows × 16·V pixels: init[i] + Σ_q popcount(panel[q][i] & w[r][q]) over
// the 32 taps of each quad step (VPOPCNTD; no byte counters to flush). Per broadcast weight
// dword: V × (AND, VPOPCNTD, ADD). Then codes (o.requant), or raw = the sums, the sums · 2^16,
// or d = 2p − n from (p, n) words (BinaryOut::Final).
template <int R, int V>
BITLAB_AVX512 void binary_block(const std::uint8_t* panel, const std::uint8_t* w, std::int64_t stride, std::int64_t k_quads,
                                std::int32_t* raw, const BinaryOut& o) {
  __m512i acc[R][V];
#pragma GCC unroll 4
  for (int v = 0; v < V; ++v) {
    const __m512i start = o.init ? _mm512_loadu_si512(o.init + v * 16) : _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r][v] = start;
  }
  for (std::int64_t q = 0; q < k_quads; ++q) {
    const std::uint8_t* x = o.offsets ? panel + o.offsets[q] : panel + q * 256;
    __m512i a[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) a[v] = _mm512_loadu_si512(x + v * 64);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      std::int32_t word;
      std::memcpy(&word, w + r * stride + q * 4, 4);
      const __m512i b = _mm512_set1_epi32(word);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_add_epi32(acc[r][v], _mm512_popcnt_epi32(_mm512_and_si512(a[v], b)));
    }
  }
  if (o.requant != nullptr) {
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) requant_binary_row<V>(acc[r], o.requant[r], o, r);
    return;
  }
  const __m512i dot = _mm512_set1_epi32(static_cast<std::int32_t>(0xFFFF0002u));  // words (2, −1)
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      __m512i y = acc[r][v];
      if (o.final == BinaryOut::Final::Dot) y = _mm512_dpwssd_epi32(_mm512_setzero_si512(), y, dot);
      if (o.final == BinaryOut::Final::High) y = _mm512_slli_epi32(y, 16);
      _mm512_storeu_si512(raw + r * 64 + v * 16, y);
    }
}

// The micro-kernel instance for `rows` × `vectors` (1..6 × 1..4): only the rows and 16-pixel
// vectors that exist are computed (row and pixel tails). Kernel<R, V>::run is one instance.
template <template <int, int> class Kernel>
auto kernel_for(int rows, int vectors) {
  static constexpr auto table = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array{&Kernel<static_cast<int>(I / 4) + 1, static_cast<int>(I % 4) + 1>::run...};
  }(std::make_index_sequence<kBlockRows * 4>{});
  return table[static_cast<std::size_t>((rows - 1) * 4 + vectors - 1)];
}

template <int R, int V>
struct Int8Kernel {
  BITLAB_AVX512 static void run(const std::uint8_t* p, const std::int8_t* w, std::int64_t n, std::int32_t* raw) {
    int8_block<R, V>(p, nullptr, w, n, raw);
  }
};
template <int R, int V>
struct Int8QuadKernel {
  BITLAB_AVX512 static void run(const std::uint8_t* base, const std::int64_t* offsets, const std::int8_t* w, std::int64_t n,
                                std::int32_t* raw) {
    int8_block<R, V>(base, offsets, w, n, raw);
  }
};

// At most 4 rows × 4 vectors per pass: 16 dword counters + 4 activations + the popcount
// temporaries fit the 32 zmm registers (6 × 4 spilled the counters to the stack).
template <int R, int V>
struct BinaryKernel {
  BITLAB_AVX512 static void run(const std::uint8_t* p, const std::uint8_t* w, std::int64_t n, std::int32_t* raw,
                                const BinaryOut& o) {
    if constexpr (R > 4) {
      binary_block<4, V>(p, w, n * 4, n, raw, o);
      BinaryOut rest = o;
      if (o.requant != nullptr) {
        rest.requant = o.requant + 4;
        rest.out = o.out + 4 * o.out_stride;
      }
      binary_block<R - 4, V>(p, w + 4 * n * 4, n * 4, n, raw + 4 * kBlockPixels, rest);
    } else {
      binary_block<R, V>(p, w, n * 4, n, raw, o);
    }
  }
};

// All `rows` channels of one panel with the fused requant, in passes of 4 rows (a pass of 4 × 4
// counters is the largest that stays in registers; 2-row passes cost more per row).
template <int V>
BITLAB_AVX512 void binary_requant_rows(const std::uint8_t* panel, const std::uint8_t* w, std::int64_t k_quads, std::int64_t rows,
                                       std::int32_t* raw, BinaryOut o) {
  const std::int64_t stride = k_quads * 4;
  std::int64_t r = 0;
  for (; r + 4 <= rows; r += 4, o.requant += 4, o.out += 4 * o.out_stride)
    binary_block<4, V>(panel, w + r * stride, stride, k_quads, raw, o);
  switch (rows - r) {
    case 1: return binary_block<1, V>(panel, w + r * stride, stride, k_quads, raw, o);
    case 2: return binary_block<2, V>(panel, w + r * stride, stride, k_quads, raw, o);
    case 3: return binary_block<3, V>(panel, w + r * stride, stride, k_quads, raw, o);
    default: return;
  }
}

}  // namespace

void binary_requant_panel_avx512(const std::uint8_t* panel, const std::uint8_t* w, std::int64_t k_quads, std::int64_t rows,
                                 int vectors, std::int32_t* raw, const BinaryOut& out) {
  switch (vectors) {
    case 1: return binary_requant_rows<1>(panel, w, k_quads, rows, raw, out);
    case 2: return binary_requant_rows<2>(panel, w, k_quads, rows, raw, out);
    case 3: return binary_requant_rows<3>(panel, w, k_quads, rows, raw, out);
    default: return binary_requant_rows<4>(panel, w, k_quads, rows, raw, out);
  }
}

void multiply_int8_avx512(const std::uint8_t* panel, const std::int8_t* w, std::int64_t k_steps, std::int32_t* raw, int rows,
                          int vectors) {
  kernel_for<Int8Kernel>(rows, vectors)(panel, w, k_steps, raw);
}

void multiply_int8_quads_avx512(const std::uint8_t* base, const std::int64_t* step_offsets, const std::int8_t* w,
                                std::int64_t k_steps, std::int32_t* raw, int rows, int vectors) {
  kernel_for<Int8QuadKernel>(rows, vectors)(base, step_offsets, w, k_steps, raw);
}

void multiply_binary_avx512(const std::uint8_t* panel, const std::uint8_t* w, std::int64_t k_quads, std::int32_t* raw, int rows,
                            int vectors, const BinaryOut& out) {
  kernel_for<BinaryKernel>(rows, vectors)(panel, w, k_quads, raw, out);
}

// §14.8 epilogue, 16 pixels at a time: acc = raw (+ binary fix-up) + offset (wrapping),
// then t = (acc·m + 2^(s−1)) >> s in 64-bit lanes (m < 2^31 here), y = clamp(t + zy, lo, hi).
namespace {

// One channel's 64 pixels when t + zy = ((dot + offset)·m + 2^(s−1)) >> s + zy is known to fit
// in int32 (the constructor's bounds, EpilogueArgs::narrow), so it is exact in 32-bit lanes. It
// is computed as (dot·m + fold) >> s with fold = offset·m + 2^(s−1) + zy·2^s (floor division
// absorbs the whole multiple of 2^s; the constructor checks that nothing wraps). Even lanes keep
// the low half of x >> s; odd lanes take x >> (s − 32) when s ≥ 32, whose high half is bits
// s..s+31 of x (else (x >> s) << 32). The 64 results, clamped to [lo, hi] ⊂ a byte's range,
// are packed to bytes by saturating packs (exact there).
BITLAB_AVX512 __m512i requant_row_narrow(const EpilogueArgs& a, int r, bool unsigned_bytes) {
  const __m512i m = _mm512_set1_epi64(a.mult[r]);
  const int s = a.shift[r];
  const __m512i fold = _mm512_set1_epi64(a.fold[r]);
  const __m128i count = _mm_cvtsi32_si128(s), count_hi = _mm_cvtsi32_si128(s >= 32 ? s - 32 : 0);
  const __m512i lo = _mm512_set1_epi32(a.lo), hi = _mm512_set1_epi32(a.hi);
  __m512i y[4];
#pragma GCC unroll 4
  for (int v = 0; v < 4; ++v) {
    if (v >= a.vectors) {  // raw is stale there, and no pixel of it is stored
      y[v] = _mm512_setzero_si512();
      continue;
    }
    __m512i dot = _mm512_loadu_si512(a.raw + r * 64 + v * 16);
    if (a.ones) dot = _mm512_sub_epi32(_mm512_add_epi32(dot, dot), _mm512_loadu_si512(a.ones + v * 16));
    const __m512i even = _mm512_sra_epi64(_mm512_add_epi64(_mm512_mul_epi32(dot, m), fold), count);
    const __m512i x_odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(dot, 32), m), fold);
    const __m512i odd = s >= 32 ? _mm512_sra_epi64(x_odd, count_hi) : _mm512_slli_epi64(_mm512_sra_epi64(x_odd, count), 32);
    y[v] = _mm512_min_epi32(_mm512_max_epi32(_mm512_mask_blend_epi32(0xAAAA, even, odd), lo), hi);
  }
  const __m512i w01 = _mm512_packs_epi32(y[0], y[1]), w23 = _mm512_packs_epi32(y[2], y[3]);
  const __m512i bytes = unsigned_bytes ? _mm512_packus_epi16(w01, w23) : _mm512_packs_epi16(w01, w23);
  // The packs work per 128-bit lane: lane L holds dwords (y0, y1, y2, y3) of pixels 4L..4L+3 of each vector.
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_epi32(order, bytes);
}

// Row r's 64 codes to the staging area, or (EpilogueArgs::segments) straight to their output
// positions: one masked store per grid-row segment, lane i landing at plane[base + i] (the
// pointer is formed as an integer: masked-off lanes are never accessed, AVX-512 suppresses
// their faults, but base + i may lie before the plane for lanes that belong to other rows).
BITLAB_AVX512 void emit_row(const EpilogueArgs& a, int r, __m512i bytes) {
  if (a.segments == nullptr) {
    _mm512_storeu_si512(a.codes + r * 64, bytes);
    return;
  }
  const auto plane = reinterpret_cast<std::uintptr_t>(a.out + r * a.out_stride);
  for (int i = 0; i < a.segment_count; ++i) {
    const StoreSegment& seg = a.segments[i];
    _mm512_mask_storeu_epi8(reinterpret_cast<void*>(plane + static_cast<std::uintptr_t>(seg.base)), seg.mask, bytes);
  }
}

}  // namespace

BITLAB_AVX512 void epilogue_avx512(const EpilogueArgs& a) {
  const bool unsigned_bytes = a.lo >= 0 && a.hi <= 255, signed_bytes = a.lo >= -128 && a.hi <= 127;
  for (int r = 0; r < a.count; ++r) {
    if (a.requant && a.narrow != nullptr && a.narrow[r] != 0 && (unsigned_bytes || signed_bytes)) {
      emit_row(a, r, requant_row_narrow(a, r, unsigned_bytes));
      continue;
    }
    const __m512i offset = _mm512_set1_epi32(a.offset[r]);
    const __m512i m = _mm512_set1_epi64(a.mult[r]);
    const int s = a.shift[r];
    const __m512i rnd = _mm512_set1_epi64(s > 0 ? std::int64_t{1} << (s - 1) : 0);
    const __m128i count = _mm_cvtsi32_si128(s);
    const __m512i zy = _mm512_set1_epi64(a.zy), lo = _mm512_set1_epi64(a.lo), hi = _mm512_set1_epi64(a.hi);
    for (int v = 0; v < a.vectors; ++v) {
      __m512i acc = _mm512_loadu_si512(a.raw + r * 64 + v * 16);
      if (a.ones) acc = _mm512_sub_epi32(_mm512_add_epi32(acc, acc), _mm512_loadu_si512(a.ones + v * 16));
      acc = _mm512_add_epi32(acc, offset);
      if (!a.requant) {
        _mm512_storeu_si512(a.accs + r * 64 + v * 16, acc);
        continue;
      }
      __m512i even = _mm512_mul_epi32(acc, m);
      __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), m);
      even = _mm512_add_epi64(_mm512_sra_epi64(_mm512_add_epi64(even, rnd), count), zy);
      odd = _mm512_add_epi64(_mm512_sra_epi64(_mm512_add_epi64(odd, rnd), count), zy);
      even = _mm512_min_epi64(_mm512_max_epi64(even, lo), hi);
      odd = _mm512_min_epi64(_mm512_max_epi64(odd, lo), hi);
      const __m512i y = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(a.codes + r * 64 + v * 16), _mm512_cvtepi32_epi8(y));
    }
    if (a.requant && a.segments != nullptr) emit_row(a, r, _mm512_loadu_si512(a.codes + r * 64));
  }
}

// Even and odd bytes of 64 at a time: the low and high byte of each 16-bit word (VPMOVWB). The
// last chunk's load is masked to the row, so nothing past src[W − 1] is touched.
BITLAB_AVX512 void split_columns2_avx512(const std::uint8_t* src, std::int64_t W, std::uint8_t* even, std::uint8_t* odd) {
  for (std::int64_t at = 0; at < W; at += 64) {
    const std::int64_t n = std::min<std::int64_t>(64, W - at);
    const __m512i v = _mm512_maskz_loadu_epi8(valid_mask(n), src + at);
    const std::int64_t ne = (n + 1) / 2, no = n / 2;
    if (even) _mm256_mask_storeu_epi8(even + at / 2, static_cast<__mmask32>((std::uint64_t{1} << ne) - 1), _mm512_cvtepi16_epi8(v));
    if (odd && no > 0)
      _mm256_mask_storeu_epi8(odd + at / 2, static_cast<__mmask32>((std::uint64_t{1} << no) - 1),
                              _mm512_cvtepi16_epi8(_mm512_srli_epi16(v, 8)));
  }
}

}  // namespace bitlab::runtime::fast::detail

#else
#include <cstdlib>
namespace bitlab::runtime::fast::detail {
// Never called: isa_supported(Isa::Avx512) is false off x86-64.
void interleave4_avx512(const std::uint8_t* const*, std::int64_t, std::int64_t, std::uint8_t, std::uint8_t*) { std::abort(); }
void pack_bit_quads_avx512(const std::uint8_t* const*, std::int64_t, std::int64_t, std::uint8_t, std::uint8_t*) { std::abort(); }
void pack_bits4_avx512(const std::uint8_t* const*, std::int64_t, std::int64_t, std::uint8_t, std::uint8_t*) { std::abort(); }
void multiply_int8_avx512(const std::uint8_t*, const std::int8_t*, std::int64_t, std::int32_t*, int, int) { std::abort(); }
void multiply_binary_avx512(const std::uint8_t*, const std::uint8_t*, std::int64_t, std::int32_t*, int, int, const BinaryOut&) { std::abort(); }
void binary_requant_panel_avx512(const std::uint8_t*, const std::uint8_t*, std::int64_t, std::int64_t, int, std::int32_t*, const BinaryOut&) {
  std::abort();
}
void epilogue_avx512(const EpilogueArgs&) { std::abort(); }
void split_columns2_avx512(const std::uint8_t*, std::int64_t, std::uint8_t*, std::uint8_t*) { std::abort(); }
void quad_rows_avx512(const std::uint8_t* const*, std::int64_t, std::uint8_t, std::uint8_t*) { std::abort(); }
void multiply_int8_quads_avx512(const std::uint8_t*, const std::int64_t*, const std::int8_t*, std::int64_t, std::int32_t*, int, int) {
  std::abort();
}
}  // namespace bitlab::runtime::fast::detail
#endif
