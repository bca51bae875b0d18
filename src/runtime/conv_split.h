#pragma once
// How the fast executor spreads one conv2d / linear over its threads
// (ExecutorOptions::threads, docs/runtime.md "Threads"): the problem is cut at
// load into independent sub-problems, each a complete ConvProblem for the
// unchanged kernels, that read a contiguous slice of the NCHW input and write
// a contiguous, disjoint slice of the output. Every output value is computed
// by exactly the arithmetic of the whole problem, so results do not depend on
// the number of threads.
//
//   N > 1:                 sample ranges (input and output offset n0 samples);
//   N = 1, groups = 1:     output-channel ranges (the whole input, O planes);
//   N = 1, groups > 1:     group ranges (depthwise: channel ranges), each with
//                          its groups' input channels and output planes.
#include <cstdint>
#include <vector>

#include "runtime/fast/packed_conv.h"

namespace bitlab::runtime {

struct ConvSlice {
  fast::ConvProblem problem;
  std::int64_t input_offset = 0;   // elements (bytes: the fast kernels' inputs are byte codes)
  std::int64_t output_offset = 0;  // elements of the output (bytes with a fused requant, else int32s)
};

// Multiply-accumulates of the whole problem (padding taps included).
std::int64_t conv_macs(const fast::ConvProblem& p);

// At most `parts` slices in order, the first at offsets 0; each as even as the
// cut allows. One slice (the whole problem) when nothing can be cut.
std::vector<ConvSlice> split_conv(const fast::ConvProblem& p, int parts);

}  // namespace bitlab::runtime
