// bitlab: from float training to verified integer-only deployment.
#include <torch/torch.h>

#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "apps/commands.h"
#include "common/error.h"

int main(int argc, char** argv) {
  CLI::App app{"bitlab: train, quantise, convert and verify neural networks for integer-only devices"};
  app.set_version_flag("--version", std::string("bitlab ") + BITLAB_VERSION);
  app.require_subcommand(1);
  std::vector<std::pair<std::string, bitlab::apps::Action>> commands = {
      {"train", bitlab::apps::add_train_command(app)},
      {"eval", bitlab::apps::add_eval_command(app)},
      {"quantize", bitlab::apps::add_quantize_command(app)},
      {"convert", bitlab::apps::add_convert_command(app)},
      {"codegen", bitlab::apps::add_codegen_command(app)},
      {"export", bitlab::apps::add_export_command(app)},
      {"lab", bitlab::apps::add_lab_command(app)},
      {"cost", bitlab::apps::add_cost_command(app)},
      {"hw", bitlab::apps::add_hw_command(app)},
      {"search", bitlab::apps::add_search_command(app)},
      {"zoo", bitlab::apps::add_zoo_command(app)},
  };
  CLI11_PARSE(app, argc, argv);
  try {
    for (auto& [name, action] : commands) {
      if (app.got_subcommand(name)) return action();
    }
  } catch (const bitlab::ConfigError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const bitlab::DataError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 3;
  } catch (const bitlab::IoError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 4;
  } catch (const c10::Error& e) {
    fmt::print(stderr, "error (LibTorch): {}\n", e.what_without_backtrace());
    return 5;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 1;
}
