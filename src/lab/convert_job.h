#pragma once
// `bitlab convert`: a quantised checkpoint → the integer-only graph
// (NET.tq.json + NET.tq.bin), optionally verified on the test set against the
// LibTorch model it came from (docs/conversion.md, "From a checkpoint").
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace bitlab::lab {

struct ConvertJobOptions {
  std::filesystem::path checkpoint;  // written by `bitlab train` (with quantization) or `bitlab quantize --ptq`
  std::filesystem::path out;         // NET.tq.json; the weights go to NET.tq.bin beside it
  std::filesystem::path fake_quantised_out;  // optional: also the traced fake-quantised graph (for QONNX export)
  bool verify = false;
  std::string data_root;             // "" = the checkpoint config's data.root
  std::int64_t test_limit = 0;       // first N test images (0 = all)
  std::int64_t batch = 64;           // verification batch
  bool progress = true;              // progress bar on stderr while verifying
};

// Three executions of the same test images, and how they compare.
struct ConvertVerification {
  std::int64_t samples = 0;
  std::int64_t torch_correct = 0;       // the LibTorch fake-quantised model (eval, float32)
  std::int64_t simulated = 0;           // samples the float64 simulation could run exactly (it refuses
                                        // values beyond float64's exact range instead of rounding them)
  std::int64_t simulation_correct = 0;  // the float64 simulation of the integer graph, of `simulated`
  std::int64_t reference_correct = 0;   // the integer reference runtime
  std::int64_t bit_exact = 0;           // of `simulated`: reference outputs equal to the simulation's bit for bit
  std::int64_t argmax_agree = 0;        // samples whose reference argmax equals the LibTorch model's
};

struct ConvertJobResult {
  std::filesystem::path graph;    // NET.tq.json
  std::filesystem::path weights;  // NET.tq.bin
  std::size_t nodes = 0;
  std::optional<ConvertVerification> verification;
};

// Contract: rebuilds the network from the checkpoint's embedded config, loads
// its weights, traces it (train/trace), converts it (ir::passes::convert) for
// a batch of 1 and saves it atomically (ir::save_graph); with `verify`, runs
// the test set through the three executors. Throws ConfigError naming the
// checkpoint for a float checkpoint or a network the integer graph cannot
// express, DataError for missing test data, IoError for files.
ConvertJobResult run_convert_job(const ConvertJobOptions& options);

}  // namespace bitlab::lab
