#pragma once
// ZeroMQ endpoints as users type them: checked before libzmq sees them, so that a typo gets a sentence that
// names the option and the form expected instead of libzmq's bare "Invalid argument".
#include <stdexcept>
#include <string>
#include <string_view>

namespace cortexloop::io {

// Throws std::invalid_argument unless `endpoint` is tcp://HOST:PORT (PORT 0-65535, or * when binding) or ipc://PATH.
// `binding`: for a socket that binds (the server's), where libzmq's connect-only source form SOURCE;HOST is invalid.
inline void check_endpoint(std::string_view what, const std::string& endpoint, bool binding = false) {
  const auto fail = [&](const std::string& why) {
    throw std::invalid_argument(std::string(what) + " endpoint '" + endpoint + "': " + why +
                                "; expected tcp://HOST:PORT (e.g. tcp://127.0.0.1:5556) or ipc://PATH");
  };
  if (endpoint.rfind("ipc://", 0) == 0) {
    if (endpoint.size() == 6) fail("no path");
    if (endpoint == "ipc://@") fail("no name after @ (an abstract socket's name)");
    return;
  }
  if (endpoint.rfind("tcp://", 0) != 0) fail("no transport (tcp:// or ipc://)");
  const std::string_view rest = std::string_view(endpoint).substr(6);
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) fail("no HOST:PORT");
  // Forms libzmq reads otherwise than they look, refused at the command line (they exited 1 at bind time with
  // "Invalid argument" or "No such device": an outside audit, 2026-12-07).
  const std::string_view host = rest.substr(0, colon);
  if (binding && host.find(';') != std::string_view::npos)
    fail("a source address (SOURCE;HOST) is for connecting, not binding");
  if (host.find(':') != std::string_view::npos && !(host.front() == '[' && host.back() == ']'))
    fail("an IPv6 address goes in brackets, tcp://[" + std::string(host) + "]:PORT");
  const std::string_view port = rest.substr(colon + 1);
  if (port == "*") return;
  for (const char ch : port)
    if (ch < '0' || ch > '9') fail("port '" + std::string(port) + "' is not a number");
  // libzmq reads the port modulo 65536 (tcp://127.0.0.1:99999 binds port 34463): refuse it rather than serve or
  // connect somewhere the user did not ask for.
  if (port.size() > 5 || std::stoul(std::string(port)) > 65535) fail("port " + std::string(port) + " is above 65535");
}

// tcp://[v6 address]:PORT: libzmq refuses IPv6 ("No such device") unless the socket has ZMQ_IPV6 set, which
// the sockets set only for such an endpoint (IPv4 endpoints keep libzmq's default behaviour).
inline bool is_ipv6_literal(std::string_view endpoint) { return endpoint.rfind("tcp://[", 0) == 0; }

}  // namespace cortexloop::io
