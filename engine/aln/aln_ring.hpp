#pragma once
// A ring of ALN units ([ring] model = "aln"): the ring of Zerlaut et al. 2018 (periodic, Gaussian lateral kernels,
// conduction delays: meanfield::ring_coupling, the same code as the ring of Zerlaut units) with the ALN mean field of
// Cakan & Obermayer 2020 (aln_model.hpp, the [aln] parameters) as the local model. What a unit's synapses see from
// population b is the lateral rate in place of its own:
//   z1_ab(x) = c_ab K_b r_b^lat(x, t - d_b),   r_b^lat(x, t) = sum_y k_b(x - y) r_b(y, t - |x - y| / v)
// with k_E of sd l_exc_mm and k_I of sd l_inh_mm, each normalised to sum 1; adaptation stays local. So a unit whose
// kernel is a delta (l much below the spacing) is the ALN node, and a uniform ring without distance delays is the
// node too (sum_y k = 1): docs/aln.md, "A ring of ALN units". Inputs: per-unit currents (pA, mu += I / C), from the
// commanded stimulator and [[ring.current]]. Readouts as the Zerlaut ring's: per-unit rates (the table's) and a
// VSDi from the populations' mean membrane potentials of the table (ring_inputs.hpp's formula), rest = the initial
// state.
//
// All units start from one state: the node stepped alone from quiet_initial for settle_ms (its rates then fill the
// delay lines). Steps at ring.dt_ms (the [aln] delays must be whole steps of it). Construction allocates
// everything; step() is noexcept and allocation-free.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/aln/aln_model.hpp"
#include "engine/meanfield/params.hpp"
#include "engine/meanfield/ring_coupling.hpp"
#include "engine/meanfield/ring_inputs.hpp"

namespace cortexloop::engine::aln {

// The node alone from quiet_initial(p) for settle_ms (at least one step): its state and last rates as an initial
// condition.
aln_initial settled_initial(const aln_params& p, const cascade_table& table, double dt_ms, double settle_ms);
// 10 tau_A: adaptation, the slowest variable, has settled.
inline double default_settle_ms(const aln_params& p) { return 10.0 * p.tau_a_ms; }

class aln_ring {
 public:
  // The table must outlive the ring. Throws std::invalid_argument (from aln_model) when the delays are not whole
  // ring steps or the parameters are invalid.
  aln_ring(const meanfield::ring_params& rp, const aln_params& p, const cascade_table& table);

  // Advances one ring step starting at t_ms; external_*_pA: per-unit currents (empty: none).
  void step(double t_ms, std::span<const float> external_exc_pA = {},
            std::span<const float> external_inh_pA = {}) noexcept;

  // Averages over the steps since the last call (for a tick readout).
  void finish_average() noexcept;
  std::span<const float> average_rates_exc_Hz() const noexcept { return average_.rates_exc_Hz(); }
  std::span<const float> average_rates_inh_Hz() const noexcept { return average_.rates_inh_Hz(); }
  std::span<const float> average_vsdi_percent() const noexcept { return average_.vsdi_percent(); }

  // The state after the last step.
  std::span<const float> rates_exc_Hz() const noexcept { return r_e_f_; }
  std::span<const float> rates_inh_Hz() const noexcept { return r_i_f_; }
  std::span<const float> v_mean_exc_mV() const noexcept { return v_e_; }
  std::span<const float> vsdi_percent() const noexcept { return vsdi_; }
  const aln_model& unit(std::size_t i) const noexcept { return units_[i]; }

  std::size_t n_units() const noexcept { return n_; }
  double dt_ms() const noexcept { return dt_ms_; }
  double unit_spacing_mm() const noexcept { return dx_mm_; }
  const aln_initial& initial() const noexcept { return init_; }
  double rest_v_exc_mV() const noexcept { return rest_v_e_; }
  double rest_v_inh_mV() const noexcept { return rest_v_i_; }
  std::int64_t diverged() const noexcept;      // unit steps whose state became non-finite (reset and counted)
  std::int64_t out_of_table() const noexcept;  // unit steps that read outside the cascade table's grid
  const meanfield::ring_coupling<double>& coupling_exc() const noexcept { return coupling_exc_; }
  const meanfield::ring_coupling<double>& coupling_inh() const noexcept { return coupling_inh_; }

 private:
  std::size_t n_;
  double dt_ms_, dx_mm_;
  aln_initial init_;
  float rest_v_e_ = 0, rest_v_i_ = 0;
  std::vector<aln_model> units_;
  // double: a unit without neighbours reads exactly the rates the node's own delay lines hold
  meanfield::ring_coupling<double> coupling_exc_, coupling_inh_;
  meanfield::ring_current_schedule currents_;
  std::int64_t back_e_ = 1, back_i_ = 1;  // the units' synaptic delays + 1, in steps (aln_model: d/dt + 1 steps ago)
  std::vector<double> lat_e_, lat_i_, r_e_, r_i_;
  std::vector<float> i_e_, i_i_, r_e_f_, r_i_f_, v_e_, v_i_, vsdi_;
  meanfield::ring_readout_average average_;
};

}  // namespace cortexloop::engine::aln
