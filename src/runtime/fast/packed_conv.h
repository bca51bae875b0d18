#pragma once
// conv2d / linear as packed integer GEMMs with the requantisation fused in
// (docs/integer-spec.md §14.1, §14.2, §14.8, §14.9; layouts in docs/runtime.md).
//
// Activations stay NCHW bytes in the executor's arena. Per sample and group,
// the kernel walks the output pixels in blocks of 64: it first builds a
// "panel" of the block's im2col columns (int8: [K/4][64 pixels][4] bytes, the
// VPDPBUSD operand order; binary: [K/8][64 pixels] bytes of 8 packed taps),
// then multiplies it with the pre-packed weights of 6 output channels at a
// time into int32 sums, and the epilogue adds the per-channel correction,
// requantises and stores. Nothing is allocated per call: the caller passes a
// scratch area of scratch_bytes(). On AVX-512 the binary panel uses the int8
// panel's dword order instead ([K/32][64 pixels][4] bytes of 8 taps), so one
// broadcast weight dword serves four activation vectors; only the rows and
// 16-pixel vectors that exist in a tail block are computed. Int8 convs on
// AVX-512 skip the panel: the input is interleaved once per run into a "quad
// plane" (four channels per pixel dword) whose slices are the panel's steps.
// Strided convs read their taps from the row/column phases of the padded
// plane, so every im2col row is a slice of a plane for every stride.
//
// Exactness (§13): the int8 path multiplies u8 activation bytes x' = x + off
// (off = 128 for signed codes, whose sign bit is flipped, 0 for unsigned) with
// s8 weights w' = w − zw. Then Σ (x − zx)(w − zw) = Σ x'w' − (zx + off)·Σ w',
// and padding taps hold code zx, i.e. x' = zx + off, which the correction
// cancels exactly. Sums wrap modulo 2^32 (VPDPBUSD does not saturate); the
// validator guarantees the true accumulator fits int32, so the wrapped result
// equals it.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ir/ops.h"
#include "runtime/fast/binary_requant.h"
#include "runtime/fast/isa.h"

namespace bitlab::runtime::fast {

inline constexpr int kBlockPixels = 64;  // pixels per panel
inline constexpr int kBlockRows = 6;     // output channels per micro-kernel call

enum class ConvKind : unsigned char {
  Int8,    // codes ≤ 8 bits × weights with w − zw in [−128, 127]
  Binary,  // 1-bit activation codes × weights with w − zw in {−1, +1}: AND + popcount
};

// Everything the packed conv needs to know, independent of the graph.
struct ConvProblem {
  // Input [N, C, H, W] bytes (codes ≤ 8 bits, signed or not), output [N, O, OH, OW].
  std::int64_t N = 1, C = 1, H = 1, W = 1, O = 1, KH = 1, KW = 1;
  std::int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1, groups = 1;
  std::int64_t OH = 1, OW = 1;
  bool linear = false;  // [N, in] × [out, in]: C = in, H = W = KH = KW = 1, output [N, O]

  int input_bits = 8;  // 1..8
  bool input_signed = false;
  std::int32_t input_zero_point = 0;

  std::vector<std::int64_t> weights;            // [O, C/groups, KH, KW] codes
  std::vector<std::int64_t> weight_zero_points;  // one per O
  std::vector<std::int64_t> bias;                // one per O, or empty

  // Fused requant (§14.9) to codes ≤ 8 bits; otherwise int32 accumulators are stored.
  bool requant = false;
  std::vector<quant::DyadicMultiplier> multipliers;  // one per O
  std::vector<std::int32_t> requant_input_zero_points;  // one per O (0 for accumulators)
  std::int32_t output_zero_point = 0;
  std::int32_t lo = 0, hi = 0;
  bool output_signed = false;  // byte stored as int8 or uint8
};

// Which kind a problem can use; false when it needs the generic int64 path
// (weights outside s8 after subtracting zw, or input codes wider than 8 bits).
bool int8_eligible(const ConvProblem& p);
bool binary_eligible(const ConvProblem& p);

namespace detail {
// Where the codes of one 64-pixel block land in an output plane: grid pixel p0 + i at plane
// position base + i for the lanes i in mask (one segment per grid row the block touches,
// columns ≥ OW left out). The same for every output channel of the block.
struct StoreSegment {
  std::int64_t base;
  std::uint64_t mask;
};

}  // namespace detail

class PackedConv {
 public:
  // Packs the weights for `isa` (which must be supported) and `kind` (which
  // must be eligible); throws std::invalid_argument otherwise.
  PackedConv(const ConvProblem& problem, ConvKind kind, Isa isa);

  // Bytes of scratch memory run() needs (64-byte aligned start expected).
  [[nodiscard]] std::size_t scratch_bytes() const { return scratch_bytes_; }
  [[nodiscard]] std::size_t weight_bytes() const;
  [[nodiscard]] ConvKind kind() const { return kind_; }
  [[nodiscard]] Isa isa() const { return isa_; }
  [[nodiscard]] std::int64_t macs() const;  // multiply-accumulates per run (all samples)
  // Binary on AVX-512 with the requant in the micro-kernel's registers (binary_requant.h).
  [[nodiscard]] bool binary_fused() const { return binary_fused_; }

  // input: N·C·H·W bytes; output: N·O·OH·OW bytes (requant) or int32s.
  void run(const std::uint8_t* input, void* output, std::uint8_t* scratch) const;

  // Layout details shared with the ISA-specific files.
  struct Rows;  // where im2col row k (tap (c, ky, kx)) of one sample/group starts

 private:
  void build_panel(const Rows& rows, std::int64_t p0, std::uint8_t* panel) const;
  void build_phases(const std::uint8_t* in, std::uint8_t* plane) const;
  void multiply(const std::uint8_t* panel, std::int64_t g, std::int64_t o0, std::int64_t valid, std::int32_t* raw) const;
  void epilogue(const std::int32_t* raw, const std::int32_t* ones, std::int64_t g, std::int64_t o0,
                std::int64_t n, std::int64_t p0, void* output) const;
  // Binary on AVX-512, one 64-pixel block: all output channels of group g (packed_conv_binary.cpp),
  // activations of quad q at base + offsets[q] (bit plane) or base + 256·q (offsets null: a panel).
  void binary_panel_avx512(const std::uint8_t* base, const std::int64_t* offsets, std::int64_t g, std::int64_t n, std::int64_t p0,
                           std::int32_t* raw, std::int32_t* ones, void* output) const;

  ConvProblem p_;
  ConvKind kind_;
  Isa isa_;
  std::int64_t Cg_ = 1, Og_ = 1, K_ = 1;
  std::int64_t k_steps_ = 1;  // K/4 (int8) or K/8 (binary), rounded up (binary AVX-512: to a multiple of 4)
  bool quad_bits_ = false;    // binary on AVX-512: panel and weights in quad (dword) order
  bool bit_plane_ = false;    // quad_bits_ and stride 1: quad steps are slices of a per-run bit plane
  std::int64_t rows_ = 1;     // packed weight rows per group (Og, +1 ones row for binary, rounded up to 6)
  // Pixel grid: grid_w columns per output row; columns ≥ OW are computed and dropped.
  std::int64_t grid_w_ = 1, grid_pixels_ = 1, Hp_ = 1, Wp_ = 1;
  // Convs: im2col rows are slices of the input plane (stride 1, no padding), of a zero-point
  // padded copy of it, or (strides > 1) of its phases; linear layers gather theirs.
  bool padded_plane_ = false;
  // Strides > 1: the padded plane is split into its stride_h × stride_w row/column phases,
  // [Cg][sh][sw][Hq][Wq], so that every tap's im2col row is a plain slice of one phase.
  bool phased_ = false;
  // Int8 on AVX-512 (not linear): the activations of each group as [Cg/4][block][4] bytes,
  // channel quads interleaved per pixel in the VPDPBUSD operand order, built once per run; step
  // (c/4, ky, kx) of pixels p0.. is the slice at quad_offsets_[step] + 4·p0, so no panel is built.
  static constexpr std::int64_t kQuadTail = 4 * kBlockPixels;
  bool quad_plane_ = false;
  std::int64_t quad_block_ = 0;  // bytes of one channel's (padded / phase-split) plane
  std::vector<std::int64_t> quad_offsets_;
  // Convs with requant on AVX-512: each pixel block's store segments (detail::StoreSegment),
  // block b's at [segment_begin_[b], segment_begin_[b + 1]).
  std::vector<detail::StoreSegment> segments_;
  std::vector<std::int32_t> segment_begin_;
  std::size_t quad_bytes_ = 0;
  std::int64_t Hq_ = 1, Wq_ = 1;
  std::vector<std::uint8_t> phase_used_;  // [sh·sw]: some tap reads this phase
  std::uint8_t flip_ = 0;  // XOR applied to activation bytes (0x80 for signed int8 codes)
  std::vector<std::int64_t> row_offsets_;  // im2col row k's start relative to the plane / gather base
  std::vector<std::int64_t> step_offsets_;  // bit_plane_: quad step (c/32, ky, kx)'s start in the bit plane (bytes)
  static constexpr std::int64_t kBinaryPlaneTail = 4 * kBlockPixels;  // the bit plane's last vector reads past it

  std::vector<std::int8_t> w8_;        // Int8: [G][rows][k_steps·4]
  std::vector<std::int32_t> w16_;      // Int8, AVX2: [G][rows][k_steps][2] int16 pairs (w0,w2), (w1,w3)
  std::vector<std::uint8_t> wbits_;    // Binary: [G][rows][k_steps] bytes, bit j = tap 8s+j has w' = +1
  std::vector<std::int32_t> offset_;   // per O: bias − (zx+off)·Σw' − z_req (wrapping)
  std::vector<std::int64_t> mult_;     // per O
  std::vector<std::int32_t> shift_;    // per O
  std::vector<std::uint8_t> narrow_;   // per O: 1 when t + zy fits int32 and dot·m + fold_ fits int64 for every input
  std::vector<std::int64_t> fold_;     // per O: true offset·m + 2^(s−1) + zy·2^s
  bool wide_multiplier_ = false;       // some m ≥ 2^31: scalar 128-bit requant
  // Binary, AVX-512: every channel's requant has an exact 32-bit form on its dot products
  // (binary_requant.h), applied in the micro-kernel's registers.
  bool binary_fused_ = false;
  std::vector<BinaryRequant> binary_requant_;  // per O

  std::size_t plane_bytes_ = 0, gather_bytes_ = 0, bit_plane_bytes_ = 0, panel_bytes_ = 0, scratch_bytes_ = 0;
};

// ---- ISA-specific pieces (packed_conv_avx2.cpp, packed_conv_avx512.cpp) ----
namespace detail {

struct EpilogueArgs {
  const std::int32_t* raw;   // [rows][64]
  const std::int32_t* ones;  // binary: popcount of the activation bits per pixel, else nullptr
  int count;                 // output channels in this block
  const std::int32_t* offset;
  const std::int64_t* mult;
  const std::int32_t* shift;
  std::int32_t zy, lo, hi;
  bool requant;
  std::uint8_t* codes;       // [count][64] bytes out (requant)
  std::int32_t* accs;        // [count][64] int32 out (no requant)
  int vectors = 4;           // 16-pixel vectors holding valid pixels (raw beyond them is stale)
  const std::uint8_t* narrow = nullptr;  // per channel: 1 when the 32-bit epilogue is exact (see fold_)
  const std::int64_t* fold = nullptr;    // per channel: offset·m + 2^(s−1) + zy·2^s (narrow channels)
  // requant: when set, codes go straight to out + r·out_stride through these segments.
  const StoreSegment* segments = nullptr;
  int segment_count = 0;
  std::uint8_t* out = nullptr;
  std::int64_t out_stride = 0;
};

// rows ≤ kBlockRows output channels × vectors ≤ 4 sixteen-pixel vectors of the panel.
void multiply_int8_avx512(const std::uint8_t* panel, const std::int8_t* w, std::int64_t k_steps, std::int32_t* raw, int rows,
                          int vectors);
// What the binary micro-kernel does with its per-pixel dword sums x = init + Σ popcount (VPOPCNTD
// of 32-tap dwords). With init = popcount(β)·2^16 (Final::High of the all-ones row) x holds the
// words (p, n) = (popcount(β ∧ β_w), popcount(β)), and the dot product d = 2p − n is one
// VPDPWSSD away (needs p, n ≤ 32767, i.e. K ≤ 32767). With `requant` set, rows become byte codes
// in registers (fit_binary_requants), stored through `segments` into row r's plane at
// out + r·out_stride; else raw[r][64] gets x, x·2^16, or d.
struct BinaryOut {
  enum class Final : unsigned char { Sums, High, Dot };
  const std::int32_t* init = nullptr;  // [64], or none (0)
  const std::int64_t* offsets = nullptr;  // quad q's 64 pixels at panel + offsets[q] (a bit quad plane), else panel + 256·q
  Final final = Final::Sums;
  const BinaryRequant* requant = nullptr;  // per row
  std::uint8_t* out = nullptr;
  std::int64_t out_stride = 0;
  const StoreSegment* segments = nullptr;  // the block's pieces (PackedConv::segments_)
  int segment_count = 0;
  std::int32_t lo = 0, hi = 255;       // clamp, inside the bytes' range below
  bool unsigned_bytes = true;          // codes as uint8 (else int8)
  bool clamp = true;                   // [lo, hi] narrower than the packs' saturation
};
// The binary panel in quad order ([k_quads][64 pixels][4 bytes of 8 taps], pack_bits4_avx512)
// and weights [rows][k_quads·4] bytes.
void multiply_binary_avx512(const std::uint8_t* panel, const std::uint8_t* w, std::int64_t k_quads, std::int32_t* raw, int rows,
                            int vectors, const BinaryOut& out = {});
// `rows` output channels of one panel with the fused requant (out.requant set), 4 at a time.
void binary_requant_panel_avx512(const std::uint8_t* panel, const std::uint8_t* w, std::int64_t k_quads, std::int64_t rows,
                                 int vectors, std::int32_t* raw, const BinaryOut& out);
void multiply_binary_avx2(const std::uint8_t* panel, const std::uint8_t* w, std::int64_t k_steps, std::int32_t* raw);
void multiply_int8_avx2(const std::uint8_t* panel, const std::int32_t* w16, std::int64_t k_steps, std::int32_t* raw);
void interleave4_avx512(const std::uint8_t* const rows[4], std::int64_t p0, std::int64_t valid, std::uint8_t flip,
                        std::uint8_t* out);
void pack_bits4_avx512(const std::uint8_t* const rows[32], std::int64_t p0, std::int64_t valid, std::uint8_t sub,
                       std::uint8_t* out);
// out[4·i + q] bit j = rows[8q + j][p0 + i] − sub (0 or 1) for i < n (a null row gives 0 bits):
// 32 channels per pixel dword, the binary quad plane's order; writes 4·n bytes.
void pack_bit_quads_avx512(const std::uint8_t* const rows[32], std::int64_t p0, std::int64_t n, std::uint8_t sub,
                           std::uint8_t* out);
void epilogue_avx512(const EpilogueArgs& a);
// out[i·4 + j] = rows[j][i] ^ flip for i < n (a null row reads as 0); writes 4·n bytes.
void quad_rows_avx512(const std::uint8_t* const rows[4], std::int64_t n, std::uint8_t flip, std::uint8_t* out);
// multiply_int8_avx512 with step s's activations at base + step_offsets[s] (the quad plane).
void multiply_int8_quads_avx512(const std::uint8_t* base, const std::int64_t* step_offsets, const std::int8_t* w,
                                std::int64_t k_steps, std::int32_t* raw, int rows, int vectors);
// even[i] = src[2·i] for i < ⌈W/2⌉, odd[i] = src[2·i + 1] for i < ⌊W/2⌋; a null output is skipped.
void split_columns2_avx512(const std::uint8_t* src, std::int64_t W, std::uint8_t* even, std::uint8_t* odd);

}  // namespace detail
}  // namespace bitlab::runtime::fast
