#pragma once
// The Unix socket file behind an ipc:// endpoint: whether another program listens on it before we bind, and its
// removal when the server ends (libzmq 4.3 unlinks a stale file before it binds but leaves its own on close).
#include <optional>
#include <string>
#include <sys/types.h>

namespace cortexloop::io {

// Whether a program listens on the Unix socket of an ipc:// endpoint (false for tcp:// and for a file nobody
// listens on, e.g. left by a process that died).
bool ipc_path_in_use(const std::string& endpoint);

// What the path of an ipc:// endpoint is when it is there and not a Unix socket ("a regular file", "a folder",
// "a symbolic link", ...), else "": libzmq unlinks the path before it binds, so a bind to an ordinary file deleted
// it (an outside check, 2026-12-05: `--commands ipc:///data.csv` removed data.csv and served on).
std::string ipc_path_not_a_socket(const std::string& endpoint);

// The socket file of a bound ipc:// endpoint, removed by the destructor if it is still the file we bound (same
// device and inode): a program that took the path after us keeps its file.
class ipc_socket_file {
 public:
  // `bound`: the endpoint as bound (last_endpoint). Nothing for tcp://, the abstract namespace ("@name") or a path
  // that cannot be stat'ed.
  [[nodiscard]] static std::optional<ipc_socket_file> of(const std::string& bound);
  ipc_socket_file(ipc_socket_file&& other) noexcept;
  ipc_socket_file& operator=(ipc_socket_file&&) = delete;
  ipc_socket_file(const ipc_socket_file&) = delete;
  ~ipc_socket_file();

 private:
  ipc_socket_file(std::string path, dev_t dev, ino_t ino) : path_(std::move(path)), dev_(dev), ino_(ino) {}
  std::string path_;  // empty once moved from
  dev_t dev_;
  ino_t ino_;
};

}  // namespace cortexloop::io
