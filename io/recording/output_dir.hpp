#pragma once
// Output folders of the tools that run long (simulate, sweep) or cannot be repeated (record a live session): checked
// before the work starts, so that a path that cannot take the outputs fails in the first second, not after minutes
// of simulation with some files already written.
#include <cstdio>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace cortexloop::io {

// The name a streamed file is written under until it is complete (io::npy_row_writer): FILE.partial.
std::filesystem::path partial_path(const std::filesystem::path& file);

// Creates `dir` (and its parents) and throws std::runtime_error naming `option` and the path when it is not a
// folder, when this process cannot create a file in it (a probe file is created and removed), or when one of `files`
// (or its partial_path) exists in it and is not a regular file (a folder of that name). Removes nothing: a run that
// can still be stopped before it produces anything (simulate's set-up) checks its folder first and removes the
// earlier outputs only once it will write its own (remove_earlier_outputs).
void check_output_dir(const std::filesystem::path& dir, std::span<const std::string_view> files,
                      std::string_view option = "--out");

// An exclusive lock on an output folder while it is held: a second run writing into the same folder removed the
// first's files and wrote its own among them (two recorders on one --out both exited 0, the first's recording
// destroyed: an outside audit, 2026-12-06). flock(2) on the folder itself: nothing is written into it, and the lock
// goes with the process however it ends. A file system without flock (some network ones) is not locked.
class output_dir_lock {
 public:
  // Throws std::runtime_error naming `option` and the folder when another process holds its lock.
  explicit output_dir_lock(const std::filesystem::path& dir, std::string_view option = "--out");
  ~output_dir_lock();
  output_dir_lock(const output_dir_lock&) = delete;
  output_dir_lock& operator=(const output_dir_lock&) = delete;
  output_dir_lock(output_dir_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}  // the lock goes with it
  output_dir_lock& operator=(output_dir_lock&&) = delete;

 private:
  int fd_ = -1;
};

// Removes the `files` an earlier run left in `dir`, and their partial_path and write_text_file's temporary
// FILE.partial.XXXXXX (a run killed mid-way): a run writes only
// some of them (a ring's, a device's), and a stale one beside this run's was read as part of it (`plot` drew an
// 11 s recording's vsdi.npy into a new 1 s session's figure). Throws naming `option` when one cannot be removed.
void remove_earlier_outputs(const std::filesystem::path& dir, std::span<const std::string_view> files,
                            std::string_view option = "--out");

// check_output_dir, then remove_earlier_outputs.
void prepare_output_dir(const std::filesystem::path& dir, std::span<const std::string_view> files,
                        std::string_view option = "--out");

// Throws std::runtime_error naming `option` and the path when `file` cannot be written: a folder, or a file this
// process cannot open for writing (or create: a missing folder, no permission). An existing file is opened without
// truncating it and left as it is; a new one is created and removed. For a command that writes one file after a
// long computation (fit-tf), which lost the computation to a bad path.
void check_output_file(const std::filesystem::path& file, std::string_view option);

// Opens `file` for binary writing; throws std::runtime_error naming it and the reason when it cannot.
std::FILE* open_for_writing(const std::filesystem::path& file);
// Closes what open_for_writing opened; throws naming the file when the close or `wrote_all` failed.
void close_written(std::FILE* f, const std::filesystem::path& file, bool wrote_all);

// A file that could not be written, with the errno value that said why.
class file_write_error : public std::runtime_error {
 public:
  file_write_error(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// Writes `text` to `file` whole or not at all: to a fresh file beside it (mkstemp), renamed over it; in place when
// `file` is a symbolic link, a device or a pipe, or when nothing can be created beside it but `file` exists and is
// writable. Throws file_write_error naming the file and why ("FILE: write failed (No space left on device)"),
// leaving no file of its own behind (an earlier `file` stays as it was).
void write_text_file(const std::filesystem::path& file, std::string_view text);

}  // namespace cortexloop::io
