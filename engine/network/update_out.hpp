#pragma once
// What a partition's cell update lists (engine/network/fraction_update.hpp, engine/network/hh_update.hpp): the
// spiking cells, ascending, from ids[0]; how many of them are excitatory; diverged cells.
#include <cstddef>
#include <cstdint>

namespace cortexloop::engine {

struct update_out {
  std::uint32_t* ids;
  std::size_t n_spikes = 0;
  std::int64_t spikes_exc = 0, diverged = 0;
};

}  // namespace cortexloop::engine
