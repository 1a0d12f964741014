#pragma once
// The update phase of the fraction network (engine/network/fraction_network.hpp) for one partition, in one pass over
// its cells: per 64 cells, their normal draws (engine/random/philox_normal.hpp, philox_normals64) stay in registers,
// each 16-cell block takes its arrivals, is stepped (engine/cells/adex_heun_lanes.hpp) and appends its spikes,
// ascending, from the lanes' spike mask. Why one pass: the draws were written to a buffer and read back, and a byte per
// cell written and scanned again for the spike list; and the Philox integer work can now overlap the kernel's float
// chains. The arithmetic is that of philox_fill_normals + adex_heun_step, lane for lane, so the results are the same
// bit for bit (tests/test_fraction_network.cpp compares them).
#include <cstddef>
#include <cstdint>

#include "engine/network/fraction_network.hpp"
#include "engine/network/update_out.hpp"

namespace cortexloop::engine {

// The state arrays of the network, indexed by absolute cell; count_exc / count_inh: the arrivals counted for this
// update (from E, from I), cleared here.
struct fraction_cells {
  float* v_mV;
  float* w_pA;
  float* s_exc;
  float* s_inh;
  std::int32_t* ref_left;
  std::uint16_t* count_exc;
  std::uint16_t* count_inh;
};

// Steps cells [begin, end) (begin a multiple of 64: whole blocks of normal draws) at step `step`; n_exc is the first
// inhibitory cell. w_pA must be 0 in a population without adaptation (a = b = 0), as the network keeps it (it starts
// at 0 and nothing moves it): those cells skip w's arithmetic and memory (heun_lanes::step16<..., kAdapt = false>),
// ~6 % of the A1 network's loop. No allocation, no lock.
void fraction_update_cells(const fraction_model& m, std::uint32_t n_exc, float i_stim_exc_pA, float i_stim_inh_pA,
                           std::int64_t step, std::uint32_t begin, std::uint32_t end, const fraction_cells& cells,
                           update_out& out) noexcept;

}  // namespace cortexloop::engine
