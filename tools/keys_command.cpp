#include "tools/keys_command.hpp"

#include <cstdio>
#include <memory>
#include <string>

#include "io/recording/output_dir.hpp"
#include "io/security/security.hpp"

namespace cortexloop::tools {

namespace {

struct keys_options {
  std::string out_dir;
  std::string name = "server";
  bool force = false;
};

int run_keys(const keys_options& o) {
  const io::curve_keypair k = io::generate_curve_keypair();
  // --out named, as simulate names it: a file in its place read "filesystem error: cannot create directories: Not a
  // directory" (an outside check, 2026-12-06).
  io::check_output_dir(o.out_dir, {}, "--out");
  const auto [pub, sec] = io::write_key_files(o.out_dir, o.name, k, o.force);
  std::printf("public key %s\n  %s (give it to the other side)\n  %s (secret, mode 0600: keep it on this machine)\n",
              k.public_key.c_str(), pub.c_str(), sec.c_str());
  return 0;
}

}  // namespace

void add_keys_command(CLI::App& app) {
  auto o = std::make_shared<keys_options>();
  CLI::App* cmd = app.add_subcommand(
      "keys",
      "Write a CURVE key pair: OUT/NAME.key (public) and OUT/NAME.key_secret (secret, mode 0600), in czmq's "
      "certificate format. The server runs with --curve-secret server.key_secret --curve-clients DIR (the *.key "
      "files of the clients it admits); a client with --curve-server-key server.key --curve-secret "
      "NAME.key_secret. docs/protocol.md, \"Security and threat model\"");
  cmd->add_option("--out", o->out_dir, "Folder for the two files (created)")->required();
  // Checked while parsing: a name that would leave --out is a wrong command line (exit 2), not a failed run.
  cmd->add_option("--name", o->name, "File name stem, e.g. server, or a client's name (no '/')")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& name) -> std::string {
            return io::is_key_name(name) ? "" : "'" + name + "' is not a file name (empty, '.', '..' or with '/')";
          },
          ""));
  cmd->add_flag("--force", o->force, "Replace existing files of that name");
  cmd->callback([o] {
    if (const int rc = run_keys(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace cortexloop::tools
