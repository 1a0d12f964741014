#pragma once
// Draws a PNG with one of the tools' Python scripts (/usr/bin/python3, which has matplotlib): the commands that write
// arrays then draw them (`sweep`, `plasticity`). The arrays are the result: a missing Python or matplotlib only warns,
// naming the command that draws the PNG later.
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/default_config.hpp"

extern char** environ;

namespace cortexloop::tools {

// `script`: the repository path of the Python script; `args`: its arguments (the PNG's path among them).
inline void draw_png(const char* command, const std::string& script, const std::vector<std::string>& args,
                     const std::string& png) {
  std::vector<std::string> all = {"/usr/bin/python3", repo_file(script)};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int status = 0;
  const int rc = posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
  if (rc == 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::string line;
  for (const auto& a : all) line += (line.empty() ? "" : " ") + a;
  std::fprintf(stderr, "%s: warning: %s was not drawn (%s); the arrays are written: %s draws it\n", command,
               png.c_str(), rc != 0 ? std::strerror(rc) : "the script failed", line.c_str());
}

}  // namespace cortexloop::tools
