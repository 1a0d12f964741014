#include "io/npy.hpp"

#include <cstring>
#include <stdexcept>

namespace cortexloop::io {

namespace {
// The header is padded to a fixed 128 bytes so that it can be rewritten in place with a longer shape.
constexpr std::size_t kHeaderBytes = 128;

std::string header(const char* descr, const std::vector<std::uint64_t>& shape) {
  std::string dims;
  for (std::size_t i = 0; i < shape.size(); ++i) dims += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  const std::size_t body = kHeaderBytes - 10;
  if (dict.size() + 1 > body) throw std::runtime_error("npy header too long");
  dict.append(body - dict.size() - 1, ' ');
  dict += '\n';
  out += static_cast<char>(body & 0xff);
  out += static_cast<char>(body >> 8);
  return out + dict;
}

std::FILE* open_or_throw(const std::filesystem::path& file) {
  std::FILE* f = std::fopen(file.c_str(), "wb");
  if (!f) throw std::runtime_error(file.string() + ": cannot open for writing: " + std::strerror(errno));
  return f;
}
}  // namespace

void write_npy(const std::filesystem::path& file, std::span<const float> data, std::vector<std::size_t> shape) {
  std::FILE* f = open_or_throw(file);
  const std::string h = header("<f4", std::vector<std::uint64_t>(shape.begin(), shape.end()));
  const bool ok = std::fwrite(h.data(), 1, h.size(), f) == h.size() &&
                  std::fwrite(data.data(), sizeof(float), data.size(), f) == data.size();
  if (std::fclose(f) != 0 || !ok) throw std::runtime_error(file.string() + ": write failed");
}

npy_row_writer::npy_row_writer(const std::filesystem::path& file, std::size_t columns)
    : file_(open_or_throw(file)), path_(file), columns_(columns) {
  write_header();
}

npy_row_writer::~npy_row_writer() {
  try {
    close();
  } catch (...) {
  }
}

void npy_row_writer::write_header() {
  const std::string h = header("<f8", {rows_, columns_});
  std::fseek(file_, 0, SEEK_SET);
  if (std::fwrite(h.data(), 1, h.size(), file_) != h.size()) throw std::runtime_error(path_.string() + ": write failed");
  std::fseek(file_, 0, SEEK_END);
}

void npy_row_writer::append(std::span<const double> values) {
  if (values.size() % columns_ != 0) throw std::logic_error("npy_row_writer: partial row");
  if (std::fwrite(values.data(), sizeof(double), values.size(), file_) != values.size())
    throw std::runtime_error(path_.string() + ": write failed");
  rows_ += values.size() / columns_;
}

void npy_row_writer::close() {
  if (!file_) return;
  write_header();
  const bool ok = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok) throw std::runtime_error(path_.string() + ": close failed");
}

}  // namespace cortexloop::io
