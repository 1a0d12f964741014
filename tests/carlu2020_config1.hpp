#pragma once
// Carlu et al. 2020's CONFIG1 (ModelDB 263259, synapses_and_connectivity/syn_and_connec_library.py) and the passive
// properties shared by their HH_RS and HH_FS cells (single_cell_models/cell_library.py), checked on a config's
// [network]: the HH network's (configs/carlu2020/network.toml) and its mean field's (configs/carlu2020/meanfield.toml,
// whose [network] is the Zerlaut AdEx base with the same values).
#include <catch2/catch.hpp>

#include "engine/params.hpp"

namespace cortexloop::testing {

// c_pF, g_l_nS, e_l_mV of each cell type, from whichever cell struct the config uses.
template <class Cell>
void check_carlu_config1(const engine::network_params& n, const Cell& exc, const Cell& inh) {
  for (const Cell* cell : {&exc, &inh}) {
    CHECK(cell->c_pF == 200.0);
    CHECK(cell->g_l_nS == 10.0);
    CHECK(cell->e_l_mV == -65.0);
  }
  CHECK(n.q_exc_nS == 1.0);
  CHECK(n.q_inh_nS == 5.0);
  CHECK(n.tau_exc_ms == 5.0);
  CHECK(n.tau_inh_ms == 5.0);
  CHECK(n.e_exc_mV == 0.0);
  CHECK(n.e_inh_mV == -80.0);
  CHECK(n.n_exc() == 8000);
  CHECK(n.n_inh() == 2000);
  CHECK(n.p_connect == 0.05);
  CHECK(n.drive.rate_Hz == 4.0);
  CHECK(n.drive.k_exc == 400.0);  // ext_drive through (1 - gei) p Ntot synapses, as the mean field's Fe
}

}  // namespace cortexloop::testing
