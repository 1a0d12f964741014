#pragma once
// How many processes the MPI launcher started and where this one is among them, read from the launcher's
// environment (1 process, rank 0, without one): read before (or without) initialising MPI, by the commands that
// refuse or prepare a multi-process run (tools/mpi_launch.hpp) and by the config's memory checks, which count what
// this process and this machine hold of a network split over ranks.
#include <cstdlib>
#include <initializer_list>

namespace cortexloop::io {

namespace launch_env_detail {
inline int first_positive(std::initializer_list<const char*> names, int otherwise) {
  for (const char* name : names)
    if (const char* value = std::getenv(name)) {
      const int n = std::atoi(value);
      if (n > 0) return n;
    }
  return otherwise;
}
}  // namespace launch_env_detail

// Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE; MPICH's Hydra and Slurm's PMI set PMI_SIZE.
inline int launched_ranks() { return launch_env_detail::first_positive({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}, 1); }

// This process's rank among them (0 without a launcher).
inline int launched_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMI_RANK"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return 0;
}

// How many of them run on this machine (Open MPI's OMPI_COMM_WORLD_LOCAL_SIZE, MPICH's MPI_LOCALNRANKS); all of
// them when the launcher does not say.
inline int launched_local_ranks() {
  return launch_env_detail::first_positive({"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"}, launched_ranks());
}

// This process's place among the ranks on this machine (Open MPI's OMPI_COMM_WORLD_LOCAL_RANK, MPICH's
// MPI_LOCALRANKID); its rank modulo those when the launcher does not say.
inline int launched_local_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return launched_rank() % launched_local_ranks();
}

}  // namespace cortexloop::io
