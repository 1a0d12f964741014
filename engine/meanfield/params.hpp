#pragma once
// Parameters of the mean-field models (Zerlaut et al. 2018; di Volo et al. 2019), in the internal units of
// engine/units.hpp. Cell and synapse parameters are NOT repeated here: the mean field reads them from the
// network's parameters (network_params: exc, inh, q_exc_nS, tau_exc_ms, p_connect, drive, ...), so the two
// models of one config always describe the same cells. Filled and validated by io/config/config_meanfield.cpp.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cortexloop::engine::meanfield {

// How sigma_V and tau_V are computed from the inputs (see transfer_function.hpp).
enum class moments_formula {
  zerlaut2018,  // the 2018 code: inhibitory terms use (Q_i U_i)^2 (SI units) where theory has (tau_i U_i)^2
  corrected,    // the shot-noise theory (di Volo 2019, TVB): (tau_i U_i)^2
};

// Which terms the effective-threshold polynomial has (see transfer_function.hpp).
enum class polynomial_form {
  zerlaut2018,  // 11 terms: 1, V, S, T, ln(mu_G/g_L), V^2, S^2, T^2, VS, VT, ST
  divolo2019,   // 10 terms: 1, V, S, T, V^2, S^2, T^2, VS, VT, ST
};

inline constexpr std::size_t kMaxThresholdTerms = 11;
inline constexpr std::size_t n_terms(polynomial_form f) { return f == polynomial_form::zerlaut2018 ? 11 : 10; }

// The upper edge of a fit's domain by default: mu_V = -33 mV, just above fit-tf's grid (transfer_function.hpp,
// where the choice is argued).
inline constexpr double kDefaultFitMaxMuV_mV = -33.0;

// Coefficients P of one cell type's effective threshold, in volts as published; only the first
// n_terms(form) are used. A set is valid only with the moments formula it was fitted with.
struct threshold_params {
  polynomial_form form = polynomial_form::zerlaut2018;
  std::array<double, kMaxThresholdTerms> p_V{};
  // Above this mu_V the rate is read at it (transfer_function.hpp); +inf: never (a published function reproduced as
  // its authors evaluate it everywhere, configs/carlu2020/meanfield.toml).
  double max_mu_v_mV = kDefaultFitMaxMuV_mV;
  // The network's cell keys that differ from the cell P was fitted for ([meanfield.exc.fitted_cell], which fit-tf
  // writes), each as "network.exc.delta_t_mV = 0.5 (fitted for 2)": P encodes that cell's spike mechanism, so a
  // change there does not reach the transfer function. Empty when they agree or the config does not say.
  std::string fitted_cell_differs;
  // A P set fitted for another cell model than [network]'s AdEx ([meanfield.exc] fitted_for, e.g. Carlu 2020's
  // Hodgkin-Huxley cells): nothing to compare, and the AdEx v_t says nothing of where the fit holds. Empty: the
  // network's cell (or not said).
  std::string fitted_for;
};

// The local (one-column) mean field: the master equation of Zerlaut 2018 / El Boustani & Destexhe 2009 with
// di Volo's adaptation.
struct meanfield_params {
  int order = 2;                         // 1: T dnu/dt = F - nu; 2: with the covariances
  double t_ms = 5.0;                     // time scale T of the master equation
  moments_formula moments = moments_formula::corrected;
  bool adaptation = true;                // W enters mu_V as -W (di Volo 2019); off reproduces Zerlaut 2018
  threshold_params exc, inh;             // P for the RS and the FS cell
};

// Afferent (sensory-like) input onto the ring's excitatory units, as a rate added to their excitatory input
// (through the K_e recurrent synapses, as the 2018 code adds it to nu_e):
// amplitude * exp(-d^2 / 2 width^2) * (t < peak ? exp(-(t-peak)^2 / 2 rise^2) : exp(-(t-peak)^2 / 2 decay^2)).
struct afferent_stimulus {
  double amplitude_Hz = 15.0;
  double position_mm = 18.0;
  double width_mm = 1.5;
  double peak_ms = 200.0;
  double rise_ms = 50.0;
  double decay_ms = 150.0;
};

enum class current_target { exc, inh, both };

// Electrical stimulation: a current step injected at a position, falling off as a Gaussian of the distance
// (spread_mm its standard deviation), between start_ms and stop_ms.
struct current_stimulus {
  double amplitude_pA = 0.0;
  double position_mm = 18.0;
  double spread_mm = 0.5;
  double start_ms = 0.0;
  double stop_ms = 0.0;
  current_target target = current_target::both;
};

// The local model of the ring's units: Zerlaut's first-order mean field ([meanfield]) or the ALN node ([aln]).
enum class ring_model : std::uint8_t { zerlaut = 0, aln = 1 };

// The longest ring a config may give (ring.length_mm), so also the bound of a ring site's position and width that a
// client can check before it knows the server's ring (`stim --ring-position`, `--width`).
inline constexpr double kMaxRingLength_mm = 1e5;

// The ring of mean-field units (Zerlaut 2018, VSDi model), of Zerlaut units (meanfield/ring.hpp) or ALN units
// (aln/aln_ring.hpp): the geometry, coupling and currents below are the same for both.
struct ring_params {
  ring_model model = ring_model::zerlaut;
  std::int64_t n_units = 100;
  double length_mm = 36.0;              // periodic
  double l_exc_mm = 5.0;                // standard deviations of the Gaussian lateral kernels
  double l_inh_mm = 1.0;
  double kernel_extent_sd = 3.0;        // kernels cut at this many standard deviations (2018 code: 3)
  double velocity_mm_per_s = 300.0;     // axonal conduction velocity
  double dt_ms = 0.5;                   // Euler step of the ring (2018 code: 0.5 ms); divides tick_ms
  bool with_network = true;             // false: the engine runs the ring alone (no spiking network)
  std::vector<afferent_stimulus> afferent;  // Zerlaut units only (a rate onto their excitatory synapses)
  std::vector<current_stimulus> currents;
};

}  // namespace cortexloop::engine::meanfield
