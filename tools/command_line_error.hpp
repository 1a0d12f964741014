#pragma once
// A wrong command line found after parsing (options that contradict each other, a malformed --sweep list): the
// commands' --help promise exit code 2 for it, as for a wrong config (tools/error_report.hpp), not 1, which means
// the run itself failed.
#include <stdexcept>

namespace cortexloop::tools {

struct command_line_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

}  // namespace cortexloop::tools
