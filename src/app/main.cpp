// `sueo` — one program, one subcommand per job. Each subcommand lives in its own file and registers
// itself in the table below; this file only dispatches and turns exceptions into exit codes.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "app/commands.h"
#include "config.h"

namespace {

void print_usage() {
  std::printf("usage: sueo COMMAND [options]   (sueo COMMAND --help for its options)\n\ncommands:\n");
  for (const auto& command : sueo::app::commands()) {
    std::printf("  %-10s %s\n", command.name.c_str(), command.summary.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& command : sueo::app::commands()) {
    if (command.name != name) continue;
    try {
      return command.run(args);
    } catch (const sueo::ConfigError& error) {
      std::fprintf(stderr, "sueo %s: %s\n", name.c_str(), error.what());
      return 2;
    } catch (const std::exception& error) {
      std::fprintf(stderr, "sueo %s: error: %s\n", name.c_str(), error.what());
      return 1;
    }
  }
  std::fprintf(stderr, "sueo: unknown command '%s'\n", name.c_str());
  print_usage();
  return 2;
}
