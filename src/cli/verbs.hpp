// The CLI's verbs. Each lives in its own file and only maps arguments onto
// the library; main.cpp dispatches from the table below.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::cli {

// Declares a verb's flags on its subcommand and returns what to run once the
// command line is parsed. The runner gets the words after the first "--"
// (untouched by the flag parser) and returns strata's exit code.
using Runner = std::function<int(std::vector<std::string> trailing)>;
using Attach = Runner (*)(CLI::App& command);

struct Verb {
  std::string_view name;
  std::string_view summary;
  Attach attach;
};

Runner attach_run(CLI::App& command);
Runner attach_probe(CLI::App& command);
Runner attach_diff(CLI::App& command);
Runner attach_image(CLI::App& command);
Runner attach_analyze(CLI::App& command);
Runner attach_trace(CLI::App& command);
Runner attach_check(CLI::App& command);
Runner attach_advise(CLI::App& command);
Runner attach_env(CLI::App& command);
Runner attach_record(CLI::App& command);

}  // namespace strata::cli
