#pragma once
// The spike exchange between MPI ranks (Open MPI): a network split over `mpirun -n K` processes calls it once per
// step (engine/network/process_exchange.hpp). Offline only (`cortexloop simulate`): the collectives block until every
// rank arrives, which a real-time tick cannot afford across machines (docs/scaling.md).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <mpi.h>

#include "engine/network/process_exchange.hpp"
#include "io/mpi/node_share.hpp"

namespace cortexloop::io {

// MPI for this process: MPI_Init_thread (FUNNELED: only the thread that made it calls MPI; the network's helper
// threads never do) and MPI_Finalize, or MPI_Abort when an exception leaves the scope (the other ranks may be
// waiting in a collective that this one will never enter).
class mpi_session {
 public:
  mpi_session(int* argc, char*** argv);
  ~mpi_session();
  mpi_session(const mpi_session&) = delete;
  mpi_session& operator=(const mpi_session&) = delete;
  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  // The exit code MPI_Abort gives mpirun if an exception leaves the scope: the one the error would give one
  // process (2 for a config error; a bad key under mpirun exited 1 where one process exits 2, an outside check).
  void set_abort_code(int code) noexcept { abort_code_ = code; }

 private:
  int rank_ = 0, size_ = 1;
  int abort_code_ = 1;
};

class mpi_exchange final : public engine::process_exchange {
 public:
  // Buffers for the worst case (all n_neurons cells spike in one step), allocated here, never while stepping.
  explicit mpi_exchange(std::uint32_t n_neurons);
  ~mpi_exchange() override;
  mpi_exchange(const mpi_exchange&) = delete;
  mpi_exchange& operator=(const mpi_exchange&) = delete;

  unsigned rank() const noexcept override { return static_cast<unsigned>(rank_); }
  unsigned n_ranks() const noexcept override { return static_cast<unsigned>(size_); }
  // MPI_Allgather of the counts, then MPI_Allgatherv of the ids into rank-order slots.
  std::span<const std::uint32_t> all_spikes(std::span<const std::uint32_t> local) noexcept override;
  void reserve(std::size_t values) override;
  // This process's share (MPI_COMM_TYPE_SHARED, MPI_Allgather of the CPU masks): collective, every rank calls it.
  node_share share_of_node() const;
  // Whether `mine` is true on any rank (MPI_Allreduce, MPI_LOR): collective.
  bool any_rank(bool mine) const;
  void all_gather(std::span<const double> local, std::span<double> all) noexcept override;
  void set_gatherv_counts(std::span<const std::size_t> values_per_rank) override;
  // MPI_Gatherv to rank 0 with the counts and rank-order displacements of set_gatherv_counts.
  void gatherv_to_root(std::span<const double> local, std::span<double> all) noexcept override;

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;  // a duplicate of MPI_COMM_WORLD: the engine's messages never meet others'
  int rank_ = 0, size_ = 1;
  std::vector<int> counts_, displacements_;
  std::vector<int> gatherv_counts_, gatherv_displacements_;  // gatherv_to_root's, fixed by set_gatherv_counts
  std::vector<std::uint32_t> received_;
};

}  // namespace cortexloop::io
