#include "config.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace sueo {
namespace {

const Option* find_option(const std::vector<Option>& table, std::string_view flag) {
  for (const auto& option : table) {
    if (option.flag == flag) return &option;
  }
  return nullptr;
}

template <typename T>
T parse_number(std::string_view text, const std::string& flag) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    throw ConfigError(flag + ": '" + std::string(text) + "' is not a number");
  }
  return value;
}

}  // namespace

ParseResult parse_options(const std::vector<Option>& table, const std::vector<std::string>& args) {
  for (const auto& option : table) {
    if (!option.default_value.empty() || !option.is_switch) option.apply(option.default_value);
  }
  for (const auto& option : table) {
    if (option.env.empty()) continue;
    if (const char* value = std::getenv(option.env.c_str()); value != nullptr) {
      try {
        option.apply(value);
      } catch (const ConfigError& error) {
        throw ConfigError(std::string(error.what()) + " (from $" + option.env + ")");
      }
    }
  }
  ParseResult result;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      result.help_requested = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      result.positional.push_back(arg);
      continue;
    }
    const size_t eq = arg.find('=');
    const std::string flag = arg.substr(0, eq);
    const Option* option = find_option(table, flag);
    if (option == nullptr) throw ConfigError("unknown option " + flag + " (see --help)");
    if (option->is_switch) {
      option->apply(eq == std::string::npos ? "1" : arg.substr(eq + 1));
    } else if (eq != std::string::npos) {
      option->apply(arg.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      option->apply(args[++i]);
    } else {
      throw ConfigError(flag + " needs a value");
    }
  }
  return result;
}

std::string format_help(std::string_view usage, const std::vector<Option>& table) {
  std::ostringstream out;
  out << "usage: " << usage << "\n\noptions (flag / environment variable / default):\n";
  for (const auto& option : table) {
    out << "  " << option.flag;
    if (!option.is_switch) out << " VALUE";
    if (!option.env.empty()) out << "  [$" << option.env << "]";
    if (!option.default_value.empty()) out << "  (default: " << option.default_value << ")";
    out << "\n      " << option.help << "\n";
  }
  out << "  --help\n      show this help\n";
  return out.str();
}

std::function<void(std::string_view)> set_string(std::string& target) {
  return [&target](std::string_view text) { target = std::string(text); };
}

std::function<void(std::string_view)> set_int(int64_t& target, int64_t min, int64_t max, std::string flag) {
  return [&target, min, max, flag](std::string_view text) {
    const auto value = parse_number<int64_t>(text, flag);
    if (value < min || value > max) {
      throw ConfigError(flag + ": " + std::to_string(value) + " is outside " + std::to_string(min) +
                        " … " + std::to_string(max));
    }
    target = value;
  };
}

std::function<void(std::string_view)> set_int(int& target, int min, int max, std::string flag) {
  return [&target, min, max, flag](std::string_view text) {
    int64_t wide = 0;
    set_int(wide, min, max, flag)(text);
    target = static_cast<int>(wide);
  };
}

std::function<void(std::string_view)> set_double(double& target, double min, double max, std::string flag) {
  return [&target, min, max, flag](std::string_view text) {
    const std::string copy(text);
    char* end = nullptr;
    const double value = std::strtod(copy.c_str(), &end);
    if (copy.empty() || end != copy.c_str() + copy.size()) {
      throw ConfigError(flag + ": '" + copy + "' is not a number");
    }
    if (value < min || value > max) {
      throw ConfigError(flag + ": " + copy + " is outside " + std::to_string(min) + " … " + std::to_string(max));
    }
    target = value;
  };
}

std::function<void(std::string_view)> set_bool(bool& target, std::string flag) {
  return [&target, flag](std::string_view text) {
    if (text == "1" || text == "true" || text == "yes" || text == "on") {
      target = true;
    } else if (text.empty() || text == "0" || text == "false" || text == "no" || text == "off") {
      target = false;
    } else {
      throw ConfigError(flag + ": '" + std::string(text) + "' is not a boolean");
    }
  };
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) parts.emplace_back(part);
    start = end + 1;
  }
  return parts;
}

std::string project_home() {
  if (const char* home = std::getenv("SUEO_HOME"); home != nullptr && *home != '\0') return home;
  std::error_code error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return ".";
  // The binary lives in <home>/build/ (or <home>/build/<preset>/): walk up to the folder with web/.
  for (auto dir = exe.parent_path(); dir.has_relative_path(); dir = dir.parent_path()) {
    if (std::filesystem::exists(dir / "web" / "index.html")) return dir.string();
  }
  return ".";
}

}  // namespace sueo
