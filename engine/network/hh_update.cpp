#include "engine/network/hh_update.hpp"

#include <algorithm>

#include "engine/cpu/lanes16.hpp"
#include "engine/random/philox.hpp"

#pragma GCC diagnostic ignored "-Wpsabi"

namespace cortexloop::engine {

namespace {
// One field of 16 cells from i (count of them valid; spare lanes hold `spare`).
template <class V, class T>
V load_block(const T* p, std::uint32_t count, T spare) noexcept {
  return count == lanes::kLanes ? lanes::load<V>(p) : lanes::load_part<V>(p, count, spare);
}
template <class V, class T>
void store_block(T* p, std::uint32_t count, const V& v) noexcept {
  if (count == lanes::kLanes)
    lanes::store(p, v);
  else
    lanes::store_part(p, count, v);
}
}  // namespace

std::uint64_t hh_update_cells(const hh_model& m, const synapse_derived& syn, std::uint32_t n_exc, const poisson_drive& drive,
                              float i_stim_exc_pA, float i_stim_inh_pA, std::int64_t step, std::uint32_t begin,
                              std::uint32_t end, const hh_cells& cells, std::uint16_t* draws, update_out& out) noexcept {
  using lanes::vf;
  using lanes::vi;
  const hh_lane_consts exc = hh_lane_consts::broadcast(m.exc), inh = hh_lane_consts::broadcast(m.inh);
  const synapse_lane_consts syn_lanes = synapse_lane_consts::broadcast(syn);
  std::uint64_t events = 0;
  for (std::uint32_t chunk = begin; chunk < end; chunk += kHhChunk) {
    const std::uint32_t chunk_end = std::min(end, chunk + kHhChunk);
    // The drive first: an event of step k acts on V in step k (Brian2's run_regularly(when='start')).
    events += drive.add_events(step, chunk, chunk_end, cells.g_exc_nS, draws);
    for (std::uint32_t i = chunk; i < chunk_end; i += lanes::kLanes) {
      const auto count = std::min<std::uint32_t>(lanes::kLanes, chunk_end - i);
      // Lanes of excitatory cells; a block straddling n_exc takes each lane's own constants and current.
      const vi first = (lanes::iota() + static_cast<std::int32_t>(i)) < static_cast<std::int32_t>(n_exc);
      const bool all_exc = i + lanes::kLanes <= n_exc, all_inh = i >= n_exc;
      const hh_lane_consts c = all_exc ? exc : all_inh ? inh : hh_lane_consts::select(first, exc, inh);
      const vf i_stim = first != 0 ? vf{} + i_stim_exc_pA : vf{} + i_stim_inh_pA;
      hh_lanes s{load_block<vf>(cells.v_mV + i, count, -65.0f),   load_block<vf>(cells.m + i, count, 0.0f),
                 load_block<vf>(cells.h + i, count, 0.0f),        load_block<vf>(cells.n + i, count, 0.0f),
                 load_block<vf>(cells.p + i, count, 0.0f),        load_block<vf>(cells.g_exc_nS + i, count, 0.0f),
                 load_block<vf>(cells.g_inh_nS + i, count, 0.0f), load_block<vi>(cells.refractory + i, count, 0)};
      const adex_lane_events e = hh_lanes_step(c, syn_lanes, i_stim, s);
      store_block(cells.v_mV + i, count, s.v_mV);
      store_block(cells.m + i, count, s.m);
      store_block(cells.h + i, count, s.h);
      store_block(cells.n + i, count, s.n);
      store_block(cells.p + i, count, s.p);
      store_block(cells.g_exc_nS + i, count, s.g_exc_nS);
      store_block(cells.g_inh_nS + i, count, s.g_inh_nS);
      store_block(cells.refractory + i, count, s.refractory);
      // The adaptation current, signed as AdEx's w (outward positive: C dV/dt = ... - w), for the readouts.
      store_block(cells.w_pA + i, count, c.g_m * s.p * (s.v_mV - c.e_k));
      const std::uint32_t valid = count == lanes::kLanes ? 0xFFFFu : (1u << count) - 1u;
      for (std::uint32_t spiked = lanes::bits(e.spiked) & valid; spiked != 0; spiked &= spiked - 1) {
        const std::uint32_t cell = i + static_cast<std::uint32_t>(__builtin_ctz(spiked));
        out.ids[out.n_spikes++] = cell;
        out.spikes_exc += cell < n_exc ? 1 : 0;
      }
      out.diverged += __builtin_popcount(lanes::bits(e.diverged) & valid);
    }
  }
  return events;
}

}  // namespace cortexloop::engine
