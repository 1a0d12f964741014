#pragma once
// CURVE security for the server's two sockets (docs/protocol.md, "Security and threat model"): key pairs and
// their files, the ZAP handler that admits only listed client keys, and which endpoints count as loopback.
//
// Key files are the czmq / pyzmq certificate format (zmq.auth.load_certificate reads them):
//   NAME.key         public key only: give it to the other side
//   NAME.key_secret  public and secret key, mode 0600: never leaves its machine
// each with lines `public-key = "<40 Z85 characters>"` and `secret-key = "..."` under a `curve` section.
#include <pthread.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

namespace cortexloop::io {

struct curve_keypair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters; empty when read from a public key file
};

// What the server needs to run CURVE: its own key pair and the public keys of the clients it accepts.
struct curve_server_keys {
  curve_keypair server;
  std::vector<std::string> clients;  // Z85 public keys; at least one
};

// What a client needs: the server's public key and its own key pair (whose public key the server lists).
struct curve_client_keys {
  std::string server_public_key;
  curve_keypair client;
};

curve_keypair generate_curve_keypair();

// A key file's name stem: one file name (not empty, no '/', not . or ..), so the files land in the folder given.
inline bool is_key_name(const std::string& name) noexcept {
  return !name.empty() && name.find('/') == std::string::npos && name != "." && name != "..";
}

// Writes DIR/NAME.key (mode 0644) and DIR/NAME.key_secret (mode 0600, whatever the umask), creating DIR.
// Refuses to replace existing files unless `overwrite`. Returns the two paths (public, secret).
std::pair<std::filesystem::path, std::filesystem::path> write_key_files(const std::filesystem::path& dir,
                                                                        const std::string& name,
                                                                        const curve_keypair& keys,
                                                                        bool overwrite = false);

// Reads a key file (either kind). Throws std::runtime_error naming the file and the problem: missing or malformed
// key, a secret key that does not belong to the public key, or a secret key file that other users can read.
curve_keypair read_key_file(const std::filesystem::path& path);
// Reads a secret key file: as read_key_file, and refuses a file without a secret key. `what` names the option.
curve_keypair read_secret_key_file(const std::filesystem::path& path, const std::string& what);
// The public keys a server accepts: every *.key file of a directory, or one key file. Throws if none.
std::vector<std::string> read_public_keys(const std::filesystem::path& dir_or_file, const std::string& what);

// Both from files, as the command line gives them (a client needs both or neither).
curve_server_keys load_curve_server_keys(const std::string& secret_file, const std::string& clients);
std::optional<curve_client_keys> load_curve_client_keys(const std::string& server_key_file,
                                                        const std::string& secret_file);

// Socket options; call before bind / connect.
void apply_curve_server(zmq::socket_t& socket, const curve_keypair& server);
void apply_curve_client(zmq::socket_t& socket, const curve_client_keys& keys);

// Whether only this machine can reach an endpoint: ipc:// (filesystem permissions), tcp on 127.0.0.0/8, ::1
// (or IPv4-mapped 127/8) or `localhost`. `*`, 0.0.0.0, :: and every other address are remote. An interface or
// host name is unknown until libzmq resolves it: the server checks the endpoint as bound (ZMQ_LAST_ENDPOINT).
enum class endpoint_scope { local, remote, unknown };
endpoint_scope scope_of(const std::string& endpoint);

// ZAP (RFC 27) on inproc://zeromq.zap.01 of `context`, in its own thread: admits CURVE clients whose public key
// is listed, refuses everything else. libzmq asks it during each handshake, from its own I/O thread; the
// real-time thread never sees authentication. Construct it before binding any CURVE socket of the context (a
// context without a ZAP handler admits every CURVE client) and destroy it before the context.
class zap_handler {
 public:
  zap_handler(zmq::context_t& context, const std::vector<std::string>& allowed_public_keys);
  ~zap_handler();
  zap_handler(const zap_handler&) = delete;
  zap_handler& operator=(const zap_handler&) = delete;

  std::int64_t accepted() const noexcept { return accepted_.load(std::memory_order_relaxed); }
  std::int64_t denied() const noexcept { return denied_.load(std::memory_order_relaxed); }
  // "ADDRESS, key Z85" of the last refused handshake (empty if none).
  std::string last_denied() const;
  pthread_t native_handle() { return thread_.native_handle(); }

 private:
  void run();

  zmq::context_t& context_;
  zmq::socket_t socket_, stop_rx_;
  std::string stop_endpoint_;
  std::vector<std::array<std::uint8_t, 32>> allowed_;
  std::atomic<std::int64_t> accepted_{0}, denied_{0};
  mutable std::mutex last_mutex_;
  std::string last_denied_;
  std::thread thread_;
};

// The sentence that ends every refusal to bind off loopback without keys (names the options).
inline constexpr const char* kCurveOptionsHint =
    "give --curve-secret SERVER.key_secret and --curve-clients DIR (key files from `cortexloop keys`), or "
    "--insecure to accept that anyone who can reach the port may send commands and read the stream "
    "(docs/protocol.md, \"Security and threat model\")";

}  // namespace cortexloop::io
