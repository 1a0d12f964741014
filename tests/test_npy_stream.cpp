// io::npy_row_writer, which `record` and `simulate` stream their arrays through: a file whose writes failed (a full
// disk, a file size limit) is never closed as a complete FILE. `record` under `ulimit -f 100` renamed such files with
// headers counting rows their data did not hold (ring_rates_exc.npy: 256 x 100 in the header over 25,568 values;
// an outside check, 2026-12-06). Reference: the file system's own refusal (RLIMIT_FSIZE, EFBIG), and the .npy layout
// (a 128-byte header, then the rows).
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <array>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "io/recording/npy.hpp"
#include "io/recording/output_dir.hpp"

using namespace cortexloop;

TEST_CASE("a streamed array whose writes failed stays FILE.partial and its close says why", "[npy][record]") {
  // Break tried: write_header and finish without their ferror/fflush checks -> close() renames it, FILE exists.
  const auto dir = std::filesystem::temp_directory_path() / ("cortexloop_test_npy_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto file = dir / "rows.npy";
  rlimit before{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &before) == 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of the signal's end of the process
  const rlimit small{16 * 1024, before.rlim_max};
  REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  bool append_failed = false, close_failed = false;
  std::string why;
  {
    io::npy_row_writer w(file, {16}, "<f8");
    const std::vector<double> row(16, 1.5);
    try {
      for (int i = 0; i < 1000; ++i) w.append(std::span<const double>(row));  // 128 KB against a 16 KiB limit
    } catch (const std::runtime_error&) {
      append_failed = true;
    }
    try {
      w.close();
    } catch (const std::runtime_error& e) {
      close_failed = true;
      why = e.what();
    }
  }
  REQUIRE(setrlimit(RLIMIT_FSIZE, &before) == 0);
  std::signal(SIGXFSZ, old_handler);
  CHECK(append_failed);
  CHECK(close_failed);
  CHECK_THAT(why, Catch::Contains("rows.npy.partial: write failed (File too large)"));
  CHECK_FALSE(std::filesystem::exists(file));
  CHECK(std::filesystem::exists(io::partial_path(file)));
  // Under the limit the same writer closes as FILE, its header counting every row.
  {
    io::npy_row_writer w(file, {16}, "<f8");
    const std::vector<double> row(16, 1.5);
    for (int i = 0; i < 10; ++i) w.append(std::span<const double>(row));
    w.close();
  }
  REQUIRE(std::filesystem::exists(file));
  const io::npy_array a = io::read_npy(file);
  CHECK(a.shape == std::vector<std::size_t>{10, 16});
  CHECK(std::filesystem::file_size(file) == 128 + 10 * 16 * sizeof(double));
  // keep_rows: `record` cuts every array to the readouts it recorded whole after a write failed mid-readout (the
  // arrays written before the failure were a row ahead: an outside re-check). Break tried: no ftruncate at the close
  // -> the file keeps its 10 rows' bytes under a 7-row header.
  {
    io::npy_row_writer w(file, {4}, "<f4");
    const std::vector<float> row(4, 2.5f);
    for (int i = 0; i < 10; ++i) w.append(std::span<const float>(row));
    w.keep_rows(7);
    w.close();
  }
  CHECK(io::read_npy(file).shape == std::vector<std::size_t>{7, 4});
  CHECK(std::filesystem::file_size(file) == 128 + 7 * 4 * sizeof(float));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a text file that cannot be written whole is not left behind", "[record]") {
  // On a full disk record left 0-byte session.json and summary.json that read as a recording's (an outside audit,
  // 2026-12-06). Reference: RLIMIT_FSIZE's refusal (EFBIG) of a 64 KiB text under a 16 KiB limit: write_text_file
  // throws naming the file, and neither a short file of that name nor its .partial is left; an earlier file keeps
  // its content. Break tried: the file written in place (as before) -> a 16 KiB summary.json is left, and the
  // earlier session.json is cut to 16 KiB of x.
  const auto dir = std::filesystem::temp_directory_path() / ("cortexloop_test_text_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  io::write_text_file(dir / "session.json", "{\"earlier\": true}\n");
  rlimit before{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &before) == 0);
  const auto listing = [&] {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  };
  const std::vector<std::string> listing_before = listing();
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  const rlimit small{16 * 1024, before.rlim_max};
  REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string why;
  for (const char* name : {"summary.json", "session.json"}) {
    try {
      io::write_text_file(dir / name, std::string(64 * 1024, 'x'));
    } catch (const std::runtime_error& e) {
      why += e.what();
    }
  }
  REQUIRE(setrlimit(RLIMIT_FSIZE, &before) == 0);
  std::signal(SIGXFSZ, old_handler);
  INFO(why);
  CHECK_THAT(why, Catch::Contains("summary.json: write failed (File too large)") &&
                      Catch::Contains("session.json: write failed (File too large)"));
  CHECK_FALSE(std::filesystem::exists(dir / "summary.json"));
  // The temporary is FILE.partial.XXXXXX (mkstemp), a name no fixed path can check: the folder's listing is the one
  // before the failed writes. Break tried: write_text_file without the remove after a failed write -> the listing
  // gains session.json.partial.XXXXXX and summary.json.partial.XXXXXX.
  CHECK(listing() == listing_before);
  CHECK(std::filesystem::file_size(dir / "session.json") == std::string("{\"earlier\": true}\n").size());
  // A symbolic link (or a device: fit-tf --out /dev/full) is written through, not replaced by a regular file. Break
  // seen: every file through FILE.partial -> the link became a file (and the suite's fit-tf test replaced /dev/full).
  std::filesystem::create_symlink(dir / "session.json", dir / "link.json");
  io::write_text_file(dir / "link.json", "through\n");
  CHECK(std::filesystem::is_symlink(dir / "link.json"));
  CHECK(std::filesystem::file_size(dir / "session.json") == 8);
  // The file beside it is made afresh (mkstemp), never through a link someone put at a name it could guess: a fixed
  // FILE.partial was followed, and the file it pointed at overwritten (a review, 2026-12-07, as the endpoints file's
  // 2026-12-05). Break tried: the fixed partial_path -> victim.txt holds the summary, summary.json is a link.
  std::ofstream(dir / "victim.txt") << "mine\n";
  std::filesystem::create_symlink(dir / "victim.txt", dir / "summary.json.partial");
  io::write_text_file(dir / "summary.json", "{}\n");
  CHECK(std::filesystem::file_size(dir / "victim.txt") == 5);
  CHECK(std::filesystem::is_regular_file(std::filesystem::symlink_status(dir / "summary.json")));
  std::filesystem::remove_all(dir);
}

TEST_CASE("an earlier run's temporary FILE.partial.XXXXXX is removed with its outputs, a user's look-alike is kept",
          "[record]") {
  // A rank mpirun killed while write_text_file wrote a sweep point's config.toml left config.toml.partial.XmC0uX,
  // which a complete re-run into the folder kept beside its own files (an outside audit, 2026-12-07). Reference:
  // mkstemp's template, FILE.partial. plus six characters (write_text_file), and the docs' promise that a run removes
  // its own earlier outputs and leaves files of the user's. Break tried: remove_earlier_outputs without the
  // directory scan -> the temporary file survives.
  const auto dir = std::filesystem::temp_directory_path() / ("cortexloop_test_stale_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto touch = [&](const char* name) { std::ofstream(dir / name) << "x"; };
  touch("config.toml.partial.XmC0uX");  // the killed run's, mkstemp's shape
  touch("config.toml.partial.notes");   // not that shape: the user's
  touch("config.toml.partial.XmC0uX7");
  touch("mine.txt");
  const std::array<std::string_view, 1> files{"config.toml"};
  io::prepare_output_dir(dir, files);
  CHECK_FALSE(std::filesystem::exists(dir / "config.toml.partial.XmC0uX"));
  CHECK(std::filesystem::exists(dir / "config.toml.partial.notes"));
  CHECK(std::filesystem::exists(dir / "config.toml.partial.XmC0uX7"));
  CHECK(std::filesystem::exists(dir / "mine.txt"));
  std::filesystem::remove_all(dir);
}

// A .npy in Fortran (column-major) order holds its values transposed against the C order every reader here assumes:
// `np.save(path, np.asfortranarray(a))` of a stored array must be refused, not read as another array (a mutation
// audit, 2026-12-07: the check could go unnoticed). Reference: numpy's format, whose header says 'fortran_order':
// True for such a file. Break tried: read_header not requiring 'fortran_order': False -> the file is read, this fails.
TEST_CASE("a .npy in Fortran order is refused naming its header, the same file in C order is read", "[npy]") {
  const auto file = std::filesystem::temp_directory_path() / ("cortexloop_test_fortran_" + std::to_string(::getpid()) + ".npy");
  const std::vector<float> values{1, 2, 3, 4, 5, 6};
  io::write_npy(file, values, {2, 3});
  REQUIRE(io::read_npy(file).shape == std::vector<std::size_t>{2, 3});
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto at = bytes.find("'fortran_order': False");
  REQUIRE(at != std::string::npos);
  bytes.replace(at, 22, "'fortran_order': True ");  // the header's length kept (numpy pads it with spaces)
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  CHECK_THROWS_WITH(io::read_npy(file), Catch::Contains("header fields"));
  std::filesystem::remove(file);
}
