#include "io/mpi/mpi_exchange.hpp"

#include <sched.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>

#include "engine/network/workers.hpp"

namespace cortexloop::io {

mpi_session::mpi_session(int* argc, char*** argv) {
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    throw std::runtime_error("MPI_Init_thread failed");
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw std::runtime_error("this MPI library does not support MPI_THREAD_FUNNELED (a rank has worker threads)");
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

mpi_session::~mpi_session() {
  if (std::uncaught_exceptions() > 0)
    MPI_Abort(MPI_COMM_WORLD, abort_code_);
  else
    MPI_Finalize();
}

mpi_exchange::mpi_exchange(std::uint32_t n_neurons) {
  MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  counts_.assign(static_cast<std::size_t>(size_), 0);
  displacements_.assign(static_cast<std::size_t>(size_), 0);
  received_.assign(n_neurons, 0);
}

mpi_exchange::~mpi_exchange() {
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

std::span<const std::uint32_t> mpi_exchange::all_spikes(std::span<const std::uint32_t> local) noexcept {
  // Counts first (one int per rank), so that each rank's ids land in its slot, rank after rank: the result is
  // ascending because rank r owns lower cells than rank r + 1. Errors abort (MPI_ERRORS_ARE_FATAL).
  const int n = static_cast<int>(local.size());
  MPI_Allgather(&n, 1, MPI_INT, counts_.data(), 1, MPI_INT, comm_);
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    displacements_[static_cast<std::size_t>(r)] = total;
    total += counts_[static_cast<std::size_t>(r)];
  }
  MPI_Allgatherv(local.data(), n, MPI_UINT32_T, received_.data(), counts_.data(), displacements_.data(),
                 MPI_UINT32_T, comm_);
  return {received_.data(), static_cast<std::size_t>(total)};
}

node_share mpi_exchange::share_of_node() const {
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
  int node_ranks = 1, node_rank = 0;
  MPI_Comm_size(node, &node_ranks);
  MPI_Comm_rank(node, &node_rank);
  // A bit per CPU, as cpu_set_t holds them (CPU_SETSIZE), each rank's mask gathered in the node's rank order.
  constexpr std::size_t words = CPU_SETSIZE / 64;
  std::vector<std::uint64_t> masks(words * static_cast<std::size_t>(node_ranks), 0), mine(words, 0);
  for (const int cpu : engine::process_cpus())
    if (cpu >= 0 && static_cast<std::size_t>(cpu) < CPU_SETSIZE)
      mine[static_cast<std::size_t>(cpu) / 64] |= std::uint64_t{1} << (cpu % 64);
  MPI_Allgather(mine.data(), static_cast<int>(words), MPI_UINT64_T, masks.data(), static_cast<int>(words),
                MPI_UINT64_T, node);
  MPI_Comm_free(&node);
  return share_among(masks, words, node_rank);
}

bool mpi_exchange::any_rank(bool mine) const {
  int in = mine ? 1 : 0, out = 0;
  MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, comm_);
  return out != 0;
}

void mpi_exchange::reserve(std::size_t values) {
  if (values > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::invalid_argument("mpi_exchange: " + std::to_string(values) +
                                " values in one exchange exceed MPI's int counts");
  if (received_.size() < values) received_.assign(values, 0);
}

void mpi_exchange::all_gather(std::span<const double> local, std::span<double> all) noexcept {
  MPI_Allgather(local.data(), static_cast<int>(local.size()), MPI_DOUBLE, all.data(), static_cast<int>(local.size()),
                MPI_DOUBLE, comm_);
}

void mpi_exchange::set_gatherv_counts(std::span<const std::size_t> values_per_rank) {
  if (values_per_rank.size() != static_cast<std::size_t>(size_))
    throw std::invalid_argument("mpi_exchange::set_gatherv_counts: " + std::to_string(values_per_rank.size()) +
                                " counts for " + std::to_string(size_) + " ranks");
  gatherv_counts_.assign(values_per_rank.size(), 0);
  gatherv_displacements_.assign(values_per_rank.size(), 0);
  std::size_t total = 0;
  for (std::size_t r = 0; r < values_per_rank.size(); ++r) {
    gatherv_displacements_[r] = static_cast<int>(total);
    total += values_per_rank[r];
    if (total > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      throw std::invalid_argument("mpi_exchange: " + std::to_string(total) +
                                  " values in one gather exceed MPI's int counts");
    gatherv_counts_[r] = static_cast<int>(values_per_rank[r]);
  }
}

void mpi_exchange::gatherv_to_root(std::span<const double> local, std::span<double> all) noexcept {
  MPI_Gatherv(local.data(), static_cast<int>(local.size()), MPI_DOUBLE, all.data(), gatherv_counts_.data(),
              gatherv_displacements_.data(), MPI_DOUBLE, 0, comm_);
}

}  // namespace cortexloop::io
