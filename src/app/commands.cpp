#include "app/commands.h"

namespace sueo::app {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"serve", "HTTPS + WebRTC server: the page, /ws, /healthz", run_serve},
  };
  return table;
}

}  // namespace sueo::app
