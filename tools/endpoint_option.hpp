#pragma once
// A --pub or --commands option's endpoint checked while parsing (io::check_endpoint): a malformed one
// (foo://x, tcp://127.0.0.1 without a port, port 70000) is a wrong command line, exit 2 as every command's --help
// says, where it was found at bind or connect time and exited 1, the code of a server that could not start (an
// outside check, 2026-12-05).
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "io/security/endpoint.hpp"

namespace cortexloop::tools {

inline CLI::Validator endpoint_text(const std::string& what, bool binding = false) {
  return CLI::Validator(
      [what, binding](std::string& text) -> std::string {
        try {
          io::check_endpoint(what, text, binding);
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
        return {};
      },
      "");  // the type, TEXT, and the option's help say the rest
}

}  // namespace cortexloop::tools
