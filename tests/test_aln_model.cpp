// The ALN mean field (engine/aln/aln_model.hpp) against the paper and against its own equations solved directly:
//  - the state at each mean-field point of interest of Cakan & Obermayer 2020 (Fig 2, fitparams.loadpoint),
//    found by the authors' own protocol and criteria (engine/aln/aln_states.hpp);
//  - the A1 step response of their Fig 4 (60 pA starts LC_EI; removing it stops it);
//  - the A2 oscillation frequency against the ~21.9 Hz that their Fig 6 phase-locking scan brackets;
//  - fixed points of the ALN equations solved by bisection from the steady-state relations (no time stepping)
//    against the integrated steady state, and the number of fixed points (1 at A1, 3 at A3);
//  - determinism; the Welch dominant-frequency estimate against a sinusoid of known frequency and power, and the
//    frequency a diagram reports (NaN unless the point oscillates) on constant, decaying and sinusoidal traces;
//  - a single escape to the up state inside the down window is not an oscillation (a step, and the model at two
//    points at the bistable wedge's edge), a limit cycle still is (A2, B3);
//    config errors.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "aln_test_support.hpp"
#include "io/config/config_aln.hpp"
#include "io/config/config_reader.hpp"
#include "test_support.hpp"

using namespace cortexloop::engine::aln;
using cortexloop::testing::aln_point;
using cortexloop::testing::default_aln_table;
using cortexloop::testing::run_aln;

namespace {

constexpr double kProbe_pA = 200.0;  // the authors' 'rect' probe: 1 mV/ms x C

aln_state_class state_at(const aln_params& p, state_measures* out = nullptr) {
  const auto rate = run_aln(p, 6000.0, [](double t) { return bistability_probe_pA(t, 6000.0, kProbe_pA); });
  const state_measures m = measure_states(rate, 1.0);
  if (out) *out = m;
  classify_options how;
  how.has_adaptation = p.a_nS != 0.0 || p.b_pA != 0.0;
  return classify(m, how);
}

}  // namespace

// Reference: Cakan & Obermayer 2020, Fig 2 (A: no adaptation; B: a = 15 nS, b = 40 pA) and its text: A1 lies in the
// down state left of LC_EI, A2 inside LC_EI, A3 in the bistable region, B3 inside the slow adaptation limit cycle.
// Classification thresholds are the paper's (bistable: up - down > 10 Hz; oscillating: dominant f > 0.5 Hz).
// Seen to fail: with the adaptation current left out of the look-up (mu_f - 0 instead of mu_f - I_A/C) B3 is "up".
TEST_CASE("ALN points of interest are in the paper's states", "[aln][model]") {
  state_measures m;
  CHECK(state_at(aln_point(1.2, 1.2), &m) == aln_state_class::down);
  INFO("A1 down-window rate " << m.mean_down_Hz);
  CHECK(state_at(aln_point(1.3, 0.5), &m) == aln_state_class::lc_ei);
  CHECK(m.dominant_frequency_Hz > 15.0);
  CHECK(state_at(aln_point(2.05, 1.7), &m) == aln_state_class::bistable);
  CHECK(m.up_down_difference_Hz() > 10.0);
  CHECK(state_at(aln_point(4.0, 1.8, true), &m) == aln_state_class::lc_ae);
  CHECK(m.dominant_frequency_Hz < 5.0);
}

// Reference: Fig 4A and its text (fig4 notebook: DC 0.3 mV/ms = 60 pA for 1000 ms after 1000 ms without stimulus)
// -- the step moves A1 from the low fixed point into LC_EI, and the activity returns to the fixed point when it
// ends. Measured here: rate swing (max - min) in 500 ms windows of each phase.
// Seen to fail: with the stimulus dropped from mu_e (stim_e_pA / C -> 0) the swing during the step is 0.
TEST_CASE("a 60 pA step at A1 starts the E-I oscillation and removing it stops it", "[aln][model][stimulus]") {
  const auto rate = run_aln(aln_point(1.2, 1.2), 3000.0, [](double t) { return (t >= 1000 && t < 2000) ? 60.0 : 0.0; });
  auto swing = [&](int from_ms, int to_ms) {
    const auto [lo, hi] = std::minmax_element(rate.begin() + from_ms, rate.begin() + to_ms);
    return static_cast<double>(*hi - *lo);
  };
  CHECK(swing(500, 1000) < 0.01);  // before: the fixed point
  // during: a sustained cycle (measured 0.07 ... 7.4 Hz), not a damped transient: the swing of the last 500 ms of
  // the step is as large as that of its first 500 ms
  CHECK(swing(1500, 2000) > 5.0);
  CHECK(swing(1500, 2000) > 0.9 * swing(1000, 1500));
  double f = 0, power = 0;
  dominant_frequency(std::span<const float>(rate).subspan(1000, 1000), 1.0, 70.0, f, power);
  CHECK(f > 15.0);
  CHECK(swing(2500, 3000) < 0.01);  // after: back to the fixed point
}

// Reference: Cakan & Obermayer 2020, Fig 6: the mean field's phase-locking scan at A2 is centred on its intrinsic
// frequency, f = 20.85 ... 22.85 Hz (other_seeds_facts.md C.6: ~21.9 Hz). Tolerance: within that scan range.
// Measured as the mean period between upward crossings of the mean rate over 2 ... 6 s.
// Seen to fail: with the E delay one ms longer in aln_model (delay_e_steps_ + 10) it is 20.69 Hz (outside); half a
// ms longer (+ 5) stays inside, so the test pins the delay to about +-0.5 ms.
TEST_CASE("A2 oscillates at the frequency of the paper's phase-locking scan", "[aln][model]") {
  const auto rate = run_aln(aln_point(1.3, 0.5), 6000.0, [](double) { return 0.0; });
  const std::span<const float> w(rate.data() + 2000, 4000);
  double mean = 0;
  for (const float r : w) mean += r;
  mean /= static_cast<double>(w.size());
  std::vector<double> ups;
  for (std::size_t k = 1; k < w.size(); ++k)
    if (w[k - 1] < mean && w[k] >= mean) ups.push_back(static_cast<double>(k - 1) + (mean - w[k - 1]) / (w[k] - w[k - 1]));
  REQUIRE(ups.size() > 10);
  const double f_Hz = 1000.0 * static_cast<double>(ups.size() - 1) / (ups.back() - ups.front());
  INFO("A2 frequency " << f_Hz << " Hz");
  CHECK(f_Hz > 20.85);
  CHECK(f_Hz < 22.85);
}

// Reference: Cakan & Obermayer 2020, Fig 6 (and the issue's "phase locking rises with amplitude near the intrinsic
// frequency"): at A2 a weak sinusoid onto E near the intrinsic LC_EI frequency locks the oscillation to it, more the
// stronger it is (an Arnold tongue). Here f = 22.8 Hz (inside the paper's scan 20.85-22.85 Hz, 0.5 Hz above
// cortexloop's intrinsic 22.3 Hz) and A = 0, 2, 6 pA (0, 0.01, 0.03 mV/ms x C; the paper scans 0.001-0.06 mV/ms).
// Measure: R = |<exp(i 2 pi f t_peak)>| over the rate peaks after 1 s, the stimulus phase at each peak: a
// phase-locking value (PLV; ~0 unlocked, 1 locked at any lag), NOT the paper's Fig 6 measure (the time mean of the
// two-oscillator order parameter |exp(i phi_rate) + exp(i phi_stim)| / 2, ~0.64 unlocked: cortexloop_client
// analysis.mean_two_oscillator_order, tests/python/test_fig6_order.py). The bounds below are on this PLV.
// Measured: R = 0.125, 0.338, 0.999 (deterministic: no noise). Reference for R(0): an oscillation left alone
// drifts by the ~0.5 Hz detuning through ~2.5 turns over the 5 s analysed, R = |sin(pi 0.5 5)| / (pi 0.5 5) = 0.127;
// it moves fast with the detuning (tests/python/test_live_entrainment.py) -> R(0) < 0.2; locked: R(6 pA) > 0.99.
// (They were < 0.3 and > 0.95, far from the measured values.)
// Seen to fail: with the stimulus dropped from mu_e (0 * stim_e_pA / C), R stays 0.125 at every amplitude.
TEST_CASE("phase locking at A2 rises with the amplitude of a sinusoid near the intrinsic frequency",
          "[aln][model][stimulus]") {
  const double f_Hz = 22.8;
  auto order = [&](double amplitude_pA) {
    const auto rate = run_aln(aln_point(1.3, 0.5), 6000.0, [&](double t_ms) {
      return amplitude_pA * std::sin(2 * M_PI * f_Hz * t_ms / 1000.0);
    });
    double mean = 0;
    for (std::size_t k = 1000; k < rate.size(); ++k) mean += rate[k];
    mean /= static_cast<double>(rate.size() - 1000);
    double re = 0, im = 0;
    int peaks = 0;
    for (std::size_t k = 1000; k + 1 < rate.size(); ++k)
      if (rate[k] > rate[k - 1] && rate[k] >= rate[k + 1] && rate[k] > mean) {
        const double phase = 2 * M_PI * f_Hz * static_cast<double>(k) / 1000.0;
        re += std::cos(phase);
        im += std::sin(phase);
        ++peaks;
      }
    REQUIRE(peaks > 80);
    return std::hypot(re, im) / peaks;
  };
  const double r0 = order(0.0), r2 = order(2.0), r6 = order(6.0);
  INFO("R = " << r0 << ", " << r2 << ", " << r6);
  CHECK(r0 < 0.2);
  CHECK(r2 > r0);
  CHECK(r6 > r2);
  CHECK(r6 > 0.99);
}

namespace {

// The steady-state relations of the ALN equations (all time derivatives zero), for constant rates r_E, r_I (kHz):
//   s = z1 / (1 + z1),  s_var = (1 - s)^2 z2 / (2 tau_s (1 + z1) - z2),  mu_f = mu,
//   I_A = a (V_mean(mu_E - I_A/C, sigma_E) - E_A) + tau_A b r_E  (unique root: V_mean rises with mu)
// and the rates the table then gives. Written from the equations in docs/aln.md, independently of aln_model.
struct steady {
  double r_e_Hz, r_i_Hz, i_a_pA, sigma_e, mu_e;
};
steady rates_given(const aln_params& p, const cascade_table& t, double r_e_Hz, double r_i_Hz) {
  const double re = r_e_Hz * 1e-3, ri = r_i_Hz * 1e-3, tm = t.neuron.tau_m_ms(), C = t.neuron.c_pF;
  struct syn {
    double s, var, z1;
  };
  auto synapse = [](double c_mV_per_ms, double j, double tau_s, double k, double r) {
    const double c = c_mV_per_ms * tau_s / std::fabs(j);
    const double z1 = c * k * r, z2 = c * z1;
    const double s = z1 / (1 + z1);
    return syn{s, (1 - s) * (1 - s) * z2 / (2 * tau_s * (1 + z1) - z2), z1};
  };
  const syn ee = synapse(p.c_ee_mV_per_ms, p.j_ee_mV_per_ms, p.tau_se_ms, p.k_e, re);
  const syn ie = synapse(p.c_ie_mV_per_ms, p.j_ie_mV_per_ms, p.tau_se_ms, p.k_e, re);
  const syn ei = synapse(p.c_ei_mV_per_ms, p.j_ei_mV_per_ms, p.tau_si_ms, p.k_i, ri);
  const syn ii = synapse(p.c_ii_mV_per_ms, p.j_ii_mV_per_ms, p.tau_si_ms, p.k_i, ri);
  auto var = [tm](double j, const syn& x, double tau_s) { return 2 * j * j * x.var * tau_s * tm / ((1 + x.z1) * tm + tau_s); };
  const double sig_e = std::sqrt(var(p.j_ee_mV_per_ms, ee, p.tau_se_ms) + var(p.j_ei_mV_per_ms, ei, p.tau_si_ms) +
                                 p.sigma_ext_e_mV_per_sqrt_ms * p.sigma_ext_e_mV_per_sqrt_ms);
  const double sig_i = std::sqrt(var(p.j_ie_mV_per_ms, ie, p.tau_se_ms) + var(p.j_ii_mV_per_ms, ii, p.tau_si_ms) +
                                 p.sigma_ext_i_mV_per_sqrt_ms * p.sigma_ext_i_mV_per_sqrt_ms);
  const double mu_e = p.j_ee_mV_per_ms * ee.s + p.j_ei_mV_per_ms * ei.s + p.mu_ext_e_mV_per_ms;
  const double mu_i = p.j_ie_mV_per_ms * ie.s + p.j_ii_mV_per_ms * ii.s + p.mu_ext_i_mV_per_ms;
  // Without adaptation (a = b = 0) the relation is I_A = 0 itself. Otherwise bisection until lo and hi are adjacent
  // doubles (about 55 halvings of the bracket): later halvings would not move it. Both keep this test's
  // ~10^8 table look-ups per point from being mostly idle ones (it ran 45 s under ASan, bench/README.md).
  double lo = -2000, hi = 20000;  // I_A bracket (pA)
  const bool adapting = p.a_nS != 0.0 || p.b_pA != 0.0;
  for (int k = 0; adapting && k < 100; ++k) {
    const double ia = 0.5 * (lo + hi);
    if (ia == lo || ia == hi) break;
    const double g = p.a_nS * (t.lookup(mu_e - ia / C, sig_e).v_mean_mV - p.e_a_mV) + p.tau_a_ms * p.b_pA * re - ia;
    (g > 0 ? lo : hi) = ia;
  }
  const double ia = adapting ? 0.5 * (lo + hi) : 0.0;
  return {t.lookup(mu_e - ia / C, sig_e).r_ss_Hz, t.lookup(mu_i, sig_i).r_ss_Hz, ia, sig_e, mu_e};
}
// For a given r_E, the r_I that reproduces itself (bisection; r_I(r_I) - r_I changes sign once on [0, 500] Hz here).
double self_consistent_r_i(const aln_params& p, const cascade_table& t, double r_e) {
  double lo = 0, hi = 500;
  for (int k = 0; k < 80; ++k) {
    const double m = 0.5 * (lo + hi);
    if (m == lo || m == hi) break;  // converged: lo and hi are adjacent doubles
    (rates_given(p, t, r_e, m).r_i_Hz > m ? lo : hi) = m;
  }
  return 0.5 * (lo + hi);
}
// Every fixed point r_E in [0, 200] Hz: sign changes of r_E(r_E, r_I*(r_E)) - r_E on a 0.02 Hz scan, then bisection.
std::vector<steady> fixed_points(const aln_params& p, const cascade_table& t) {
  auto g = [&](double re) { return rates_given(p, t, re, self_consistent_r_i(p, t, re)).r_e_Hz - re; };
  std::vector<steady> roots;
  double prev = g(0.0);
  for (double re = 0.02; re <= 200.0; re += 0.02) {
    const double cur = g(re);
    if ((prev > 0) != (cur > 0)) {
      double lo = re - 0.02, hi = re;
      for (int k = 0; k < 60; ++k) {
        const double m = 0.5 * (lo + hi);
        ((g(m) > 0) == (prev > 0) ? lo : hi) = m;
      }
      const double r = 0.5 * (lo + hi);
      roots.push_back(rates_given(p, t, r, self_consistent_r_i(p, t, r)));
      roots.back().r_e_Hz = r;  // the root itself (the map's output equals it there)
    }
    prev = cur;
  }
  return roots;
}

}  // namespace

// Reference: the fixed points of the ALN equations computed without time stepping (steady-state relations above,
// bisection), against the state the Euler integration settles in after 6 s from a quiet start (a fixed point of the
// Euler map is one of the ODE). Tolerance: 1e-4 relative on the rates, 1e-3 pA on I_A, 1e-5 on mu_f and sigma.
// Points: A1 (down, no adaptation), A3 (the integration from a quiet start settles in the up state), B1 and B4
// (with adaptation: I_A from a (V_mean - E_A) and b r_E). Also the count: 1 fixed point at A1, 3 at A3 (bistable).
// Seen to fail: with the variance's decay term 2 tau_s (z1 + 1) written 2 tau_s z1 in aln_model.cpp the integrated
// A1 rate is 0.490 Hz against the directly solved 0.3125 Hz (the test's relations keep the right term).
TEST_CASE("integrated steady states are the fixed points of the ALN equations", "[aln][model][fixedpoint]") {
  const cascade_table& t = default_aln_table();
  struct pt {
    const char* name;
    aln_params p;
    std::size_t n_fixed;  // 0: not checked
  };
  for (const pt& x : {pt{"A1", aln_point(1.2, 1.2), 1}, pt{"A3", aln_point(2.05, 1.7), 3},
                      pt{"B1", aln_point(1.52, 0.84, true), 0}, pt{"B4", aln_point(3.8, 2.0, true), 0}}) {
    aln_model m(x.p, t, 0.1);
    for (int k = 0; k < 60000; ++k) m.step(0.0);
    const auto roots = fixed_points(x.p, t);
    INFO(x.name << ": integrated r_E " << m.rate_e_Hz() << " Hz, r_I " << m.rate_i_Hz() << " Hz, I_A "
                << m.state().i_a_pA << " pA; " << roots.size() << " fixed points");
    REQUIRE(!roots.empty());
    if (x.n_fixed) CHECK(roots.size() == x.n_fixed);
    const steady* near = &roots[0];
    for (const steady& r : roots)
      if (std::fabs(r.r_e_Hz - m.rate_e_Hz()) < std::fabs(near->r_e_Hz - m.rate_e_Hz())) near = &r;
    INFO("nearest fixed point r_E " << near->r_e_Hz << " r_I " << near->r_i_Hz << " I_A " << near->i_a_pA
                                    << " sigma_E " << near->sigma_e);
    CHECK(m.rate_e_Hz() == Approx(near->r_e_Hz).epsilon(1e-4).margin(1e-6));
    CHECK(m.rate_i_Hz() == Approx(near->r_i_Hz).epsilon(1e-4).margin(1e-6));
    CHECK(m.state().i_a_pA == Approx(near->i_a_pA).margin(1e-3));
    CHECK(m.state().mu_f_e_mV_per_ms == Approx(near->mu_e).margin(1e-5));
    CHECK(m.sigma_e() == Approx(near->sigma_e).margin(1e-5));
  }
}

// Reference: determinism (no random numbers with sigma_ou = 0; the same inputs give the same bits), and reset()
// returns to the same trajectory. Seen to fail: with reset() not restoring the state (s_ = init.state removed) the
// third run differs.
TEST_CASE("ALN stepping is deterministic and reset restarts the same trajectory", "[aln][model]") {
  const aln_params p = aln_point(1.3, 0.5);
  auto trace = [&](aln_model& m) {
    std::vector<double> r;
    for (int k = 0; k < 20000; ++k) {
      m.step(k > 5000 && k < 8000 ? 40.0 : 0.0);
      r.push_back(m.rate_e_Hz());
      r.push_back(m.state().s_ei_var);
    }
    return r;
  };
  aln_model a(p, default_aln_table(), 0.1), b(p, default_aln_table(), 0.1);
  const auto ta = trace(a);
  CHECK(ta == trace(b));
  a.reset(quiet_initial(p));
  CHECK(ta == trace(a));
}

// Reference: the analytic Welch "spectrum" of a sinusoid x = A sin(2 pi f t) with f on a frequency bin: one-sided
// power A^2 / 2 at f (Hann window, any segment). Tolerance 1e-6 relative. Seen to fail: without the one-sided
// factor 2 the power is A^2 / 4.
TEST_CASE("the dominant-frequency estimate of the state classifier", "[aln][states]") {
  std::vector<float> x(1000);
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = static_cast<float>(5.0 + 3.0 * std::sin(2 * M_PI * 22.0 * k / 1000.0));
  double f = 0, power = 0;
  dominant_frequency(x, 1.0, 70.0, f, power);
  CHECK(f == Approx(22.0));
  CHECK(power == Approx(4.5).epsilon(1e-5));
  // The probe protocol: -A at the start, +A at 3.0-3.5 epochs, nothing in the last epoch.
  CHECK(bistability_probe_pA(100.0, 6000.0, 200.0) == -200.0);
  CHECK(bistability_probe_pA(3200.0, 6000.0, 200.0) == 200.0);
  CHECK(bistability_probe_pA(5500.0, 6000.0, 200.0) == 0.0);
}

// Reference: analytic traces of 6 s at 1 ms bins through the classifier's own windows. A constant rate has no
// spectrum at all, and a decay (0.3 Hz + 3 exp(-(t - 2 s)/150 ms) Hz from the down window's start) has only the
// drift's 2 Hz bin (power 0.06 Hz^2 by scipy.signal.welch with the same settings, under the paper's 1 Hz^2 floor):
// neither is a rhythm, so the reported frequency is NaN (down, up). A sinusoid at f on a Welch bin (22 Hz, and 4 Hz
// with adaptation: LC_aE) reports f exactly (the 2 Hz bins hold them). Seen to fail: the sweep wrote the Welch peak
// whatever the class (0 Hz for the constants, 2 Hz for the decay).
TEST_CASE("a diagram reports a frequency only where the point oscillates", "[aln][states]") {
  auto trace = [](auto rate_at_ms) {
    std::vector<float> x(6000);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = static_cast<float>(rate_at_ms(static_cast<double>(k)));
    return x;
  };
  auto reported = [](const std::vector<float>& x, aln_state_class expected) {
    const state_measures m = measure_states(x, 1.0);
    const aln_state_class c = classify(m);
    CHECK(c == expected);
    return reported_frequency_Hz(m, c);
  };
  CHECK(std::isnan(reported(trace([](double) { return 0.3; }), aln_state_class::down)));
  CHECK(std::isnan(reported(trace([](double) { return 30.0; }), aln_state_class::up)));
  CHECK(std::isnan(reported(trace([](double t) { return t < 2000 ? 3.3 : 0.3 + 3.0 * std::exp(-(t - 2000) / 150.0); }),
                            aln_state_class::down)));
  CHECK(reported(trace([](double t) { return 5.0 + 3.0 * std::sin(2 * M_PI * 22.0 * t / 1000.0); }),
                 aln_state_class::lc_ei) == 22.0);
  CHECK(reported(trace([](double t) { return 5.0 + 3.0 * std::sin(2 * M_PI * 4.0 * t / 1000.0); }),
                 aln_state_class::lc_ae) == 4.0);
}

// Reference: what an oscillation is. The authors' criterion (analyse_run: Welch peak > 0.5 Hz with power > 1 Hz^2 in
// the down window) also accepts a single transition inside the window; a limit cycle rises and falls again and again.
// (1) analytic: a step 1 -> 43.5 Hz at 2.15 s (as the node at (2.40, 1.98) escapes once, an outside audit, 2026-12-07)
// has one swing and its 2 Hz bin over 1 Hz^2 (scipy.signal.welch, same settings: 58.9 Hz^2): not an oscillation, so
// up (down window 37 Hz, up 43.5 Hz); a sinusoid has 2 swings per period, less the first half
// period, which starts in the middle of the range (22 Hz from its middle: 43 in 1 s).
// (2) the model, no adaptation, at the audit's two points just outside the bistable wedge: each sits near 1 Hz after
// the push down and escapes once inside the window (one swing); they are up, not LC_EI at 2 Hz. A2 (LC_EI) and B3
// (LC_aE) still oscillate ("ALN points of interest" above; measured here: A2 44 swings, B3 5).
// Break tried: the swing condition removed from classify() (oscillating on the Welch peak alone): the step is LC_aE
// (the default options assume adaptation) and both model points LC_EI at 2 Hz.
TEST_CASE("a single escape to the up state inside the window is not an oscillation", "[aln][states]") {
  std::vector<float> step(6000);
  for (std::size_t k = 0; k < step.size(); ++k) step[k] = k < 2150 ? 1.0f : 43.5f;
  const state_measures ms = measure_states(step, 1.0);
  CHECK(ms.dominant_frequency_Hz == 2.0);
  CHECK(ms.dominant_power_Hz2 > 1.0);  // the authors' criterion alone would call it oscillating
  CHECK(ms.down_swings == 1);
  CHECK(classify(ms, {}) == aln_state_class::up);
  std::vector<float> sine(1000);
  for (std::size_t k = 0; k < sine.size(); ++k)
    sine[k] = static_cast<float>(5.0 + 3.0 * std::sin(2 * M_PI * 22.0 * static_cast<double>(k) / 1000.0));
  CHECK(swings(sine) == 43);
  CHECK(swings(std::vector<float>(1000, 3.0f)) == 0);

  state_measures m;
  for (const auto& [mu_e, mu_i] : {std::pair{2.40, 1.98}, std::pair{2.70, 2.46}}) {
    const aln_state_class c = state_at(aln_point(mu_e, mu_i), &m);
    INFO("(" << mu_e << ", " << mu_i << "): " << name(c) << ", down " << m.mean_down_Hz << " Hz, up " << m.mean_up_Hz
             << " Hz, Welch " << m.dominant_frequency_Hz << " Hz " << m.dominant_power_Hz2 << " Hz^2, swings "
             << m.down_swings);
    CHECK(m.dominant_power_Hz2 > 1.0);
    CHECK(m.down_swings == 1);
    CHECK(c == aln_state_class::up);
  }
  CHECK(state_at(aln_point(1.3, 0.5), &m) == aln_state_class::lc_ei);
  CHECK(m.down_swings >= 10);
  CHECK(state_at(aln_point(4.0, 1.8, true), &m) == aln_state_class::lc_ae);
  CHECK(m.down_swings >= 2);
}

TEST_CASE("ALN configs load the points and refuse bad values naming the key", "[aln][config]") {
  using cortexloop::testing::source_path;
  const auto a2 = cortexloop::io::load_aln_config(source_path("configs/cakan2020/aln_a2.toml"));
  CHECK(a2.aln.mu_ext_e_mV_per_ms == 1.3);
  CHECK(a2.aln.mu_ext_i_mV_per_ms == 0.5);
  CHECK(a2.aln.k_e == 800.0);
  const auto b3 = cortexloop::io::load_aln_config(source_path("configs/cakan2020/aln_b3.toml"));
  CHECK(b3.aln.a_nS == 15.0);
  CHECK(b3.aln.b_pA == 40.0);
  const auto file = source_path("configs/cakan2020/aln.toml");
  using Catch::Matchers::Contains;
  using cortexloop::io::config_error;
  CHECK_THROWS_WITH(cortexloop::io::load_aln_config(file, std::vector<std::string>{"aln.delay_e_ms=4.05"}),
                    Contains("aln.delay_e_ms") && Contains("whole number"));
  CHECK_THROWS_WITH(cortexloop::io::load_aln_config(file, std::vector<std::string>{"aln.j_ei_mV_per_ms=3.3"}),
                    Contains("aln.j_ei_mV_per_ms"));
  CHECK_THROWS_WITH(cortexloop::io::load_aln_config(file, std::vector<std::string>{"aln.tau_a_msec=3"}),
                    Contains("aln.tau_a_msec") && Contains("unknown key"));
  CHECK_THROWS_WITH(cortexloop::io::load_aln_config(file, std::vector<std::string>{"network.n_neurons=10"}),
                    Contains("network"));
  CHECK_THROWS_WITH(cortexloop::io::load_aln_config(file, std::vector<std::string>{"aln.neuron.v_r_mV=-30"}),
                    Contains("--set aln.neuron.v_r_mV: aln.neuron.v_r_mV = -30: must be below the spike cut-off"));
}
