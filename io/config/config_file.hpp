#pragma once
// Reading a config file's text, bounded: a regular file, or a FIFO something writes to (`--config <(...)`), of at
// most kMaxConfig_bytes. What else the name may be (a directory, a device, a socket) is refused by name.
#include <cstddef>
#include <filesystem>
#include <string>

namespace cortexloop::io {

// The largest config text read, in bytes (16 MiB; docs/engine.md). The largest shipped config is a few kB: a file
// beyond this is not a config, and reading it whole cost its size in memory and seconds of parsing before an error
// (a 300 MB file: 594 MB and 9 s), or for ever (/dev/zero as a config or a base: an outside audit, 2026-12-07).
inline constexpr std::size_t kMaxConfig_bytes = std::size_t{16} << 20;

// Why `file` cannot be read as a config, or "" when it may be (a regular file or a FIFO; its size is read_config_file's
// to check): "no such file", "a directory, not a config file", "a character device, not a config file", ...
std::string not_a_config_file(const std::filesystem::path& file);

// The text of `file`; a config_error naming the file when not_a_config_file refuses it, when it cannot be opened,
// when it is larger than kMaxConfig_bytes (at most that and one byte more are read), or when it is a FIFO nothing
// wrote to within 5 s.
std::string read_config_file(const std::filesystem::path& file);

}  // namespace cortexloop::io
