#include "io/config/config_file.hpp"

#include "io/config/config_reader.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace cortexloop::io {

namespace {

// A FIFO (`--config <(...)`, a pipe) is read once something writes to it: one nothing wrote to blocked the loader in
// its open for ever (an outside check, 2026-12-05). Waited for kFifoWait_ms, then refused.
constexpr int kFifoWait_ms = 5000;

std::string too_large(const std::filesystem::path& file) {
  return file.string() + ": larger than " + std::to_string(kMaxConfig_bytes >> 20) +
         " MiB, the most a config file may be: not a config file";
}

// Reads `fd` to its end or to one byte past the limit, whichever comes first, and closes it: a device or a writer
// that never stops (/dev/zero, `yes`) ends in the refusal, not in all of memory.
std::string read_bounded(int fd, const std::filesystem::path& file) {
  std::string text;
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw config_error(file.string() + ": cannot read config file (" + std::strerror(error) + ")");
    }
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
    if (text.size() > kMaxConfig_bytes) {
      ::close(fd);
      throw config_error(too_large(file));
    }
  }
  ::close(fd);
  return text;
}

int open_or_throw(const std::filesystem::path& file, int flags) {
  const int fd = ::open(file.c_str(), flags);
  // With the reason (an unreadable file said only "cannot open config file": an outside audit, 2026-12-07).
  if (fd < 0) throw config_error(file.string() + ": cannot open config file (" + std::strerror(errno) + ")");
  return fd;
}

std::string read_fifo(const std::filesystem::path& file) {
  const int fd = open_or_throw(file, O_RDONLY | O_NONBLOCK);
  pollfd waiting{fd, POLLIN, 0};
  if (::poll(&waiting, 1, kFifoWait_ms) <= 0) {
    ::close(fd);
    throw config_error(file.string() + ": a FIFO nothing wrote to within " + std::to_string(kFifoWait_ms / 1000) + " s");
  }
  ::fcntl(fd, F_SETFL, 0);  // blocking from here: the writer's whole text, to its end
  return read_bounded(fd, file);
}

}  // namespace

// A directory named as a base was called "no such file" (an outside check, 2026-12-05); a folder that may not be
// searched is what the system says, not "no such file". A device or a socket is no config either: /dev/zero was read
// until memory ran out (an outside audit, 2026-12-07).
std::string not_a_config_file(const std::filesystem::path& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(file, ec);
  switch (st.type()) {
    case fs::file_type::not_found: return "no such file";
    case fs::file_type::directory: return "a directory, not a config file";
    case fs::file_type::character: return "a character device, not a config file";
    case fs::file_type::block: return "a block device, not a config file";
    case fs::file_type::socket: return "a socket, not a config file";
    default: break;
  }
  if (ec) return ec.message();
  return {};
}

std::string read_config_file(const std::filesystem::path& file) {
  if (const std::string why = not_a_config_file(file); !why.empty()) throw config_error(file.string() + ": " + why);
  if (std::error_code ec; std::filesystem::is_fifo(file, ec)) return read_fifo(file);
  // A regular file's size refuses it before a byte is read (a 300 MB file took 9 s to be refused); the read stays
  // bounded for a file that grows meanwhile, or whose size says 0 (/proc).
  if (std::error_code ec; std::filesystem::file_size(file, ec) > kMaxConfig_bytes && !ec)
    throw config_error(too_large(file));
  return read_bounded(open_or_throw(file, O_RDONLY), file);
}

}  // namespace cortexloop::io
