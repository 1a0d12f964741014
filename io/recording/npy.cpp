#include "io/recording/npy.hpp"

#include "io/recording/output_dir.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

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
}  // namespace

// An empty array (a recording with no readouts of a kind) is a header alone: fwrite's buffer is declared
// non-null, and an empty span's data() may be null (UBSan found it in `record`).
void write_npy(const std::filesystem::path& file, std::span<const float> data, std::vector<std::size_t> shape) {
  std::FILE* f = open_for_writing(file);
  const std::string h = header("<f4", std::vector<std::uint64_t>(shape.begin(), shape.end()));
  const bool ok = std::fwrite(h.data(), 1, h.size(), f) == h.size() &&
                  (data.empty() || std::fwrite(data.data(), sizeof(float), data.size(), f) == data.size());
  close_written(f, file, ok);
}

void write_npy(const std::filesystem::path& file, std::span<const std::uint64_t> data, std::vector<std::size_t> shape) {
  std::FILE* f = open_for_writing(file);
  const std::string h = header("<u8", std::vector<std::uint64_t>(shape.begin(), shape.end()));
  const bool ok = std::fwrite(h.data(), 1, h.size(), f) == h.size() &&
                  (data.empty() || std::fwrite(data.data(), sizeof(std::uint64_t), data.size(), f) == data.size());
  close_written(f, file, ok);
}

std::size_t npy_array::size() const {
  std::size_t n = 1;
  for (const std::size_t d : shape) n *= d;
  return n;
}

namespace {
// The header of a .npy file as written above (its dtype and shape into `a`), checked against the `data_bytes` after
// it; returns the header's length, where the data begins. Throws naming the file when it is not such a file.
std::size_t read_header(std::istream& in, const std::filesystem::path& file, npy_array& a) {
  auto bad = [&](const std::string& why) { return std::runtime_error(file.string() + ": not a readable .npy (" + why + ")"); };
  char lead[10];
  if (!in.read(lead, sizeof lead) || std::string_view(lead, 6) != "\x93NUMPY" || lead[6] != 1) throw bad("magic/version");
  const std::size_t hlen = static_cast<unsigned char>(lead[8]) | (static_cast<unsigned char>(lead[9]) << 8);
  std::string dict(hlen, '\0');
  if (!in.read(dict.data(), static_cast<std::streamsize>(hlen))) throw bad("header");
  const auto d = dict.find("'descr': '");
  const auto s = dict.find("'shape': (");
  if (d == std::string::npos || s == std::string::npos || dict.find("'fortran_order': False") == std::string::npos)
    throw bad("header fields");
  a.descr = dict.substr(d + 10, dict.find('\'', d + 10) - d - 10);
  const std::string dims = dict.substr(s + 10, dict.find(')', s) - s - 10);
  for (std::size_t i = 0; i < dims.size();) {
    const std::size_t j = dims.find(',', i);
    std::string t = dims.substr(i, j == std::string::npos ? std::string::npos : j - i);
    t.erase(0, t.find_first_not_of(' '));
    t.erase(t.find_last_not_of(' ') + 1);
    // Digits only: std::stoull read "-1" as 2^64 - 1 (then "the shape holds more than the file") and "x" as "stoull".
    if (!t.empty()) {
      std::uint64_t dim = 0;
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), dim);
      if (ec != std::errc() || end != t.data() + t.size() || t[0] == '+')
        throw bad("shape entry '" + t.substr(0, 20) + "' is not a whole number");
      a.shape.push_back(dim);
    }
    if (j == std::string::npos) break;
    i = j + 1;
  }
  const std::size_t item = npy_item_bytes(a.descr);
  // Named with the dtypes these files hold: a float16 or big-endian '>f4' array read as "(dtype >f4)" alone.
  if (item == 0) throw bad("dtype " + a.descr + ", where simulate and record write <f4, <f8 or <u8");
  // The element count checked against the bytes there by division: a shape whose product overflows (a damaged
  // header) passed a multiplied check and ended in "vector::_M_default_append".
  std::error_code ec;
  const std::uintmax_t file_bytes = std::filesystem::file_size(file, ec);
  if (ec || file_bytes < 10 + hlen) throw bad("header");
  const std::size_t available = static_cast<std::size_t>(file_bytes - 10 - hlen) / item;
  // A dimension of 0 holds nothing, whatever the others (record's device_electrodes.npy [n, 0] without electrodes).
  if (std::find(a.shape.begin(), a.shape.end(), 0) != a.shape.end()) return 10 + hlen;
  std::size_t count = 1;
  for (const std::size_t dim : a.shape) {
    if (count > available / dim) throw bad("truncated data: the shape holds more than the file");
    count *= dim;
  }
  return 10 + hlen;
}
}  // namespace

std::size_t npy_item_bytes(std::string_view descr) {
  return descr == "<f4" ? 4 : (descr == "<f8" || descr == "<u8") ? 8 : 0;
}

npy_array read_npy(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot open");
  npy_array a;
  read_header(in, file, a);
  a.data.resize(a.size() * npy_item_bytes(a.descr));
  if (!in.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(a.data.size())))
    throw std::runtime_error(file.string() + ": not a readable .npy (truncated data)");
  return a;
}

npy_row_reader::npy_row_reader(const std::filesystem::path& file) : in_(file, std::ios::binary), file_(file) {
  if (!in_) throw std::runtime_error(file.string() + ": cannot open");
  data_at_ = read_header(in_, file, header_);
  row_bytes_ = npy_item_bytes(header_.descr);
  for (std::size_t k = 1; k < header_.shape.size(); ++k) row_bytes_ *= header_.shape[k];
  row_.resize(row_bytes_);
}

std::span<const std::uint8_t> npy_row_reader::row(std::size_t i) {
  if (header_.shape.empty() || i >= header_.shape[0]) throw std::out_of_range(file_.string() + ": no row " + std::to_string(i));
  in_.seekg(static_cast<std::streamoff>(data_at_ + i * row_bytes_));
  if (!in_.read(reinterpret_cast<char*>(row_.data()), static_cast<std::streamsize>(row_bytes_)))
    throw std::runtime_error(file_.string() + ": row " + std::to_string(i) + " cannot be read");
  return row_;
}

npy_row_writer::npy_row_writer(const std::filesystem::path& file, std::size_t columns)
    : npy_row_writer(file, std::vector<std::size_t>{columns}, "<f8") {}

npy_row_writer::npy_row_writer(const std::filesystem::path& file, std::vector<std::size_t> row_shape, const char* descr)
    : file_(open_for_writing(partial_path(file))),
      path_(file),
      partial_(partial_path(file)),
      row_shape_(std::move(row_shape)),
      row_size_(1),
      descr_(descr),
      item_bytes_(npy_item_bytes(descr_)) {
  for (const std::size_t d : row_shape_) row_size_ *= d;
  write_header();
}

npy_row_writer::~npy_row_writer() {
  try {
    if (file_) finish();  // the rows so far readable, under the partial name
  } catch (...) {
  }
}

void npy_row_writer::write_header() {
  std::vector<std::uint64_t> shape{rows_};
  shape.insert(shape.end(), row_shape_.begin(), row_shape_.end());
  const std::string h = header(descr_.c_str(), shape);
  // The seek flushes the rows buffered so far: a flush that fails (a full disk, a file size limit) lost rows the
  // header would count. Checked, as every write since (ferror), so that such a file is never closed as complete:
  // one was renamed with a header of 256 rows over 159 rows of data (an outside check, 2026-12-06).
  if (std::fseek(file_, 0, SEEK_SET) != 0 || std::fwrite(h.data(), 1, h.size(), file_) != h.size() ||
      std::fseek(file_, 0, SEEK_END) != 0 || std::ferror(file_))
    throw write_failure();
}

// The first failure's errno is kept: errno may have changed by the time close() reports it (a later call's, or
// none, which read "No such file or directory" for a file too large).
std::runtime_error npy_row_writer::write_failure() noexcept {
  if (write_errno_ == 0) write_errno_ = errno;
  return std::runtime_error(partial_.string() + ": write failed (" + std::strerror(write_errno_) + ")");
}

void npy_row_writer::append_bytes(const void* data, std::size_t count, std::size_t item_bytes, const char* descr) {
  if (descr_ != descr) throw std::logic_error("npy_row_writer: " + std::string(descr) + " values for a " + descr_ + " file");
  if (row_size_ == 0 ? count != 0 : count % row_size_ != 0) throw std::logic_error("npy_row_writer: partial row");
  if (count != 0 && std::fwrite(data, item_bytes, count, file_) != count) throw write_failure();
  rows_ += row_size_ == 0 ? 1 : count / row_size_;  // a row of no values (a dimension of 0): one per append
}

void npy_row_writer::append(std::span<const double> values) {
  append_bytes(values.data(), values.size(), sizeof(double), "<f8");
}
void npy_row_writer::append(std::span<const float> values) {
  append_bytes(values.data(), values.size(), sizeof(float), "<f4");
}
void npy_row_writer::append(std::span<const std::uint64_t> values) {
  append_bytes(values.data(), values.size(), sizeof(std::uint64_t), "<u8");
}

bool npy_row_writer::finish() {
  bool ok = true;
  try {
    write_header();
  } catch (const std::runtime_error&) {
    ok = false;
  }
  // Rows past keep_rows' count go: the file ends where its header says.
  const auto bytes = static_cast<off_t>(kHeaderBytes + rows_ * row_size_ * item_bytes_);
  if (std::fflush(file_) != 0 || std::ferror(file_) || (ok && ::ftruncate(::fileno(file_), bytes) != 0)) {
    write_failure();  // notes the errno for close()
    ok = false;
  }
  if (std::fclose(file_) != 0) {  // closed whatever happened above
    write_failure();
    ok = false;
  }
  file_ = nullptr;
  return ok;
}

void npy_row_writer::keep_rows(std::uint64_t n) { rows_ = std::min(rows_, n); }

void npy_row_writer::close() {
  if (!file_) return;
  if (!finish()) throw write_failure();
  std::error_code ec;
  std::filesystem::rename(partial_, path_, ec);
  if (ec) throw std::runtime_error(partial_.string() + ": cannot rename to " + path_.filename().string() + ": " + ec.message());
}

void npy_row_writer::discard() {
  if (file_) finish();
  std::error_code ec;
  std::filesystem::remove(partial_, ec);
}

}  // namespace cortexloop::io
