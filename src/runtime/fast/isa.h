#pragma once
// Instruction-set paths of the fast kernels (docs/runtime.md "ISA dispatch").
// Every kernel has a portable C++ path; x86-64 builds add AVX2 and AVX-512
// (F, BW, VNNI, BITALG) paths compiled with per-function target attributes,
// so the library itself needs no -march flag and runs on any x86-64 CPU.
#include <string_view>

namespace bitlab::runtime::fast {

enum class Isa : unsigned char {
  Portable,  // plain C++; also the path on non-x86 hosts
  Avx2,      // AVX2: exact int16 multiply-adds (VPMADDWD)
  Avx512,    // AVX-512 F/BW/VNNI/BITALG/VPOPCNTDQ/VBMI: VPDPBUSD, VPOPCNTB/D, VPERMB
};

std::string_view to_string(Isa isa);
// Whether this CPU (and this build) can run `isa`; Portable always can.
bool isa_supported(Isa isa);
// The fastest supported path.
Isa best_isa();

}  // namespace bitlab::runtime::fast
