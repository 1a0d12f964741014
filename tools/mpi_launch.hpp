#pragma once
// How many processes the MPI launcher started, read from its environment (1 without one), so that a command can
// refuse or prepare a multi-process run before (or without) initialising MPI.
#include <cstdlib>

namespace cortexloop::tools {

inline int launched_ranks() {
  // Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE; MPICH's Hydra and Slurm's PMI set PMI_SIZE.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* value = std::getenv(name)) {
      const int n = std::atoi(value);
      if (n > 0) return n;
    }
  return 1;
}

// This process's rank among them (0 without a launcher).
inline int launched_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMI_RANK"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return 0;
}

}  // namespace cortexloop::tools
