#pragma once
// NumPy .npy files (format 1.0, little-endian, C order), for the outputs of simulate and record.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace cortexloop::io {

// Writes a whole float32 array of the given shape.
void write_npy(const std::filesystem::path& file, std::span<const float> data, std::vector<std::size_t> shape);

// Appends float64 rows of fixed width to a file whose header is rewritten with the final row count on
// close(), so arrays of unknown length (spike lists) stream to disk without being held in memory.
class npy_row_writer {
 public:
  npy_row_writer(const std::filesystem::path& file, std::size_t columns);
  ~npy_row_writer();
  npy_row_writer(const npy_row_writer&) = delete;
  npy_row_writer& operator=(const npy_row_writer&) = delete;
  void append(std::span<const double> row_major_values);  // a multiple of `columns` values
  void close();
  std::uint64_t rows() const { return rows_; }

 private:
  void write_header();
  std::FILE* file_;
  std::filesystem::path path_;
  std::size_t columns_;
  std::uint64_t rows_ = 0;
};

}  // namespace cortexloop::io
