#pragma once
// `serve --endpoints-file PATH`: the endpoints as bound, for a client that let serve choose its ports
// (tcp://127.0.0.1:*). A port the client picks free beforehand can be taken by another program before serve binds
// it (a ZeroMQ client's outgoing connection takes its local port from the same range): serve then failed with
// "Address already in use" (seen in CI's parallel Python tests). The file appears whole (written beside it, then
// renamed), so a reader that sees it can read both lines:
//   pub tcp://127.0.0.1:40321
//   commands tcp://127.0.0.1:40322
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace cortexloop::tools {

// The process's umask, read from /proc (umask() can only be read by setting it, which would race with the server's
// threads); 022 if /proc does not say.
inline mode_t process_umask() {
  mode_t mask = 022;
  if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[128];
    unsigned value = 0;
    while (std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "Umask: %o", &value) == 1) {
        mask = static_cast<mode_t>(value);
        break;
      }
    std::fclose(f);
  }
  return mask;
}

inline void write_endpoints_file(const std::string& path, const std::string& pub, const std::string& commands) {
  // A fresh file of a name no one can guess (mkstemp: O_CREAT | O_EXCL, so never through a symbolic link): a fixed
  // PATH.partial was followed if someone had put a link there, and serve overwrote the file it pointed at (an
  // outside check, 2026-12-05).
  std::string partial = path + ".partial.XXXXXX";
  auto fail = [&](const std::string& file) {
    return std::runtime_error("cannot write --endpoints-file " + file + ": " + std::strerror(errno));
  };
  const int fd = ::mkstemp(partial.data());
  if (fd < 0) throw fail(path);
  ::fchmod(fd, 0666 & ~process_umask());  // mkstemp makes 0600; the file is as readable as any file serve writes
  std::FILE* f = ::fdopen(fd, "w");
  if (f == nullptr) {
    const std::runtime_error error = fail(partial);
    ::close(fd);
    std::remove(partial.c_str());
    throw error;
  }
  const bool written = std::fprintf(f, "pub %s\ncommands %s\n", pub.c_str(), commands.c_str()) > 0;
  if (std::fclose(f) != 0 || !written) {
    const std::runtime_error error = fail(partial);
    std::remove(partial.c_str());
    throw error;
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    const std::runtime_error error = fail(path);  // errno of the rename, before remove() can change it
    std::remove(partial.c_str());                  // whole or absent: no half-way file left behind either
    throw error;
  }
}

}  // namespace cortexloop::tools
