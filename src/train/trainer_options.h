#pragma once
// Training hyper-parameters. Torch-free so configs parse and validate without LibTorch.
#include <cstdint>
#include <string>

namespace bitlab::train {

struct TrainerOptions {
  int64_t epochs = 15;
  int64_t batch_size = 128;
  int64_t eval_batch_size = 1000;
  std::string optimizer = "adamw";  // adam | adamw | sgd
  double lr = 2e-3;
  double momentum = 0.9;            // sgd only
  bool nesterov = true;             // sgd only
  double weight_decay = 5e-4;
  std::string schedule = "cosine";  // cosine | step | constant
  int64_t step_epochs = 5;          // step schedule: multiply by step_gamma every step_epochs
  double step_gamma = 0.1;
  int64_t warmup_epochs = 0;        // linear warm-up from lr/10, then the schedule
  bool augment = true;              // random horizontal flips, and shifts when shift_pixels > 0
  int64_t shift_pixels = 2;         // largest random shift (pixels, each axis) when augmenting
  uint64_t seed = 1;
  std::string device = "cpu";       // cpu | cuda | cuda:N
};

}  // namespace bitlab::train
