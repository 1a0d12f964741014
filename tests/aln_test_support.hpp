#pragma once
// Shared by the ALN model tests: the default cascade table (from the disk cache of io/aln_cache, generated once,
// about a minute, on a machine that has none) and the paper's points of interest as parameters.
#include <vector>

#include "engine/aln/aln_model.hpp"
#include "engine/aln/aln_states.hpp"
#include "io/aln_cache/cascade_cache.hpp"

namespace cortexloop::testing {

inline const engine::aln::cascade_table& default_aln_table() {
  static const engine::aln::cascade_table table =
      io::load_or_generate_cascade_table(io::default_aln_cache_dir(), engine::aln::eif_neuron_params{},
                                         engine::aln::fp_numerics{}, engine::aln::cascade_grid{}, 2)
          .table;
  return table;
}

// The mean-field points of interest of Cakan & Obermayer 2020 (fitparams.loadpoint; other_seeds_facts.md C.4),
// (mu_ext,E, mu_ext,I) in mV/ms; B points with a = 15 nS, b = 40 pA.
inline engine::aln::aln_params aln_point(double mu_e, double mu_i, bool adaptation = false) {
  engine::aln::aln_params p;
  p.mu_ext_e_mV_per_ms = mu_e;
  p.mu_ext_i_mV_per_ms = mu_i;
  if (adaptation) {
    p.a_nS = 15.0;
    p.b_pA = 40.0;
  }
  return p;
}

// E rate per 1 ms bin over duration_ms at dt = 0.1 ms, with stim_e_pA(t_ms) onto E.
template <class Stim>
std::vector<float> run_aln(const engine::aln::aln_params& p, double duration_ms, Stim&& stim_e_pA) {
  engine::aln::aln_model m(p, default_aln_table(), 0.1);
  std::vector<float> rate;
  const int bins = static_cast<int>(duration_ms);
  rate.reserve(bins);
  for (int k = 0, step = 0; k < bins; ++k) {
    double sum = 0;
    for (int s = 0; s < 10; ++s, ++step) {
      m.step(stim_e_pA(0.1 * step));
      sum += m.rate_e_Hz();
    }
    rate.push_back(static_cast<float>(sum / 10));
  }
  return rate;
}

}  // namespace cortexloop::testing
