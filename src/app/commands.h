// The subcommands of `sueo`. Each is defined in its own cmd_<name>.cpp and listed in commands.cpp.
// Thread: main thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace sueo::app {

struct Command {
  std::string name;
  std::string summary;
  std::function<int(const std::vector<std::string>&)> run;  // returns the exit code
};

const std::vector<Command>& commands();

int run_serve(const std::vector<std::string>& args);
int run_eval(const std::vector<std::string>& args);
int run_extract(const std::vector<std::string>& args);
int run_recognize(const std::vector<std::string>& args);
int run_bench(const std::vector<std::string>& args);
int run_streams(const std::vector<std::string>& args);
int run_spot(const std::vector<std::string>& args);
int run_vocab(const std::vector<std::string>& args);
int run_calibrate(const std::vector<std::string>& args);

}  // namespace sueo::app
