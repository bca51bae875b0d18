#pragma once
// Per-function target attributes for the auto-vectorised kernels (elementwise,
// depthwise, gemv). Their bodies are plain C++ templates (the "reference
// shape" of each loop) instantiated three times: without attributes (the
// portable path; SSE2 on x86-64), and under BITLAB_TARGET_AVX2 /
// BITLAB_TARGET_AVX512, where `flatten` inlines the body so that GCC
// vectorises it for that ISA. Integer arithmetic makes the three bit-identical;
// the differential tests check it (tests/runtime/executor_test.cpp).
#include "runtime/fast/isa.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BITLAB_FAST_X86 1
#define BITLAB_TARGET_AVX2 __attribute__((target("avx2,bmi2"), flatten))
// avx512dq for 64-bit multiplies (VPMULLQ) in the requantisation.
#define BITLAB_TARGET_AVX512 \
  __attribute__((target("avx2,bmi2,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"), flatten))
#else
#define BITLAB_FAST_X86 0
#endif

namespace bitlab::runtime::fast {

// The path the auto-vectorised kernels take for `isa`: AVX-512 also needs
// AVX512DQ here (every CPU with the VNNI and BITALG that Isa::Avx512 requires has it,
// but the check keeps a hypothetical one without it on AVX2).
Isa vector_path(Isa isa);

}  // namespace bitlab::runtime::fast
