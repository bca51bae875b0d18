// Writes a seed input for graph_loader_fuzz (its layout: 2-byte JSON length,
// JSON, blob) from the sample integer graph of the tests: `fuzz_make_seed FILE`.
#include <cstdint>
#include <fstream>
#include <iostream>

#include "ir/json_format.h"
#include "sample_graphs.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seed OUTPUT_FILE\n";
    return 2;
  }
  const auto encoded = bitlab::ir::encode_graph(bitlab::ir::testing::integer_net(), "seed.tq.bin");
  const std::string text = encoded.json.dump();
  if (text.size() > 0xFFFF) return 1;
  std::ofstream out(argv[1], std::ios::binary);
  out.put(static_cast<char>(text.size() & 0xFF)).put(static_cast<char>(text.size() >> 8));
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.write(reinterpret_cast<const char*>(encoded.blob.data()), static_cast<std::streamsize>(encoded.blob.size()));
  return out ? 0 : 1;
}
