#pragma once
// ZeroMQ endpoints as users type them: checked before libzmq sees them, so that a typo gets a sentence that
// names the option and the form expected instead of libzmq's bare "Invalid argument".
#include <stdexcept>
#include <string>
#include <string_view>

namespace cortexloop::io {

// Throws std::invalid_argument unless `endpoint` is tcp://HOST:PORT (PORT may be * when binding) or ipc://PATH.
inline void check_endpoint(std::string_view what, const std::string& endpoint) {
  const auto fail = [&](const std::string& why) {
    throw std::invalid_argument(std::string(what) + " endpoint '" + endpoint + "': " + why +
                                "; expected tcp://HOST:PORT (e.g. tcp://127.0.0.1:5556) or ipc://PATH");
  };
  if (endpoint.rfind("ipc://", 0) == 0) {
    if (endpoint.size() == 6) fail("no path");
    return;
  }
  if (endpoint.rfind("tcp://", 0) != 0) fail("no transport (tcp:// or ipc://)");
  const std::string_view rest = std::string_view(endpoint).substr(6);
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) fail("no HOST:PORT");
  const std::string_view port = rest.substr(colon + 1);
  if (port == "*") return;
  for (const char ch : port)
    if (ch < '0' || ch > '9') fail("port '" + std::string(port) + "' is not a number");
}

}  // namespace cortexloop::io
