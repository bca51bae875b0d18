// `bitlab eval CHECKPOINT`: accuracy of a saved network on the test set.
#include <fmt/format.h>

#include "apps/commands.h"
#include "data/fashion_mnist.h"
#include "lab/network_factory.h"
#include "lab/train_config.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace bitlab::apps {
namespace {

struct EvalArgs {
  std::string checkpoint;
  std::string data_root;
  int64_t test_limit = 0;
  std::string device = "cpu";
};

int run_eval(const EvalArgs& args) {
  auto meta = train::read_checkpoint_meta(args.checkpoint);
  auto config = lab::parse_train_config(meta.at("config"), args.checkpoint + " (embedded config)");
  config.train.device = args.device;
  auto network = lab::build_network(config, lab::Weights::kFresh);
  train::load_checkpoint(args.checkpoint, *network, nullptr);
  data::FashionMnistOptions options;
  options.root = args.data_root.empty() ? config.data.root : args.data_root;
  options.split = data::Split::kTest;
  options.limit = args.test_limit;
  data::FashionMnist test(options);
  train::Trainer trainer(network, config.train);
  auto result = trainer.evaluate({test.images(), test.labels()});
  fmt::print("{}: test accuracy {:.2f}% (loss {:.4f}) on {} images\n", args.checkpoint, 100 * result.accuracy,
             result.loss, result.samples);
  return 0;
}

}  // namespace

Action add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Evaluate a checkpoint on the test set");
  cmd->add_option("checkpoint", args->checkpoint, "checkpoint.pt written by bitlab train")->required();
  cmd->add_option("--data-root", args->data_root, "Folder with the IDX files (default: the checkpoint's)");
  cmd->add_option("--test-limit", args->test_limit, "Evaluate on the first N test images (0 = all)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N");
  return [args] { return run_eval(*args); };
}

}  // namespace bitlab::apps
