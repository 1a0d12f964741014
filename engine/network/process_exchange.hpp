#pragma once
// What a network needs from the other processes of a run that splits it over several processes (MPI ranks).
// The engine knows only this interface; io/mpi/ implements it with Open MPI (io/mpi/mpi_exchange.hpp), so engine/
// stays free of communication libraries and a build without MPI has nothing to stub. One process: no exchange.
//
// Process r owns the cells [bounds[r], bounds[r+1]) of rank_bounds(n, n_ranks) (engine/network/network.hpp): ascending
// in rank, so the concatenation of every process's ascending spike list, in rank order, is ascending too, and every
// target receives a step's spikes in the order one process would add them.
#include <cstddef>
#include <cstdint>
#include <span>

namespace cortexloop::engine {

class process_exchange {
 public:
  virtual ~process_exchange() = default;
  virtual unsigned rank() const noexcept = 0;
  virtual unsigned n_ranks() const noexcept = 0;
  // Every process calls it once per step (from worker 0, after the step's update and before the phase that delivers
  // it, the next step's: engine/network/network.hpp) with its own spikes of the step, ascending; returns the step's
  // spikes of all processes concatenated in rank order. The result stays valid until the next call. Blocks until every
  // process has called it.
  virtual std::span<const std::uint32_t> all_spikes(std::span<const std::uint32_t> local) noexcept = 0;
  // Makes room for all_spikes to return up to `values` values (summed over the processes). At start-up only: it may
  // allocate. The implementation starts with room for every cell spiking once (one step).
  virtual void reserve(std::size_t values) = 0;
  // Every process calls it with a `local` of the same size; `all` (n_ranks() * local.size() values) receives
  // every process's values in rank order, on every process. Values are copied, never combined, so a caller that
  // adds them in a fixed order gets the same floating-point result on any number of processes.
  virtual void all_gather(std::span<const double> local, std::span<double> all) noexcept = 0;
  // Fixes how many values each process gives gatherv_to_root: values_per_rank[r] for process r, n_ranks() of them,
  // the same list on every process (each computes it from what all know: no message). At start-up only: it may
  // allocate.
  virtual void set_gatherv_counts(std::span<const std::size_t> values_per_rank) = 0;
  // Process r gives values_per_rank[r] values (`local`, that many): on process 0 alone, `all` (their sum) receives
  // every process's values concatenated in rank order, copied, never combined; the others' `all` is left as it is.
  // So a process sends only what it owns, and only the process that writes the readouts receives them.
  virtual void gatherv_to_root(std::span<const double> local, std::span<double> all) noexcept = 0;
};

}  // namespace cortexloop::engine
