#include "io/server/ipc_socket_file.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

namespace cortexloop::io {

namespace {
constexpr std::string_view kIpc = "ipc://";

// The file path of an ipc:// endpoint; empty for other transports, "*" (libzmq picks a path and removes it
// itself) and "@name" (the abstract namespace has no file).
std::string file_path_of(const std::string& endpoint) {
  if (endpoint.rfind(kIpc, 0) != 0) return {};
  std::string path = endpoint.substr(kIpc.size());
  if (path.empty() || path == "*" || path[0] == '@') return {};
  return path;
}
}  // namespace

// libzmq's bind removes an existing socket file and takes the path: a second serve (or --pub and --commands on one
// path) silently took it from the first, which kept running unreachable.
bool ipc_path_in_use(const std::string& endpoint) {
  const std::string path = file_path_of(endpoint);
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof addr.sun_path) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool listening = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return listening;
}

std::string ipc_path_not_a_socket(const std::string& endpoint) {
  const std::string path = file_path_of(endpoint);
  struct stat st {};
  if (path.empty() || ::lstat(path.c_str(), &st) != 0 || S_ISSOCK(st.st_mode)) return {};
  if (S_ISREG(st.st_mode)) return "a regular file";
  if (S_ISDIR(st.st_mode)) return "a folder";
  if (S_ISLNK(st.st_mode)) return "a symbolic link";
  return "another kind of file";
}

std::optional<ipc_socket_file> ipc_socket_file::of(const std::string& bound) {
  std::string path = file_path_of(bound);
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return std::nullopt;
  return ipc_socket_file(std::move(path), st.st_dev, st.st_ino);
}

ipc_socket_file::ipc_socket_file(ipc_socket_file&& other) noexcept
    : path_(std::move(other.path_)), dev_(other.dev_), ino_(other.ino_) {
  other.path_.clear();
}

ipc_socket_file::~ipc_socket_file() {
  if (path_.empty()) return;
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev_ && st.st_ino == ino_)
    ::unlink(path_.c_str());
}

}  // namespace cortexloop::io
