#pragma once
// The update phase of a conductance network of Hodgkin-Huxley cells (network.cell_model = "hh"; Carlu et al. 2020,
// engine/cells/hh.hpp) for one partition: per chunk of cells, the drive's Bernoulli events land on G_e (the same
// counter-based draws as the AdEx network's, engine/inputs/drive.hpp), then every 16-cell block is stepped and its
// spikes appended, ascending. Synapses, delays and the spike exchange are the conductance network's, unchanged.
#include <cstdint>

#include "engine/cells/adex.hpp"
#include "engine/cells/hh.hpp"
#include "engine/inputs/drive.hpp"
#include "engine/network/update_out.hpp"

namespace cortexloop::engine {

// The two cell types' constants; [0, n_exc) are excitatory.
struct hh_model {
  hh_derived exc, inh;
};

// The state arrays, indexed by absolute cell.
struct hh_cells {
  float* v_mV;
  float* w_pA;  // written, not read: the M current g_M p (V - E_K), the adaptation current readouts report as w
  float* m;
  float* h;
  float* n;
  float* p;
  float* g_exc_nS;
  float* g_inh_nS;
  std::int32_t* refractory;
};

// Steps cells [begin, end) (begin a multiple of kPhiloxGroup) at step `step`. draws: room for kHhChunk draws.
// Returns the drive events added. No allocation, no lock.
inline constexpr std::uint32_t kHhChunk = 1024;
std::uint64_t hh_update_cells(const hh_model& m, const synapse_derived& syn, std::uint32_t n_exc, const poisson_drive& drive,
                              float i_stim_exc_pA, float i_stim_inh_pA, std::int64_t step, std::uint32_t begin,
                              std::uint32_t end, const hh_cells& cells, std::uint16_t* draws, update_out& out) noexcept;

}  // namespace cortexloop::engine
