// The fixed part of net.c: integer helpers every layer function calls. Each is
// the literal C form of a docs/integer-spec.md rule, written so that it never
// relies on implementation-defined behaviour (right shifts of negative values,
// out-of-range conversions) and never overflows.
#include <string>

#include "codegen/codegen.h"

namespace bitlab::codegen {
namespace {

constexpr const char* kCommon = R"C(
/* Helpers a network does not use are not warned about (Clang warns on unused static inline). */
#if defined(__GNUC__)
#define BL_UNUSED __attribute__((unused))
#else
#define BL_UNUSED
#endif
/* floor(v / 2^s) for 0 <= s <= 63, without relying on >> of a negative value. */
static inline BL_UNUSED int64_t bl_asr64(int64_t v, int s) { return v >= 0 ? (v >> s) : ~((~v) >> s); }

/* clamp(t + zy, lo, hi) without forming t + zy when t is huge (§10.1). */
static inline BL_UNUSED int32_t bl_clamp_add(int64_t t, int32_t zy, int32_t lo, int32_t hi) {
  if (t > (int64_t)hi - zy) return hi;
  if (t < (int64_t)lo - zy) return lo;
  return (int32_t)(t + zy);
}

/* §9.2 with a 64-bit intermediate: the generator proves |x|·m + 2^(s-1) < 2^63. */
static inline BL_UNUSED int32_t bl_requant32(int32_t x, int32_t m, int s, int32_t zy, int32_t lo, int32_t hi) {
  int64_t p = (int64_t)x * m;
  if (s > 0) p = bl_asr64(p + ((int64_t)1 << (s - 1)), s);
  return bl_clamp_add(p, zy, lo, hi);
}
static inline BL_UNUSED int32_t bl_requant64(int64_t x, int64_t m, int s, int32_t zy, int32_t lo, int32_t hi) {
  int64_t p = x * m;
  if (s > 0) p = bl_asr64(p + ((int64_t)1 << (s - 1)), s);
  return bl_clamp_add(p, zy, lo, hi);
}

/* §9.2 for any int64 x and m < 2^32: x·m + 2^(s-1) as a 128-bit two's
   complement number h:l, shifted right by s, saturated far outside [lo, hi]
   (what the reference's 128-bit arithmetic gives after its clamp). */
static inline BL_UNUSED int32_t bl_requant_wide(int64_t x, uint32_t m, int s, int32_t zy, int32_t lo, int32_t hi) {
  const int64_t big = (int64_t)1 << 62;
  int64_t a = bl_asr64(x, 32) * (int64_t)m;          /* |a| < 2^63 */
  uint64_t b = ((uint64_t)x & 0xffffffffu) * (uint64_t)m;
  uint64_t l = (uint64_t)a << 32, t;
  int64_t h = bl_asr64(a, 32);
  int64_t v;
  int S = 64 - s;
  t = l + b; h += t < b; l = t;
  if (s > 0) { uint64_t r = (uint64_t)1 << (s - 1); t = l + r; h += t < r; l = t; }
  if (s == 0) {
    if (h == 0 && l <= (uint64_t)INT64_MAX) v = (int64_t)l;
    else if (h == -1 && l > (uint64_t)INT64_MAX) v = -(int64_t)(~l) - 1;
    else v = h < 0 ? -big : big;
  } else if (S >= 63) { /* s == 1 */
    uint64_t q = l >> 1;
    if (h == 0) v = (int64_t)q;
    else if (h == -1) v = (int64_t)q - INT64_MAX - 1;
    else v = h < 0 ? -big : big;
  } else {
    const int64_t limit = (int64_t)1 << (62 - S);
    if (h >= limit) v = big;
    else if (h < -limit) v = -big;
    else v = h * ((int64_t)1 << S) + (int64_t)(l >> s);
  }
  return bl_clamp_add(v, zy, lo, hi);
}

/* Packed loads (§12): element i of a stream of F-bit fields, lowest bits first. */
static inline BL_UNUSED int32_t bl_ld_u1(const uint8_t* p, int32_t i) { return (p[i >> 3] >> (i & 7)) & 1; }
static inline BL_UNUSED int32_t bl_ld_s1(const uint8_t* p, int32_t i) { return -bl_ld_u1(p, i); }
static inline BL_UNUSED int32_t bl_ld_u2(const uint8_t* p, int32_t i) { return (p[i >> 2] >> ((i & 3) * 2)) & 3; }
static inline BL_UNUSED int32_t bl_ld_s2(const uint8_t* p, int32_t i) { int32_t v = bl_ld_u2(p, i); return v - ((v & 2) << 1); }
static inline BL_UNUSED int32_t bl_ld_u4(const uint8_t* p, int32_t i) { return (p[i >> 1] >> ((i & 1) * 4)) & 15; }
static inline BL_UNUSED int32_t bl_ld_s4(const uint8_t* p, int32_t i) { int32_t v = bl_ld_u4(p, i); return v - ((v & 8) << 1); }
static inline BL_UNUSED int32_t bl_ld_u8(const uint8_t* p, int32_t i) { return p[i]; }
static inline BL_UNUSED int32_t bl_ld_s8(const uint8_t* p, int32_t i) { int32_t v = p[i]; return v - ((v & 128) << 1); }
static inline BL_UNUSED int32_t bl_ld_u16(const uint8_t* p, int32_t i) { return p[2 * i] | (p[2 * i + 1] << 8); }
static inline BL_UNUSED int32_t bl_ld_s16(const uint8_t* p, int32_t i) { int32_t v = bl_ld_u16(p, i); return v - ((v & 32768) << 1); }
)C";

constexpr const char* kDotPortable = R"C(
/* acc + Σ a[k]·w[k] for 8-bit signed weights with zero point 0 (§14.1): the
   portable form of the DSP kernel below; every partial sum is bounded by the
   validator (§14.1), so no order of summation overflows int32. */
static inline BL_UNUSED int32_t bl_dot_q15_s8_c(const int16_t* a, const uint8_t* w, int32_t n, int32_t acc) {
  int32_t k;
  for (k = 0; k < n; ++k) acc += (int32_t)a[k] * bl_ld_s8(w, k);
  return acc;
}
/* The same for signed 4-bit weights packed two per byte (§12), the row
   starting on a byte boundary: one byte load per two products. */
static inline BL_UNUSED int32_t bl_dot_q15_s4_c(const int16_t* a, const uint8_t* w, int32_t n, int32_t acc) {
  int32_t k;
  for (k = 0; k + 1 < n; k += 2, ++w) {
    const int32_t lo = *w & 15, hi = *w >> 4;
    acc += (int32_t)a[k] * (lo - ((lo & 8) << 1));
    acc += (int32_t)a[k + 1] * (hi - ((hi & 8) << 1));
  }
  if (k < n) { const int32_t lo = *w & 15; acc += (int32_t)a[k] * (lo - ((lo & 8) << 1)); }
  return acc;
}
)C";

constexpr const char* kDotDsp = R"C(
#if defined(__ARM_FEATURE_DSP) && !defined(BL_NO_DSP)
#include <arm_acle.h>
/* Four products per two SMLADs: w0..w3 are sign-extended into 16-bit pairs
   (SXTB16 gives (w0, w2) and (w1, w3); re-paired into (w0, w1), (w2, w3)) and
   multiplied with two pairs of patch values. Same sum as the portable loop. */
static inline BL_UNUSED int32_t bl_dot_q15_s8(const int16_t* a, const uint8_t* w, int32_t n, int32_t acc) {
  for (; n >= 4; n -= 4, a += 4, w += 4) {
    uint32_t wv, x01, x23, w02, w13, p01, p23;
    memcpy(&wv, w, 4);
    memcpy(&x01, a, 4);
    memcpy(&x23, a + 2, 4);
    w02 = __sxtb16(wv);
    w13 = __sxtb16((wv >> 8) | (wv << 24));  /* ROR #8 */
    p01 = (w02 & 0xffffu) | (w13 << 16);
    p23 = (w02 >> 16) | (w13 & 0xffff0000u);
    acc = __smlad(p01, x01, acc);
    acc = __smlad(p23, x23, acc);
  }
  return bl_dot_q15_s8_c(a, w, n, acc);
}
/* 4-bit weights: each nibble sign-extended (SBFX) into a 16-bit half, two
   halves packed (PKHBT) and multiplied with a pair of patch values (SMLAD).
   Relies on GCC/Clang's arithmetic >> of negative values, as ACLE code does. */
static inline BL_UNUSED int32_t bl_dot_q15_s4(const int16_t* a, const uint8_t* w, int32_t n, int32_t acc) {
  for (; n >= 4; n -= 4, a += 4, w += 2) {
    uint32_t x01, x23, p01, p23;
    const uint32_t b0 = w[0], b1 = w[1];
    memcpy(&x01, a, 4);
    memcpy(&x23, a + 2, 4);
    p01 = ((uint32_t)((int32_t)(b0 << 28) >> 28) & 0xffffu) | ((uint32_t)((int32_t)(b0 << 24) >> 28) << 16);
    p23 = ((uint32_t)((int32_t)(b1 << 28) >> 28) & 0xffffu) | ((uint32_t)((int32_t)(b1 << 24) >> 28) << 16);
    acc = __smlad(p01, x01, acc);
    acc = __smlad(p23, x23, acc);
  }
  return bl_dot_q15_s4_c(a, w, n, acc);
}
#else
#define bl_dot_q15_s8 bl_dot_q15_s8_c
#define bl_dot_q15_s4 bl_dot_q15_s4_c
#endif
)C";

constexpr const char* kDotAlias = R"C(
#define bl_dot_q15_s8 bl_dot_q15_s8_c
#define bl_dot_q15_s4 bl_dot_q15_s4_c
)C";

}  // namespace

std::string support_source(Target target) {
  std::string s = kCommon;
  s += kDotPortable;
  s += target == Target::CortexM4 ? kDotDsp : kDotAlias;
  return s;
}

}  // namespace bitlab::codegen
