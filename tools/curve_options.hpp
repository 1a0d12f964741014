#pragma once
// CURVE options shared by the client tools (stim, record, probe): the server's public key file and this
// client's secret key file, both written by `cortexloop keys` (docs/protocol.md, "Security and threat model").
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "io/security/security.hpp"

namespace cortexloop::tools {

struct curve_client_cli {
  std::string server_key;  // SERVER.key
  std::string secret;      // CLIENT.key_secret

  // Absent when neither option is given; throws (naming the option) when only one is, or a file is wrong.
  std::optional<io::curve_client_keys> load() const { return io::load_curve_client_keys(server_key, secret); }
  // What to add to "no answer" messages.
  const char* hint() const {
    return server_key.empty() ? " (is `cortexloop serve` running? if it runs with CURVE, give --curve-server-key and "
                                "--curve-secret)"
                              : " (is `cortexloop serve` running? with CURVE keys, a server that does not list this "
                                "client's public key, or another server key, answers nothing)";
  }
};

inline void add_curve_client_options(CLI::App* cmd, curve_client_cli& o) {
  CLI::Option* server_key =
      cmd->add_option("--curve-server-key", o.server_key,
                      "CURVE: the server's public key file (SERVER.key from `cortexloop keys`); with --curve-secret")
          ->check(CLI::ExistingFile);
  CLI::Option* secret =
      cmd->add_option("--curve-secret", o.secret,
                      "CURVE: this client's secret key file (NAME.key_secret from `cortexloop keys`, mode 0600; the "
                      "server lists NAME.key in --curve-clients); with --curve-server-key")
          ->check(CLI::ExistingFile);
  // One without the other is a wrong command line (exit 2), as for serve's pair; it was a failed command (exit 1:
  // an outside check, 2026-12-06).
  server_key->needs(secret);
  secret->needs(server_key);
}

}  // namespace cortexloop::tools
