#include "io/recording/output_dir.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cortexloop::io {

namespace {
[[noreturn]] void refuse(std::string_view option, const std::filesystem::path& dir, const std::string& why) {
  throw std::runtime_error(std::string(option) + " " + dir.string() + ": " + why);
}

// Each name of `files` and its partial_path.
std::vector<std::filesystem::path> output_names(std::span<const std::string_view> files) {
  std::vector<std::filesystem::path> names;
  for (const std::string_view name : files) {
    names.emplace_back(name);
    names.push_back(partial_path(name));
  }
  return names;
}
}  // namespace

void check_output_dir(const std::filesystem::path& dir, std::span<const std::string_view> files,
                      std::string_view option) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
    refuse(option, dir, "exists and is not a folder");
  std::filesystem::create_directories(dir, ec);
  if (ec) refuse(option, dir, "cannot create the folder: " + ec.message());
  // Permissions alone do not say it (root, read-only mounts, ACLs): create a file, as the outputs will be.
  const std::filesystem::path probe = dir / (".cortexloop_write_check." + std::to_string(::getpid()));
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f) refuse(option, dir, std::string("cannot create files in it: ") + std::strerror(errno));
  std::fclose(f);
  std::filesystem::remove(probe, ec);
  for (const std::filesystem::path& name : output_names(files)) {
    const std::filesystem::path file = dir / name;
    if (std::filesystem::exists(file, ec) && !std::filesystem::is_regular_file(file, ec))
      refuse(option, dir, name.string() + " exists in it and is not a file (the run writes that name)");
  }
}

output_dir_lock::output_dir_lock(const std::filesystem::path& dir, std::string_view option) {
  fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) refuse(option, dir, std::string("cannot open the folder: ") + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  const int why = errno;
  if (why != EWOULDBLOCK) return;  // no flock on this file system: nothing to go by
  ::close(fd_);
  fd_ = -1;
  refuse(option, dir, "another cortexloop process is writing into this folder (it holds the folder's lock); give each "
                      "run its own " + std::string(option) + ", or stop the other one first");
}

output_dir_lock::~output_dir_lock() {
  if (fd_ >= 0) ::close(fd_);  // and the lock with it
}

void remove_earlier_outputs(const std::filesystem::path& dir, std::span<const std::string_view> files,
                            std::string_view option) {
  std::error_code ec;
  for (const std::filesystem::path& name : output_names(files))
    if (!std::filesystem::remove(dir / name, ec) && ec)
      refuse(option, dir, "cannot remove an earlier run's " + name.string() + ": " + ec.message());
  // And write_text_file's FILE.partial.XXXXXX (mkstemp's six characters) of a run killed while it wrote FILE: under
  // mpirun a rank killed writing a sweep point's config.toml left one that later runs kept (an outside audit,
  // 2026-12-07). Only that exact shape of name: anything else in the folder is the user's.
  constexpr std::size_t kMkstempChars = 6;
  for (const std::filesystem::directory_entry& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string leaf = e.path().filename().string();
    for (const std::string_view name : files) {
      const std::string prefix = partial_path(name).string() + ".";
      if (leaf.size() != prefix.size() + kMkstempChars || !leaf.starts_with(prefix)) continue;
      std::error_code type_ec;
      if (!e.is_regular_file(type_ec)) continue;
      if (!std::filesystem::remove(e.path(), ec) && ec)
        refuse(option, dir, "cannot remove an earlier run's " + leaf + ": " + ec.message());
    }
  }
}

void prepare_output_dir(const std::filesystem::path& dir, std::span<const std::string_view> files,
                        std::string_view option) {
  check_output_dir(dir, files, option);
  remove_earlier_outputs(dir, files, option);
}

void check_output_file(const std::filesystem::path& file, std::string_view option) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) refuse(option, file, "is a folder");
  const bool existed = std::filesystem::exists(file, ec);
  std::FILE* f = std::fopen(file.c_str(), "ab");  // appending: an existing file keeps its content
  if (!f) refuse(option, file, std::string("cannot be written: ") + std::strerror(errno));
  std::fclose(f);
  if (!existed) std::filesystem::remove(file, ec);
}

std::filesystem::path partial_path(const std::filesystem::path& file) {
  std::filesystem::path partial = file;
  partial += ".partial";
  return partial;
}

std::FILE* open_for_writing(const std::filesystem::path& file) {
  std::FILE* f = std::fopen(file.c_str(), "wb");
  if (!f) throw std::runtime_error(file.string() + ": cannot open for writing: " + std::strerror(errno));
  return f;
}

void close_written(std::FILE* f, const std::filesystem::path& file, bool wrote_all) {
  // Why, named (ENOSPC, EFBIG): the short write's errno, which the close could change, else the close's.
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!closed || !wrote_all)
    throw std::runtime_error(file.string() + ": write failed (" + std::strerror(wrote_all ? errno : write_errno) + ")");
}

namespace {
// The process's umask, read from /proc (umask() can only be read by setting it, which would race with a server's
// threads); 022 if /proc does not say.
mode_t process_umask() {
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

[[noreturn]] void write_error(const std::filesystem::path& file, const std::string& what, int code) {
  throw file_write_error(file.string() + ": " + what + " (" + std::strerror(code) + ")", code);
}

// Writes all of `text` to `f` and closes it; throws naming `file` with the first error.
void write_all(std::FILE* f, const std::filesystem::path& file, std::string_view text) {
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int write_errno = errno;  // the short write's, which the close could change
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) write_error(file, "write failed", wrote ? errno : write_errno);
}
}  // namespace

void write_text_file(const std::filesystem::path& file, std::string_view text) {
  const auto in_place = [&] {
    std::FILE* f = std::fopen(file.c_str(), "wb");
    if (!f) write_error(file, "cannot open for writing", errno);
    write_all(f, file, text);
  };
  // A symbolic link, a device or a pipe given as the file (`fit-tf --out /dev/stdout`) is written through: a rename
  // would replace it with a regular file (the suite's fit-tf test replaced /dev/full so, 2026-12-07).
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::symlink_status(file, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) return in_place();
  // Else whole or not at all: a fresh file beside it, of a name no one can guess (mkstemp: O_CREAT | O_EXCL, never
  // through a symbolic link someone put there), renamed over it. Written in place, a full disk left record's
  // session.json and summary.json as 0-byte files that read as a recording's (an outside audit, 2026-12-06).
  std::string partial = partial_path(file).string() + ".XXXXXX";
  const int fd = ::mkstemp(partial.data());
  if (fd < 0) {
    // No file can be made beside it (a folder of someone else's) but it exists and is ours to write: in place.
    if (std::filesystem::exists(status) && ::access(file.c_str(), W_OK) == 0) return in_place();
    write_error(file, "cannot open for writing", errno);
  }
  ::fchmod(fd, 0666 & ~process_umask());  // mkstemp makes 0600: the file as readable as any other written here
  std::FILE* f = ::fdopen(fd, "wb");
  if (!f) {
    const int code = errno;
    ::close(fd);
    std::remove(partial.c_str());
    write_error(file, "cannot open for writing", code);
  }
  try {
    write_all(f, file, text);
  } catch (const file_write_error&) {
    std::remove(partial.c_str());
    throw;
  }
  if (std::rename(partial.c_str(), file.c_str()) != 0) {
    const int code = errno;
    std::remove(partial.c_str());  // whole or absent: nothing half-way left behind
    write_error(file, "cannot replace it", code);
  }
}

}  // namespace cortexloop::io
