#pragma once
// What every ring model (engine/meanfield/ring.hpp, engine/aln/aln_ring.hpp) does alike with its units' inputs and
// readouts: the config's electrical currents ([[ring.current]]: a Gaussian profile over the ring, on between
// start_ms and stop_ms) added to the commanded stimulator's per-unit currents, and the VSDi-like signal from the
// populations' mean membrane potentials. Construction allocates; the rest is noexcept and allocation-free.
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "engine/meanfield/params.hpp"
#include "engine/meanfield/ring_geometry.hpp"

namespace cortexloop::engine::meanfield {

class ring_current_schedule {
 public:
  ring_current_schedule(const std::vector<current_stimulus>& currents, std::size_t n_units, double length_mm)
      : currents_(currents), n_(n_units), profiles_(currents.size() * n_units, 0.0f) {
    for (std::size_t s = 0; s < currents.size(); ++s)
      ring_gaussian_profile({profiles_.data() + s * n_, n_}, length_mm, currents[s].position_mm,
                            currents[s].spread_mm, currents[s].amplitude_pA);
  }

  // i_e[x] = external_e[x] (0 when the span is not n_units long) + the config's currents onto E in force at t_ms;
  // i_i likewise.
  void currents_pA(double t_ms, std::span<const float> external_e, std::span<const float> external_i,
                   std::span<float> i_e, std::span<float> i_i) const noexcept {
    const bool ext_e = external_e.size() == n_, ext_i = external_i.size() == n_;
    for (std::size_t i = 0; i < n_; ++i) {
      i_e[i] = ext_e ? external_e[i] : 0.0f;
      i_i[i] = ext_i ? external_i[i] : 0.0f;
    }
    for (std::size_t s = 0; s < currents_.size(); ++s) {
      const current_stimulus& c = currents_[s];
      if (t_ms < c.start_ms || t_ms >= c.stop_ms) continue;
      const float* prof = profiles_.data() + s * n_;
      const bool to_e = c.target != current_target::inh, to_i = c.target != current_target::exc;
      for (std::size_t i = 0; i < n_; ++i) {
        i_e[i] += to_e ? prof[i] : 0.0f;
        i_i[i] += to_i ? prof[i] : 0.0f;
      }
    }
  }

 private:
  std::vector<current_stimulus> currents_;
  std::size_t n_;
  std::vector<float> profiles_;  // [currents.size()][n_units]
};

// VSDi (percent): relative depolarisation from rest, 0.8 from the excitatory and 0.2 from the inhibitory
// population (Zerlaut et al. 2018, Sec. 2.6: the dye's share of each cell type),
//   out[x] = 100 [0.8 (mu_e(x) - rest_e) / |rest_e| + 0.2 (mu_i(x) - rest_i) / |rest_i|].
inline void vsdi_from_mu_v(const float* __restrict mu_e_mV, const float* __restrict mu_i_mV, float rest_e_mV,
                         float rest_i_mV, float* __restrict out, std::size_t n) noexcept {
  const float ce = 80.0f / std::fabs(rest_e_mV), ci = 20.0f / std::fabs(rest_i_mV);
  for (std::size_t i = 0; i < n; ++i) out[i] = ce * (mu_e_mV[i] - rest_e_mV) + ci * (mu_i_mV[i] - rest_i_mV);
}

}  // namespace cortexloop::engine::meanfield
