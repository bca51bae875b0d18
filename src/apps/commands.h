#pragma once
// Each `bitlab` subcommand registers its options on the CLI11 app and returns the
// action to run once parsing succeeded.
#include <functional>

#include <CLI/CLI.hpp>

namespace bitlab::apps {

using Action = std::function<int()>;

Action add_train_command(CLI::App& app);
Action add_eval_command(CLI::App& app);
Action add_quantize_command(CLI::App& app);
Action add_convert_command(CLI::App& app);
Action add_codegen_command(CLI::App& app);
Action add_export_command(CLI::App& app);
Action add_lab_command(CLI::App& app);
Action add_cost_command(CLI::App& app);
Action add_hw_command(CLI::App& app);
Action add_search_command(CLI::App& app);
Action add_zoo_command(CLI::App& app);

}  // namespace bitlab::apps
