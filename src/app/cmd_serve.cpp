#include <cstdio>

#include "app/commands.h"

namespace sueo::app {

int run_serve(const std::vector<std::string>&) {
  std::fprintf(stderr, "sueo serve: not built yet\n");
  return 1;
}

}  // namespace sueo::app
