// The one place settings are defined and read: every option is a row of a table (flag, environment
// variable, default, help). Subcommands build their table from these rows; `--help` prints it.
// Thread: startup only (main thread), before any other thread exists.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sueo {

// One row of an option table. `apply` parses the text and stores it; it throws ConfigError when the
// text is not valid for the option.
struct Option {
  std::string flag;           // e.g. "--port" (without "=value")
  std::string env;            // e.g. "SUEO_PORT"; empty when the option has no variable
  std::string default_value;  // shown in --help and applied before flags and variables
  std::string help;
  std::function<void(std::string_view)> apply;
  bool is_switch = false;     // a flag without a value ("--json"): apply("1")
};

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Applies defaults, then environment variables, then command-line flags (`--flag value`,
// `--flag=value`). Arguments that are not options are returned in order (positional arguments).
// `help_requested` is set when --help or -h is present.
struct ParseResult {
  std::vector<std::string> positional;
  bool help_requested = false;
};
ParseResult parse_options(const std::vector<Option>& table, const std::vector<std::string>& args);

// Prints a table of the options for `--help`.
std::string format_help(std::string_view usage, const std::vector<Option>& table);

// Typed setters for option rows. Each throws ConfigError with the flag's name on a bad value.
std::function<void(std::string_view)> set_string(std::string& target);
std::function<void(std::string_view)> set_int(int64_t& target, int64_t min, int64_t max, std::string flag);
std::function<void(std::string_view)> set_int(int& target, int min, int max, std::string flag);
std::function<void(std::string_view)> set_double(double& target, double min, double max, std::string flag);
std::function<void(std::string_view)> set_bool(bool& target, std::string flag);

// Splits "a,b,c" into parts, trimming spaces and dropping empty parts.
std::vector<std::string> split_list(std::string_view text);

// Where the installed project lives (web/, models/, certs/, node_modules/): $SUEO_HOME, else the
// parent of the directory holding the executable's build directory.
std::string project_home();

}  // namespace sueo
