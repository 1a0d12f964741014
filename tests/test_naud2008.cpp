// Naud et al. 2008 (Biol Cybern 99:335) firing patterns of one AdEx cell under a DC step, against Brian2 2.5
// running the same configs (tests/reference/brian2_naud2008.py -> tests/reference/data/brian2_naud2008.json).
// Each pattern is checked for its defining behaviour in both simulators, and spike by spike against Brian2.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "test_support.hpp"

using namespace cortexloop;

namespace {
std::vector<double> spike_times_ms(const std::string& pattern) {
  auto params = testing::load_params("configs/naud2008/" + pattern + ".toml");
  engine::engine eng(params);
  eng.set_record_spikes(true);
  std::vector<double> times;
  engine::tick_readout r;
  const auto ticks = static_cast<int>(params.simulation.duration_s * 1000.0 / params.simulation.tick_ms + 0.5);
  for (int k = 0; k < ticks; ++k) {
    eng.tick(r);
    for (const auto step : r.spike_steps) times.push_back(static_cast<double>(step) * params.simulation.dt_ms);
  }
  return times;
}
std::vector<double> isis(const std::vector<double>& t) {
  std::vector<double> d;
  for (std::size_t i = 1; i < t.size(); ++i) d.push_back(t[i] - t[i - 1]);
  return d;
}
std::vector<double> brian2_times(const std::string& pattern) {
  static const auto ref = testing::load_json("tests/reference/data/brian2_naud2008.json");
  return ref.at(pattern).at("spike_times_ms").get<std::vector<double>>();
}
double cv(const std::vector<double>& x) {
  const double m = std::accumulate(x.begin(), x.end(), 0.0) / x.size();
  double s = 0;
  for (double v : x) s += (v - m) * (v - m);
  return std::sqrt(s / x.size()) / m;
}
}  // namespace

TEST_CASE("Naud patterns: spike trains match Brian2 spike by spike", "[naud2008][brian2]") {
  // Tolerance: the same step (0.1 ms) for every spike of the deterministic patterns. Irregular spiking is
  // chaotic (in Brian2 alone a 1e-9 mV change in V_T moves spikes from the 14th on, docs/naud2008.md; our
  // float state departs from Brian2's double at the 8th, 114.6 against 114.8 ms in the Release build of
  // 2026-12-07, docs/naud2008.md), so only its first 6 spikes are compared (within a step
  // in every perturbed run below, engine and Brian2), and its count to within 2 spikes of Brian2's stored 28.
  // The 2 is measured, not one sample: tests/reference/naud2008_irregular_spread.py (V_T + k*4e-6 mV and
  // I + k*2e-5 pA, k = -10..10, ~1 float ulp each; in Brian2 also k*1e-9, which a float engine rounds away)
  // counts engine 27 x6, 28 x36 (n 42, mean 27.86, SD 0.35; gcc -O3 -march=native, FMA; clang -O2 -march=native
  // gave the same trains) and Brian2 27 x10, 28 x74 (n 84, mean 27.88, SD 0.33); |difference of means| 0.02
  // + 3 x combined SD 0.48 = 1.47 -> 2 spikes (2026-12-07). A clang -O2 build without -march=native (the TSan
  // build's scalar, no-FMA path) counted 27 x3, 28 x39 (mean 27.93, SD 0.26): the same spread. No run of the
  // 210 moved the count more than 1 from 28.
  // Break tried: the reset's w += b with b x 1.1 / x 0.9 (engine/cells/adex.cpp, d.b) -> 25 / 32 spikes, fail here
  // (|25 - 28| = 3, |32 - 28| = 4; under the same perturbations they count 24-25 / 32 in every run, so the break
  // fails whatever the sample; both passed the old 15 %).
  for (const std::string pattern :
       {"tonic_spiking", "adaptation", "initial_burst", "regular_bursting", "delayed_accelerating",
        "transient_spiking"}) {
    INFO(pattern);
    const auto ours = spike_times_ms(pattern), ref = brian2_times(pattern);
    CHECK(ours.size() == ref.size());  // not REQUIRE: a pattern's miss must not hide the irregular count below
    for (std::size_t i = 0; i < std::min(ours.size(), ref.size()); ++i)
      CHECK(ours[i] == Approx(ref[i]).margin(0.1 + 1e-9));
  }
  const auto ours = spike_times_ms("irregular_spiking"), ref = brian2_times("irregular_spiking");
  REQUIRE(ours.size() >= 6);
  for (std::size_t i = 0; i < 6; ++i) CHECK(ours[i] == Approx(ref[i]).margin(0.1 + 1e-9));
  INFO("irregular spiking: " << ours.size() << " spikes, Brian2 " << ref.size());
  CHECK(std::abs(static_cast<long>(ours.size()) - static_cast<long>(ref.size())) <= 2);
  // Delayed regular bursting: each burst's 4th spike ends a slow passage past V_T (ISI ~8 ms against 4-5 ms before
  // it), where our float state and Brian2's double part by a few steps; the trains then run side by side, each burst
  // starting within 1.6 ms of Brian2's (measured). So: the first burst and the next spike to a step, the count
  // exactly, every spike within 2 ms.
  const auto f_ours = spike_times_ms("delayed_regular_bursting"), f_ref = brian2_times("delayed_regular_bursting");
  REQUIRE(f_ours.size() == f_ref.size());
  for (std::size_t i = 0; i < f_ref.size(); ++i)
    CHECK(f_ours[i] == Approx(f_ref[i]).margin((i < 5 ? 0.1 : 2.0) + 1e-9));
}

TEST_CASE("Naud patterns show their defining behaviour", "[naud2008]") {
  // Criteria from Naud et al. 2008 Fig. 4 descriptions; each is checked on our train and on Brian2's.
  for (const bool brian2 : {false, true}) {
    INFO((brian2 ? "Brian2" : "cortexloop"));
    auto get = [&](const std::string& p) { return brian2 ? brian2_times(p) : spike_times_ms(p); };
    {  // tonic: regular firing, ISIs nearly constant
      const auto d = isis(get("tonic_spiking"));
      CHECK(cv(std::vector<double>(d.begin() + 2, d.end())) < 0.05);
    }
    {  // adaptation: ISIs lengthen; the last is at least 3x the first
      const auto d = isis(get("adaptation"));
      CHECK(d.back() > 3 * d.front());
      CHECK(std::is_sorted(d.begin(), d.end()));
    }
    {  // initial burst: the first ISIs are much shorter than the tonic ones that follow
      const auto d = isis(get("initial_burst"));
      CHECK(d.front() * 4 < d.back());
    }
    {  // regular bursting: bimodal ISIs (short intra-burst, long inter-burst), repeated
      const auto d = isis(get("regular_bursting"));
      // Plain variables, not a structured binding: clang 14 (the fuzz/sanitizer build) cannot capture those.
      const auto range = std::minmax_element(d.begin(), d.end());
      const double lo = *range.first, hi = *range.second;
      CHECK(hi > 5 * lo);
      CHECK(std::count_if(d.begin(), d.end(), [&](double x) { return x > 0.5 * hi; }) >= 2);
      CHECK(std::count_if(d.begin(), d.end(), [&](double x) { return x < 2 * lo; }) >= 2);
    }
    {  // delayed accelerating: a long latency to the first spike, then ISIs that shorten
      const auto t = get("delayed_accelerating");
      const auto d = isis(t);
      CHECK(t.front() > 2 * d.back());
      CHECK(d.front() > d.back());
    }
    {  // irregular: variable ISIs
      CHECK(cv(isis(get("irregular_spiking"))) > 0.1);
    }
    {  // delayed regular bursting (f): a long latency, then bursts (bimodal ISIs) that repeat
      const auto t = get("delayed_regular_bursting");
      const auto d = isis(t);
      const auto range = std::minmax_element(d.begin(), d.end());
      const double lo = *range.first, hi = *range.second;
      CHECK(t.front() > 10 * lo);
      CHECK(hi > 5 * lo);
      CHECK(std::count_if(d.begin(), d.end(), [&](double x) { return x > 0.5 * hi; }) >= 3);
    }
    {  // transient spiking (g): spikes at the onset of the 500 ms step, then none
      const auto t = get("transient_spiking");
      REQUIRE(!t.empty());
      CHECK(t.back() < 100.0);
    }
  }
}

// The configs' AdEx parameters against the published table, typed in here: the tests above compare the engine with
// Brian2 running the same configs/naud2008/*.toml, so a wrong value in a config passed them both.
// Reference: Naud, Marcille, Clopath & Gerstner 2008, Biol Cybern 99:335, Table 1 (AdEx parameters and step current
// of the firing patterns of Fig. 4), as transcribed in /work/shared/reference/other_seeds_facts.md, section A.1.
// Units as the paper's: C pF; g_L and a nS; E_L, V_T, Delta_T and V_r mV; tau_w ms; b and I pA. The paper's table
// itself could not be read there (PMC2798047 unreachable): rows a-e and h are those on which the two public
// implementations agree (brian2 examples/frompapers/Naud_et_al_2008_adex_firing_patterns.py and the ANNarchy AdEx
// notebook). For f (delayed regular bursting) and g (transient spiking) they differ; the rows below are Brian2's
// ("adapted by P. Mueller to match figures"), which the configs follow on purpose (docs/naud2008.md: ANNarchy's f
// does not fire, its g fires throughout). Unverified against the paper: g's step current (recalled as 350 pA there,
// Brian2 180 pA) and f's row. V_T = -50 mV and Delta_T = 2 mV in every pattern.
// Break tried: configs/naud2008/adaptation.toml's b_pA 60 -> 6 (and, separately, c_pF 200 -> 20): fails here on
// that pattern's b (c). The Brian2 comparison above fails too, but only because its stored trains
// (tests/reference/data/brian2_naud2008.json) were made from the unbroken config: regenerated from a wrong one by
// tests/reference/brian2_naud2008.py, which reads the same file, it would agree with the engine.
TEST_CASE("Naud configs carry the AdEx parameters of Naud et al. 2008 Table 1", "[naud2008][reference]") {
  struct row {
    const char* pattern;
    double c_pF, g_l_nS, e_l_mV, v_t_mV, delta_t_mV, tau_w_ms, a_nS, b_pA, v_r_mV, i_pA;
  };
  // clang-format off
  const row table[] = {
      //  pattern                    C    g_L   E_L   V_T  D_T  tau_w    a     b    V_r    I
      {"tonic_spiking",            200,  10,  -70,  -50,  2,    30,    2,    0,  -58,  500},  // a
      {"adaptation",               200,  12,  -70,  -50,  2,   300,    2,   60,  -58,  500},  // b
      {"initial_burst",            130,  18,  -58,  -50,  2,   150,    4,  120,  -50,  400},  // c
      {"regular_bursting",         200,  10,  -58,  -50,  2,   120,    2,  100,  -46,  210},  // d
      {"delayed_accelerating",     200,  12,  -70,  -50,  2,   300,  -10,    0,  -58,  300},  // e
      {"delayed_regular_bursting", 100,  10,  -65,  -50,  2,    90,  -10,   30,  -47,  110},  // f (Brian2's row)
      {"transient_spiking",        100,  10,  -65,  -50,  2,    90,   10,  100,  -47,  180},  // g (Brian2's row)
      {"irregular_spiking",        100,  12,  -60,  -50,  2,   130,  -11,   30,  -48,  160},  // h
  };
  // clang-format on
  for (const row& r : table) {
    INFO(r.pattern);
    const auto p = testing::load_params(std::string("configs/naud2008/") + r.pattern + ".toml");
    // One cell, the [network.exc] block's, driven by one DC step onto it (the config's own comment says so).
    REQUIRE(p.network.n_neurons == 1);
    REQUIRE(p.network.n_exc() == 1);
    const engine::adex_params& c = p.network.exc;
    CHECK(c.c_pF == r.c_pF);
    CHECK(c.g_l_nS == r.g_l_nS);
    CHECK(c.e_l_mV == r.e_l_mV);
    CHECK(c.v_t_mV == r.v_t_mV);
    CHECK(c.delta_t_mV == r.delta_t_mV);
    CHECK(c.tau_w_ms == r.tau_w_ms);
    CHECK(c.a_nS == r.a_nS);
    CHECK(c.b_pA == r.b_pA);
    CHECK(c.v_reset_mV == r.v_r_mV);
    REQUIRE(p.stimuli.size() == 1);
    CHECK(p.stimuli[0].kind == engine::stimulus_kind::dc);
    CHECK(p.stimuli[0].target == engine::population::exc);
    CHECK(p.stimuli[0].amplitude_pA == r.i_pA);
  }
}
