#pragma once
// A bench tool's command line, parsed as the cortexloop CLI's: --help prints and exits 0, a wrong command line says
// why and exits 2 (CLI11_PARSE's own codes, 105-114, were listed nowhere: an outside check, 2026-12-05). A macro
// because it returns from main.
#include <CLI/CLI.hpp>

#define CORTEXLOOP_BENCH_PARSE(app, argc, argv)      \
  try {                                              \
    (app).parse((argc), (argv));                     \
  } catch (const CLI::ParseError& parse_error) {     \
    return (app).exit(parse_error) == 0 ? 0 : 2;     \
  }
