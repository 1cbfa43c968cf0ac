// The machine's addresses and a terminal QR code, for the start-up banner of `sueo serve`.
// Thread: any.
#pragma once

#include <string>
#include <vector>

namespace sueo::transport {

// IPv4 addresses of the machine's up, non-loopback interfaces, in interface order.
std::vector<std::string> lan_ipv4_addresses();

// `text` as a QR code drawn with Unicode half blocks (two modules rows per text line), with a quiet
// zone; light modules are printed, so it reads on the usual dark terminal background.
std::string terminal_qr(const std::string& text);

}  // namespace sueo::transport
