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
// 16-pixel vectors that exist in a tail block are computed.
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

  // input: N·C·H·W bytes; output: N·O·OH·OW bytes (requant) or int32s.
  void run(const std::uint8_t* input, void* output, std::uint8_t* scratch) const;

  // Layout details shared with the ISA-specific files.
  struct Rows;  // where im2col row k (tap (c, ky, kx)) of one sample/group starts

 private:
  void build_panel(const Rows& rows, std::int64_t p0, std::uint8_t* panel) const;
  void multiply(const std::uint8_t* panel, std::int64_t g, std::int64_t o0, std::int64_t valid, std::int32_t* raw) const;
  void epilogue(const std::int32_t* raw, const std::int32_t* ones, std::int64_t g, std::int64_t o0,
                std::int64_t n, std::int64_t p0, void* output) const;

  ConvProblem p_;
  ConvKind kind_;
  Isa isa_;
  std::int64_t Cg_ = 1, Og_ = 1, K_ = 1;
  std::int64_t k_steps_ = 1;  // K/4 (int8) or K/8 (binary), rounded up (binary AVX-512: to a multiple of 4)
  bool quad_bits_ = false;    // binary on AVX-512: panel and weights in quad (dword) order
  bool bit_plane_ = false;    // quad_bits_ and stride 1: tap bytes are slices of a per-run bit plane
  std::int64_t bit_steps_ = 1;  // tap bytes before rounding k_steps_ up to whole quads
  std::int64_t rows_ = 1;     // packed weight rows per group (Og, +1 ones row for binary, rounded up to 6)
  // Pixel grid: grid_w columns per output row; columns ≥ OW are computed and dropped.
  std::int64_t grid_w_ = 1, grid_pixels_ = 1, Hp_ = 1, Wp_ = 1;
  bool direct_rows_ = true;  // stride 1: im2col rows are slices of the (padded) input plane
  bool padded_plane_ = false;
  std::uint8_t flip_ = 0;  // XOR applied to activation bytes (0x80 for signed int8 codes)
  std::vector<std::int64_t> row_offsets_;  // im2col row k's start relative to the plane / gather base
  std::vector<std::int64_t> step_offsets_;  // bit_plane_: tap byte (c/8, ky, kx)'s start in the bit plane

  std::vector<std::int8_t> w8_;        // Int8: [G][rows][k_steps·4]
  std::vector<std::int32_t> w16_;      // Int8, AVX2: [G][rows][k_steps][2] int16 pairs (w0,w2), (w1,w3)
  std::vector<std::uint8_t> wbits_;    // Binary: [G][rows][k_steps] bytes, bit j = tap 8s+j has w' = +1
  std::vector<std::int32_t> offset_;   // per O: bias − (zx+off)·Σw' − z_req (wrapping)
  std::vector<std::int64_t> mult_;     // per O
  std::vector<std::int32_t> shift_;    // per O
  std::vector<std::uint8_t> narrow_;   // per O: 1 when t + zy fits int32 and dot·m + fold_ fits int64 for every input
  std::vector<std::int64_t> fold_;     // per O: true offset·m + 2^(s−1) + zy·2^s
  bool wide_multiplier_ = false;       // some m ≥ 2^31: scalar 128-bit requant

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
};

// rows ≤ kBlockRows output channels × vectors ≤ 4 sixteen-pixel vectors of the panel.
void multiply_int8_avx512(const std::uint8_t* panel, const std::int8_t* w, std::int64_t k_steps, std::int32_t* raw, int rows,
                          int vectors);
// The binary panel in quad order ([k_quads][64 pixels][4 bytes of 8 taps], pack_bits4_avx512)
// and weights [rows][k_quads·4] bytes.
void multiply_binary_avx512(const std::uint8_t* panel, const std::uint8_t* w, std::int64_t k_quads, std::int32_t* raw, int rows,
                            int vectors);
void multiply_binary_avx2(const std::uint8_t* panel, const std::uint8_t* w, std::int64_t k_steps, std::int32_t* raw);
void multiply_int8_avx2(const std::uint8_t* panel, const std::int32_t* w16, std::int64_t k_steps, std::int32_t* raw);
void interleave4_avx512(const std::uint8_t* const rows[4], std::int64_t p0, std::int64_t valid, std::uint8_t flip,
                        std::uint8_t* out);
// out[i] bit j = rows[j][p0 + i] − sub (0 or 1) for the valid pixels i (only those stored).
void pack_bits_avx512(const std::uint8_t* const rows[8], std::int64_t p0, std::int64_t valid, std::uint8_t sub,
                      std::uint8_t* out);
void pack_bits4_avx512(const std::uint8_t* const rows[32], std::int64_t p0, std::int64_t valid, std::uint8_t sub,
                       std::uint8_t* out);
void epilogue_avx512(const EpilogueArgs& a);
void scatter_codes_avx512(const std::uint8_t* src, std::int64_t valid, std::int64_t p0, std::int64_t grid_w, std::int64_t OW,
                          std::uint8_t* plane);

}  // namespace detail
}  // namespace bitlab::runtime::fast
