#pragma once
// How a command that stops on an error says why: the one place that prints it and picks the exit code.
#include <cstdio>
#include <exception>
#include <new>
#include <system_error>
#include <utility>

#include "io/config/config_reader.hpp"
#include "io/config/machine_memory.hpp"
#include "tools/command_line_error.hpp"

namespace cortexloop::tools {

// Prints the error on stderr; returns the exit code (2 for a config error or a wrong command line, 1 otherwise).
// said_by_rank_0: this process is a rank > 0 of those mpirun started, and the error reached main() before stepping.
// Every rank reads the same command line and config files, so a config error or a wrong command line is met by each
// alike: rank 0 says it, the others return its code without a word (each rank printed the config error: an outside
// audit, 2026-12-07). Any other error (a rank's own folder, its wait) is said by the rank that met it, which may be
// the only one.
inline int report_error(std::exception_ptr error, bool said_by_rank_0 = false) {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const io::config_error& e) {
    if (!said_by_rank_0) std::fprintf(stderr, "cortexloop: config error: %s\n", e.what());
    return 2;
  } catch (const command_line_error& e) {
    if (!said_by_rank_0) std::fprintf(stderr, "cortexloop: %s\n", e.what());
    return 2;
  } catch (const std::bad_alloc& e) {
    // It said only "error: std::bad_alloc" (under `ulimit -v`, a serve whose set-up outgrew the limit after the
    // config's memory checks passed: an outside audit's note, 2026-12-07).
    std::fprintf(stderr, "cortexloop: error: out of memory (%s): %s\n", e.what(), io::process_memory_words().c_str());
  } catch (const std::system_error& e) {
    // A thread that could not be started (its stack not mapped under `ulimit -v`) said only "Resource temporarily
    // unavailable" (an outside audit, 2026-12-07).
    if (e.code() == std::errc::resource_unavailable_try_again)
      std::fprintf(stderr, "cortexloop: error: a thread could not be started (%s): %s\n", e.what(),
                   io::process_memory_words().c_str());
    else
      std::fprintf(stderr, "cortexloop: error: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cortexloop: error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "cortexloop: error: an exception of unknown type\n");
  }
  return 1;
}

// Runs body() with an MPI session open around it (across_ranks). If body throws, the session's destructor ends
// every rank with MPI_Abort while the exception unwinds (io/mpi/mpi_exchange.cpp), before main() could print it:
// each rank says why here first, or `mpirun -n K` would print only "MPI_ABORT was invoked", and hands on_abort the
// exit code one process would have given (the session aborts with it).
template <class Body, class OnAbort>
int reporting_before_abort(bool across_ranks, Body&& body, OnAbort&& on_abort) {
  try {
    return std::forward<Body>(body)();
  } catch (...) {
    if (across_ranks) on_abort(report_error(std::current_exception()));
    throw;
  }
}

}  // namespace cortexloop::tools
