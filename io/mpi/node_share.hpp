#pragma once
// How a process shares its CPUs with the other ranks on its machine: the ranks whose affinity mask is the same as its
// own (mpirun --bind-to none gives every rank all the machine's CPUs; --bind-to socket the socket's to each rank on
// it; --bind-to core one CPU of its own), and its place among them. Without MPI, so that it can be tested on masks
// this machine's binding cannot produce (mpi_exchange::share_of_node gathers the real ones).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace cortexloop::io {

struct node_share {
  int same_set_ranks = 1;  // ranks on this machine allowed exactly this process's CPUs, itself included
  int same_set_index = 0;  // this process's place among them, in MPI_COMM_WORLD's order
};

// masks: each node rank's CPU mask, `words` 64-bit words each, in the node's rank order; node_rank: this process's.
inline node_share share_among(std::span<const std::uint64_t> masks, std::size_t words, int node_rank) {
  const std::size_t ranks = words == 0 ? 0 : masks.size() / words;
  const auto mask_of = [&](std::size_t r) { return masks.subspan(r * words, words); };
  const auto mine = mask_of(static_cast<std::size_t>(node_rank));
  node_share share{0, 0};
  for (std::size_t r = 0; r < ranks; ++r)
    if (std::ranges::equal(mine, mask_of(r))) {
      if (static_cast<int>(r) < node_rank) ++share.same_set_index;
      ++share.same_set_ranks;
    }
  return share;
}

}  // namespace cortexloop::io
