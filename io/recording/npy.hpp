#pragma once
// NumPy .npy files (format 1.0, little-endian, C order), for the outputs of simulate and record.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace cortexloop::io {

// Writes a whole float32 array of the given shape.
void write_npy(const std::filesystem::path& file, std::span<const float> data, std::vector<std::size_t> shape);

// Writes a whole uint64 array (record's per-readout hashes).
void write_npy(const std::filesystem::path& file, std::span<const std::uint64_t> data, std::vector<std::size_t> shape);

// A whole .npy file as written above (little-endian, C order): its dtype ("<f4", "<f8", "<u8"), shape, data.
struct npy_array {
  std::string descr;
  std::vector<std::size_t> shape;
  std::vector<std::uint8_t> data;
  std::size_t size() const;  // number of elements
  template <class T>
  T at(std::size_t i) const {
    T v;
    std::memcpy(&v, data.data() + i * sizeof(T), sizeof(T));
    return v;
  }
};
// Throws std::runtime_error naming the file when it is not such a file.
npy_array read_npy(const std::filesystem::path& file);

// Bytes of one value of a dtype read_npy reads ("<f4", "<f8", "<u8"); 0 for any other.
std::size_t npy_item_bytes(std::string_view descr);
// The dtype of a value of type T as these files write it.
template <class T>
constexpr const char* npy_descr() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::uint64_t>);
  return std::is_same_v<T, float> ? "<f4" : std::is_same_v<T, double> ? "<f8" : "<u8";
}

// A .npy file as read_npy checks it, read one row (its first index) at a time: `replay` compares every stored
// per-readout array with the replay's readouts, ~5 GB for an hour of configs/default.toml's ring, too much to hold.
class npy_row_reader {
 public:
  explicit npy_row_reader(const std::filesystem::path& file);  // throws as read_npy
  const std::string& descr() const { return header_.descr; }
  const std::vector<std::size_t>& shape() const { return header_.shape; }
  std::size_t rows() const { return header_.shape.empty() ? 0 : header_.shape[0]; }
  // Row i's bytes (the values of shape[1:], C order), valid until the next call.
  std::span<const std::uint8_t> row(std::size_t i);

 private:
  std::ifstream in_;
  std::filesystem::path file_;
  npy_array header_;  // its descr and shape; no data
  std::size_t data_at_ = 0, row_bytes_ = 0;
  std::vector<std::uint8_t> row_;
};

// Appends float64 rows of fixed width to a file whose header is rewritten with the final row count on
// close(), so arrays of unknown length (spike lists) stream to disk without being held in memory.
// The rows go to FILE.partial (io::partial_path), renamed to FILE by close() once its header is final: a process
// killed mid-run (SIGKILL, or mpirun ending its ranks at a SIGTERM) left a FILE of 9.2 MB whose header still said
// 0 rows, which np.load read as an empty array, as if nothing had spiked (an outside audit, 2026-12-06). Destroyed
// without close() (an exception unwinding), the header is patched and the rows stay in FILE.partial.
// Rows may be float64 (the default), float32 or uint64, each of any fixed shape ([rows] + row_shape; an empty
// row_shape: one value a row, a 1-d array), so that `record` streams every per-readout array instead of holding a
// session in memory (~2 KB a readout of configs/default.toml, 7 GB an hour, before 2026-12-06).
class npy_row_writer {
 public:
  npy_row_writer(const std::filesystem::path& file, std::size_t columns);  // float64 rows of `columns` values
  // descr: "<f8", "<f4" or "<u8"; appends must pass that type.
  npy_row_writer(const std::filesystem::path& file, std::vector<std::size_t> row_shape, const char* descr);
  ~npy_row_writer();
  npy_row_writer(const npy_row_writer&) = delete;
  npy_row_writer& operator=(const npy_row_writer&) = delete;
  // Whole rows (a multiple of the row's size), of the writer's type; for a row of no values (a dimension of 0, as
  // a device frame of no sensing channel), each append is one row.
  void append(std::span<const double> row_major_values);
  void append(std::span<const float> row_major_values);
  void append(std::span<const std::uint64_t> row_major_values);
  // Keeps the first n rows only (fewer than appended: `record` after a write failed mid-readout, so that every array
  // holds the readouts it recorded whole); the file is cut there at the close.
  void keep_rows(std::uint64_t n);
  void close();    // final header, then FILE.partial -> FILE
  void discard();  // closes and removes FILE.partial: nothing is left under either name
  std::uint64_t rows() const { return rows_; }

 private:
  void write_header();
  bool finish();  // final header and fclose; false when either failed
  void append_bytes(const void* data, std::size_t count, std::size_t item_bytes, const char* descr);
  std::runtime_error write_failure() noexcept;  // "FILE.partial: write failed (reason)", the first errno kept
  std::FILE* file_;
  std::filesystem::path path_, partial_;
  std::vector<std::size_t> row_shape_;
  std::size_t row_size_;  // values in a row
  std::string descr_;
  std::uint64_t rows_ = 0;
  int write_errno_ = 0;  // the first failed write's errno, for the reason close() gives
  std::size_t item_bytes_;  // of one value of descr_
};

}  // namespace cortexloop::io
