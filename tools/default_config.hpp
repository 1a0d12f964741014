#pragma once
// Where a file of the checkout lives (a command's default config, a tools/ script). `PATH` relative to the working
// directory when it is there (the README runs everything from the checkout), else next to the executable's checkout
// (build/cortexloop -> ../PATH), else the source tree this binary was built from: `cortexloop serve` works from any
// directory.
#include <filesystem>
#include <string>
#include <system_error>

namespace cortexloop::tools {

inline std::string repo_file(const std::filesystem::path& relative) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(relative, ec)) return relative.string();
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = exe.parent_path().parent_path() / relative;
    if (fs::exists(beside, ec)) return beside.string();
  }
  const fs::path source = fs::path(CORTEXLOOP_SOURCE_DIR) / relative;
  if (fs::exists(source, ec)) return source.string();
  return relative.string();  // the loader's error names it
}

inline std::string default_config(const std::string& name) {
  return repo_file(std::filesystem::path("configs") / name);
}

}  // namespace cortexloop::tools
