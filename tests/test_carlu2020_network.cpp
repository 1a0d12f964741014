// The network of Hodgkin-Huxley cells of Carlu et al. 2020 (configs/carlu2020/network.toml, engine/cells/hh.hpp).
// References: an analytic resting potential (the currents' zero with every gate at its steady state, solved here in
// double, independently of the engine's code), Brian2 2.5 on single cells under DC (spike trains; the authors' own
// equations and method, tests/reference/brian2_carlu_hh_cell.py) and Brian2 on the whole network (steady-state
// rates, tests/reference/brian2_network.py --config configs/carlu2020/network.toml). Tolerances are in each case.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "brian2_rates.hpp"
#include "carlu2020_config1.hpp"
#include "engine/network/steps_network.hpp"
#include "test_support.hpp"

using namespace cortexloop;

namespace {
// The single-cell set-up of tests/reference/brian2_carlu_hh_cell.py: one RS and one FS cell, uncoupled, undriven,
// V(0) = e_l_mV.
const std::vector<std::string> kSingleCells = {"network.n_neurons=2", "network.exc_fraction=0.5",
                                               "network.p_connect=0", "network.drive.rate_Hz=0",
                                               "network.v_init_mode=\"rest\""};

// Spike times (ms) of cells 0 (RS) and 1 (FS) over duration_ms with a DC of amplitude_pA onto both from t = 0.
std::pair<std::vector<double>, std::vector<double>> single_cell_spikes(double amplitude_pA, double duration_ms) {
  auto p = testing::load_params("configs/carlu2020/network.toml", kSingleCells);
  for (const auto target : {engine::population::exc, engine::population::inh})
    p.stimuli.push_back({engine::stimulus_kind::dc, target, amplitude_pA, 0.0, duration_ms + 1.0, 0.0});
  engine::engine eng(p);
  eng.set_record_spikes(true);
  std::pair<std::vector<double>, std::vector<double>> out;
  engine::tick_readout r;
  const double dt_ms = p.simulation.dt_ms;
  while (true) {
    eng.tick(r);
    for (std::size_t i = 0; i < r.spike_steps.size(); ++i)
      (r.spike_neurons[i] == 0 ? out.first : out.second).push_back(static_cast<double>(r.spike_steps[i]) * dt_ms);
    if (r.t_ms >= duration_ms - 1e-9) break;
  }
  return out;
}

// Carlu's rate functions in double (mV, ms), written from their cell_construct.py.
double x_over_expm1(double x, double s) { return std::fabs(x) < 1e-9 ? s : x / std::expm1(x / s); }
struct gates { double m, h, n, p; };
gates steady_gates(double v, double v_t) {
  const double u = v_t - v;
  const double a_m = 0.32 * x_over_expm1(13 + u, 4), b_m = 0.28 * x_over_expm1(-u - 40, 5);
  const double a_n = 0.032 * x_over_expm1(15 + u, 5), b_n = 0.5 * std::exp((10 + u) / 40);
  const double a_h = 0.128 * std::exp((17 + u) / 18), b_h = 4 / (1 + std::exp((40 + u) / 5));
  return {a_m / (a_m + b_m), a_h / (a_h + b_h), a_n / (a_n + b_n), 1 / (1 + std::exp(-(v + 35) / 10))};
}
double membrane_current_pA(double v, const engine::hh_params& c) {
  const gates g = steady_gates(v, c.v_t_mV);
  return c.g_l_nS * (c.e_l_mV - v) + c.g_na_nS * g.m * g.m * g.m * g.h * (c.e_na_mV - v) +
         (c.g_k_nS * std::pow(g.n, 4) + c.g_m_nS * g.p) * (c.e_k_mV - v);
}
// The resting potential: the zero of the steady-state current between E_K and -50 mV (it is positive below the
// rest and negative above it there), by bisection.
double resting_mV(const engine::hh_params& c) {
  double lo = c.e_k_mV, hi = -50.0;
  REQUIRE(membrane_current_pA(lo, c) > 0);
  REQUIRE(membrane_current_pA(hi, c) < 0);
  for (int k = 0; k < 100; ++k) {
    const double mid = 0.5 * (lo + hi);
    (membrane_current_pA(mid, c) > 0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}
}  // namespace

// Reference: the zero of the steady-state membrane current (above). Unforced, each cell relaxes to it, to within
// float's resolution: an exponential-Euler step moves V by (V_inf - V)(1 - e^{-g dt/C}), which rounds to nothing
// once it is under half an ulp of V, so V stops within ulp(V) / 2 / (g dt/C) of its fixed point, on the side it came
// from (7.6e-6 mV / 2 / 0.005 = 7.6e-4 mV for the FS cell; the AdEx kernel's Euler steps share it). Tolerance: twice
// that band, ulp(V) / (g dt/C) (1.4e-3 mV RS, 1.5e-3 mV FS). Measured (both from ~-84 mV): RS 6.3e-4, FS 7.6e-4 mV below, after 3 s
// (the same after 10 s). Breaks tried: p_inf's sign flipped (exp(+(V + 35)/10)): RS off by 16.2 mV; the M current
// onto E_L instead of E_K: RS off by 2.5 mV. (The sodium and potassium currents are ~1e-5 nS at rest and move it
// by < 1e-3 mV: the DC spike trains below test them.)
TEST_CASE("an unforced HH cell rests where its steady-state currents cancel", "[network][hh][carlu2020]") {
  // From V(0) uniform in [-90, -60] mV (seed 1: both cells start well away from rest, so each must travel to it).
  std::vector<std::string> overrides = kSingleCells;
  overrides.emplace_back("network.v_init_mode=\"uniform\"");
  auto p = testing::load_params("configs/carlu2020/network.toml", overrides);
  engine::engine eng(p);
  engine::tick_readout r;
  for (int k = 0; k < 3000; ++k) eng.tick(r);
  const auto v = eng.net().v_mV();
  for (const auto& [cell, params] : {std::pair{0, p.network.hh_exc}, std::pair{1, p.network.hh_inh}}) {
    const double rest = resting_mV(params);
    const gates g = steady_gates(rest, params.v_t_mV);
    const double g_total_nS = params.g_l_nS + params.g_na_nS * g.m * g.m * g.m * g.h +
                              params.g_k_nS * std::pow(g.n, 4) + params.g_m_nS * g.p;
    const float vf = static_cast<float>(rest);
    const double ulp_mV = std::nextafter(std::fabs(vf), 1e9f) - std::fabs(vf);
    const double tolerance_mV = ulp_mV / (g_total_nS * p.simulation.dt_ms / params.c_pF);
    std::printf("rest of cell %d: %.6f mV, analytic %.6f mV (difference %.2e, tolerance %.2e mV)\n", cell, v[cell],
                rest, v[cell] - rest, tolerance_mV);
    CHECK(std::fabs(v[cell] - rest) <= tolerance_mV);
  }
}

// Reference: tests/reference/data/brian2_carlu_hh_cell.json (Brian2, float64, the authors' equations and method),
// one RS and one FS cell from E_L with a DC of 100, 200, 400 and 800 pA for 1 s (0 to 79 spikes; the RS cell adapts
// through its M current). The engine steps them in float. Measured: every count equal, every first spike on the same
// step; every later spike within 0.1 ms (one step) of Brian2's but the 400 pA RS train's, which fires just above its
// adapted threshold (mean ISI 73 ms) and lets rounding drift its later spikes by up to 4.2 ms (3.3 ms with the rate
// functions' earlier near-zero form, 1.7 ms from V(0) = -90 mV: the drift follows the rounding, not the model).
// Tolerance: counts equal, first spikes within 0.2 ms (two steps), every spike within a tenth of the train's mean ISI
// (7.3 ms for that train; 1.3-4.8 ms for the others).
// Breaks tried: m^2 h instead of m^3 h; n^3 instead of n^4; the M current onto E_L (each failing here, above).
TEST_CASE("single HH cells under DC spike as Brian2's", "[network][hh][carlu2020][brian2]") {
  const auto ref = testing::load_json("tests/reference/data/brian2_carlu_hh_cell.json");
  const double duration_ms = ref.at("duration_ms");
  for (const auto& run : ref.at("runs")) {
    const double amplitude = run.at("amplitude_pA");
    const auto [rs, fs] = single_cell_spikes(amplitude, duration_ms);
    for (const auto& [name, ours, theirs] :
         {std::tuple{"RS", rs, run.at("rs_spikes_ms").get<std::vector<double>>()},
          std::tuple{"FS", fs, run.at("fs_spikes_ms").get<std::vector<double>>()}}) {
      double worst_ms = 0.0;
      for (std::size_t k = 0; k < std::min(ours.size(), theirs.size()); ++k)
        worst_ms = std::max(worst_ms, std::fabs(ours[k] - theirs[k]));
      const double first_ms = ours.empty() || theirs.empty() ? 0.0 : std::fabs(ours[0] - theirs[0]);
      std::printf("%g pA %s: %zu spikes (Brian2 %zu), first spike %.2f ms off, largest difference %.2f ms\n",
                  amplitude, name, ours.size(), theirs.size(), first_ms, worst_ms);
      const double mean_isi_ms =
          theirs.size() > 1 ? (theirs.back() - theirs.front()) / static_cast<double>(theirs.size() - 1) : 0.0;
      INFO(amplitude << " pA, " << name << ": mean ISI " << mean_isi_ms << " ms");
      CHECK(ours.size() == theirs.size());
      CHECK(first_ms <= 0.2 + 1e-9);
      CHECK(worst_ms <= 0.1 * mean_isi_ms + 1e-9);
    }
  }
}

// Reference: the authors' HH_RS and HH_FS (single_cell_models/cell_library.py) and CONFIG1
// (synapses_and_connectivity/syn_and_connec_library.py), ModelDB 263259.
TEST_CASE("configs/carlu2020/network.toml holds Carlu's HH_RS, HH_FS and CONFIG1", "[config][hh][carlu2020]") {
  const auto p = testing::load_params("configs/carlu2020/network.toml");
  REQUIRE(p.network.cells == engine::cell_model::hh);
  testing::check_carlu_config1(p.network, p.network.hh_exc, p.network.hh_inh);
  for (const engine::hh_params* c : {&p.network.hh_exc, &p.network.hh_inh}) {
    CHECK(c->g_na_nS == 20000.0);
    CHECK(c->e_na_mV == 50.0);
    CHECK(c->g_k_nS == 6000.0);
    CHECK(c->e_k_mV == -90.0);
    CHECK(c->v_t_mV == -53.5);
    CHECK(c->v_spike_mV == -40.0);
  }
  CHECK(p.network.hh_exc.g_m_nS == 30.0);
  CHECK(p.network.hh_inh.g_m_nS == 0.0);
  CHECK(p.simulation.dt_ms == 0.1);  // ntwk_sim_demo.py's DT
}

TEST_CASE("an HH network's config refuses AdEx keys, white noise and a reversed V(0) range, naming them",
          "[config][hh][carlu2020]") {
  auto error_of = [](std::vector<std::string> overrides) -> std::string {
    try {
      testing::load_params("configs/carlu2020/network.toml", std::move(overrides));
    } catch (const io::config_error& e) {
      return e.what();
    }
    return "";
  };
  CHECK_THAT(error_of({"network.exc.delta_t_mV=2"}),
             Catch::Contains("network.exc.delta_t_mV") && Catch::Contains("unknown key"));
  CHECK_THAT(error_of({"network.input.sigma_exc_mV_per_sqrt_ms=1"}),
             Catch::Contains("network.cell_model") && Catch::Contains("no white-noise input"));
  CHECK_THAT(error_of({"network.inh.v_init_high_mV=-95"}),
             Catch::Contains("network.inh.v_init_high_mV") && Catch::Contains("at least v_init_low_mV"));
  CHECK_THAT(error_of({"network.cell_model=\"lif\""}), Catch::Contains("network.cell_model") && Catch::Contains("hh"));
  // A threshold V cannot cross upward, reversals in the wrong order (an outside check: v_spike_mV = -100 let every
  // cell spike once at step 0 and never again, 200 silenced the RS cells; both ran without a word).
  for (const char* v_spike : {"-100", "200", "50"})
    CHECK_THAT(error_of({std::string("network.exc.v_spike_mV=") + v_spike}),
               Catch::Contains("network.exc.v_spike_mV") && Catch::Contains("between e_k_mV = -90 and e_na_mV = 50"));
  CHECK_THAT(error_of({"network.inh.e_k_mV=100"}),
             Catch::Contains("network.inh.e_k_mV") && Catch::Contains("below e_na_mV = 50"));
  CHECK(error_of({}).empty());
  // A [meanfield] would read AdEx keys this network has none of: refused, pointing to Carlu's own mean field.
  const std::string text = "base = \"" + testing::source_path("configs/carlu2020/network.toml").string() +
                           "\"\n[meanfield]\norder = 1\nt_ms = 5.0\n";
  std::string e;
  try {
    io::parse_config(text, "hh_with_meanfield.toml");
  } catch (const io::config_error& x) {
    e = x.what();
  }
  CHECK_THAT(e, Catch::StartsWith("hh_with_meanfield.toml:2: [meanfield]: reads the passive properties") &&
                    Catch::Contains("configs/carlu2020/meanfield.toml"));
  CHECK_THAT(e, !Catch::Contains("t_ms"));  // the table is named, not printed (an outside check: 32 lines)
}

// Reference: Brian2 2.5 on the same network (tests/reference/brian2_network.py --config
// configs/carlu2020/network.toml --name brian2_carlu_hh_network --seeds 1,2,3,4,5,6: 6 s, window [2 s, 6 s], drives
// 2, 4, 8 Hz),
// tolerance 3 seed SDs of the difference (tests/brian2_rates.hpp), with the engine's 5-seed spread from
// tests/reference/data/cortexloop_carlu_hh_seeds.json. Measured (seed 1 against Brian2's 6-seed mean, 2026-12-05):
//   drive        2 Hz                  4 Hz                 8 Hz
//   exc          -4.5 % (bound 6.6)    -3.2 % (bound 10.9)  -2.6 % (bound 10.2)
//   inh          -0.04 % (bound 0.50)  -0.36 % (bound 1.6)  -0.50 % (bound 2.2)
// Seed 1 is our lowest excitatory seed at 4 and 8 Hz. Our 5-seed means against Brian2's 6: exc -2.3 % (z = -1.5),
// +0.8 % (z = 0.4), +1.2 % (z = 0.6); inh -0.13, +0.13, +0.23 % (with Brian2's first 3 seeds alone all six read low,
// -1.2 to -4.1 % exc: those 3 were high ones). Breaks tried: q_exc_nS 1 -> 1.02 (exc +17 % at 2 Hz, inh +3.9, +3.4,
// +2.6 %: fails at all three drives), q_inh_nS 5 -> 5.1 (inh -0.71, -1.89, -2.20 %: fails at 2 and 4 Hz).
TEST_CASE("the HH network's steady-state rates match Brian2 within 3 seed SDs at drives 2, 4 and 8 Hz",
          "[network][hh][carlu2020][brian2][slow]") {
  testing::check_rates_against_brian2("configs/carlu2020/network.toml",
                                      "tests/reference/data/brian2_carlu_hh_network_rates.json",
                                      "tests/reference/data/cortexloop_carlu_hh_seeds.json");
}

// What summary.json's and Info's network_model say (docs/protocol.md, Info): the HH network is named as such, so a
// client knows that mean_w_pa is its M current.
TEST_CASE("the HH network is named hh-conductance, the others by their cells and synapses", "[config][hh][carlu2020]") {
  CHECK(std::string(engine::network_model_name(testing::load_params("configs/carlu2020/network.toml"))) ==
        "hh-conductance");
  CHECK(std::string(engine::network_model_name(testing::load_params("configs/zerlaut2018_network.toml"))) ==
        "adex-conductance");
  CHECK(std::string(engine::network_model_name(testing::load_params("configs/cakan2020/network.toml"))) ==
        "adex-fraction");
  CHECK(std::string(engine::network_model_name(testing::load_params("configs/cakan2020/aln.toml"))) == "none");
}
