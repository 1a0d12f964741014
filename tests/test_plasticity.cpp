// The seeds' plasticity comparison (engine/plasticity, configs/plasticity/rate_effect.toml, docs/plasticity.md):
// each rule against closed forms of its equations with V held, the experiment against Brian2 running the notebook's
// equations, and the config against the notebook's values.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "engine/plasticity/plasticity_rules.hpp"
#include "engine/plasticity/rate_effect.hpp"
#include "io/config/config_plasticity.hpp"
#include "test_support.hpp"

namespace pl = cortexloop::engine::plasticity;
using cortexloop::testing::load_json;
using cortexloop::testing::source_path;

namespace {

constexpr double kDt = 0.1;

pl::rate_effect_params config(std::vector<std::string> overrides = {}) {
  return cortexloop::io::load_plasticity_config(source_path("configs/plasticity/rate_effect.toml"), overrides);
}

// One presynaptic spike at step 0, V held at v_mV (and the low-passes started there, so they stay), then `steps`
// steps: the weight change.
template <class Synapse>
double change_after_one_spike(Synapse s, double v_mV, int steps) {
  const double w0 = s.w();
  s.step(v_mV, kDt);
  s.on_pre();
  for (int k = 1; k < steps; ++k) s.step(v_mV, kDt);
  return s.w() - w0;
}

}  // namespace

// Closed forms. With V (and so both low-passes) held at V0, after one presynaptic spike the trace s decays
// geometrically by (1 - dt/tau_s) per Euler step, so the sum of s dt over the following steps is g tau_s exactly (a
// geometric series). The notebook's rules then give:
//   MB:  dw = eta (A_p [V0 - theta_p]+ - A_d [V0 - theta_m]+) g tau_s / tau_w
//   CM:  dw = eta A_p [V0 - theta_p]+ [V0 - theta_m]+ g tau_s / tau_w - eta 0.1 A_d [V0 - theta_m]+ (LTD at the spike)
// Tolerance 1e-9 relative: the series is cut after 40 tau_s (its tail e^-40) and summed in double.
// Breaks seen to fail: MB's A_p and A_d swapped (-0.004 against -0.0004 at -60 mV); CM's LTD at the spike from the
// fast low-pass instead of the slow one (-0.00793 against -0.00645, the last check).
TEST_CASE("each rule with V held gives the closed form of its equations", "[plasticity]") {
  const pl::rate_effect_params p = config();
  const int steps = static_cast<int>(40 * p.clopath.tau_s_ms / kDt);
  for (const double v0 : {-80.0, -70.0, -66.0, -60.0, -50.0}) {
    INFO("V0 = " << v0 << " mV");
    pl::lowpass_params mb = p.meissner_bernard, cm = p.clopath;
    mb.v_filter_init_mV = cm.v_filter_init_mV = v0;
    const double mb_expected = mb.eta *
                               (mb.a_ltp * std::max(0.0, v0 - mb.theta_plus_mV) -
                                mb.a_ltd * std::max(0.0, v0 - mb.theta_minus_mV)) *
                               mb.g * mb.tau_s_ms / mb.tau_w_ms;
    const double mb_got = change_after_one_spike(pl::lowpass_synapse(pl::lowpass_rule::meissner_bernard, mb, 1.0), v0,
                                                 steps);
    CHECK(mb_got == Approx(mb_expected).epsilon(1e-9).margin(1e-15));
    const double cm_expected =
        cm.eta * cm.a_ltp * std::max(0.0, v0 - cm.theta_plus_mV) * std::max(0.0, v0 - cm.theta_minus_mV) * cm.g *
            cm.tau_s_ms / cm.tau_w_ms -
        cm.eta * 0.1 * cm.a_ltd * std::max(0.0, v0 - cm.theta_minus_mV);
    const double cm_got = change_after_one_spike(pl::lowpass_synapse(pl::lowpass_rule::clopath, cm, 1.0), v0, steps);
    CHECK(cm_got == Approx(cm_expected).epsilon(1e-9).margin(1e-15));
  }
  // CM's depression at a presynaptic spike reads the slow low-pass: from -79 mV with V held at -60 mV, after n
  // Euler steps it is V + (-79 - V)(1 - dt/tau_minus)^n (-62.5 mV at n = 200, where the fast one is -61.1 mV).
  pl::lowpass_synapse cm(pl::lowpass_rule::clopath, p.clopath, 1.0);
  for (int k = 0; k < 200; ++k) cm.step(-60.0, kDt);
  cm.on_pre();
  const double v_minus = -60.0 + (-79.0 + 60.0) * std::pow(1.0 - kDt / p.clopath.tau_minus_ms, 200);
  CHECK(cm.w() - 1.0 ==
        Approx(-p.clopath.eta * 0.1 * p.clopath.a_ltd * (v_minus - p.clopath.theta_minus_mV)).epsilon(1e-9));
}

// The weight stays in [w_min, w_max], the notebook's clip, at the presynaptic spike's depression (Clopath) and in the
// continuous update (both low-pass rules). Reference: the clip itself. From w = w_min + 1e-6 with V held at -50 mV
// (19 mV above theta_minus) one spike's depression is 0.1 A_d 19 = 0.019, far past w_min: w must be w_min exactly.
// From w_max - 1e-6 with V held at -40 mV both rules potentiate past w_max. A mutation audit (2026-12-06) found no
// test reaching the clip (the Brian2 points never do). Breaks tried: on_pre's clamp removed -> w = -0.019 (fails
// the first check); step's clamp to w_max removed -> w above 2, fails.
TEST_CASE("each low-pass rule keeps its weight within w_min and w_max", "[plasticity]") {
  const pl::rate_effect_params p = config();
  pl::lowpass_params cm = p.clopath;
  cm.v_filter_init_mV = -50.0;
  pl::lowpass_synapse low(pl::lowpass_rule::clopath, cm, cm.w_min + 1e-6);
  low.on_pre();
  CHECK(low.w() == cm.w_min);
  for (const auto rule : {pl::lowpass_rule::clopath, pl::lowpass_rule::meissner_bernard}) {
    pl::lowpass_params q = rule == pl::lowpass_rule::clopath ? p.clopath : p.meissner_bernard;
    q.v_filter_init_mV = -40.0;
    pl::lowpass_synapse high(rule, q, q.w_max - 1e-6);
    for (int k = 0; k < 2000; ++k) {
      if (k % 100 == 0) high.on_pre();
      high.step(-40.0, kDt);
      REQUIRE(high.w() <= q.w_max);
      REQUIRE(high.w() >= q.w_min);
    }
    CHECK(high.w() == q.w_max);
  }
}

// VDP: after a jump of its rise variable to 1 (then decaying with tau_rise), a source's fall variable is
// amp rise/(fall - rise) (exp(-t/fall) - exp(-t/rise)), whose peak (at t* = rise fall ln(fall/rise) / (fall - rise))
// the notebook's amplitude sets to 1. With V held at rest (-79 mV) the sigmoids are 2.3e-7 (NMDA) and 7.5e-7 (VDCC)
// and the calcium ~1e-6, so 10 s of presynaptic spikes at 100 Hz move w by under 1e-7 (measured 5.6e-9).
// Breaks seen to fail: the normalisation taken as that of exp(-t/fall) - exp(-t/rise) alone (4.0 and 19.0 for 1);
// the sigmoid's sign flipped (LTP and LTD at rest).
TEST_CASE("VDP's filters peak at 1 and the rule is silent at rest", "[plasticity]") {
  for (const auto& [rise, fall] : {std::pair{1.0, 5.0}, std::pair{1.0, 20.0}, std::pair{2.0, 3.0}}) {
    const double t_peak = rise * fall * std::log(fall / rise) / (fall - rise);
    CHECK(pl::rise_fall_amplitude(rise, fall) * rise / (fall - rise) *
              (std::exp(-t_peak / fall) - std::exp(-t_peak / rise)) ==
          Approx(1.0).epsilon(1e-12));
  }
  const pl::rate_effect_params p = config();
  pl::vdp_synapse s(p.vdp, 1.0);
  for (int k = 0; k < 100000; ++k) {
    if (k % 100 == 0) s.on_pre();
    s.step(-79.0, kDt);
  }
  CHECK(std::abs(s.w() - 1.0) < 1e-7);
}

// The input counts' law: the CDF's mean and variance are Binomial(n, p)'s, n p and n p (1 - p) (analytic), from the
// notebook's 100 sources at 1 and 96 Hz to 100,000 sources at 80 Hz, where the first term (1 - p)^n underflows in
// double (the recursion from it gave a CDF of zeros: every source fired every step; an outside check, 2026-12-05);
// p = 1 puts every count at n. Tolerance 1e-9 relative (the tail cut at 2^-40). Break seen to fail: the terms by
// recursion from (1 - p)^n again -> the 100,000-source case's CDF is 0 up to its last count (mean NaN here).
TEST_CASE("the input counts follow the binomial law at any number of sources", "[plasticity]") {
  for (const auto& [n, p] : {std::pair{100u, 1e-4}, std::pair{100u, 96e-4}, std::pair{100000u, 80e-4},
                             std::pair{5u, 0.5}}) {
    const std::vector<double> cdf = pl::binomial_cdf(n, p);
    double mean = 0, second = 0, previous = 0;
    for (std::size_t k = 0; k < cdf.size(); ++k) {
      const double pk = cdf[k] - previous;
      previous = cdf[k];
      mean += static_cast<double>(k) * pk;
      second += static_cast<double>(k) * static_cast<double>(k) * pk;
    }
    INFO("n = " << n << ", p = " << p);
    CHECK(cdf.back() == 1.0);
    CHECK(mean == Approx(n * p).epsilon(1e-9));
    CHECK(second - mean * mean == Approx(n * p * (1 - p)).epsilon(1e-9));
  }
  const std::vector<double> all = pl::binomial_cdf(7, 1.0);
  CHECK(all.size() == 8);
  CHECK(all[6] == 0.0);
  CHECK(all[7] == 1.0);
  CHECK(pl::binomial_cdf(7, 0.0) == std::vector<double>{1.0});
}

// The experiment against Brian2 running the notebook's equations (tests/reference/brian2_plasticity.py; data
// tests/reference/data/brian2_plasticity.json): at each of its (e_rate, i_rate) points, 100 cells for 10 s, the
// output rate and every rule's mean excitatory and inhibitory weight agree within kZ combined standard errors
// (each side's SD over its 100 cells / 10: the cells are independent given the regular presynaptic trains).
// Our streams are not Brian2's, so only the statistics can agree. Measured (2026-12-05): see the printed table;
// the largest |z| over the 35 comparisons (28 distinct: at (46, 46) both trains are alike) is given in
// docs/plasticity.md.
// Breaks seen to fail: CM and MB reading V at the step's start (Brian2 runs them after the cells' update); the
// cells' noise without sqrt(dt / tau) (rates off by tens of z); Binomial counts from p = rate instead of rate dt.
TEST_CASE("the rate-effect experiment matches Brian2 on the notebook's model", "[plasticity][brian2]") {
  constexpr double kZ = 4.0;
  const auto ref = load_json("tests/reference/data/brian2_plasticity.json");
  const pl::rate_effect_params p = config();
  const double sqrt_runs = std::sqrt(static_cast<double>(p.runs));
  REQUIRE(ref["points"].size() >= 3);
  std::uint64_t offset = 0;
  double worst = 0;
  for (const auto& b : ref["points"]) {
    const double e = b["e_rate_Hz"], i = b["i_rate_Hz"];
    const pl::rate_effect_point got = pl::run_rate_effect_point(p, e, i, offset);
    offset += p.runs;
    auto z = [&](double ours, double ours_sd, double theirs, double theirs_sd) {
      const double se = std::hypot(ours_sd, theirs_sd) / sqrt_runs;
      return se > 0 ? (ours - theirs) / se : (ours == theirs ? 0.0 : 1e9);
    };
    const double z_rate = z(got.rate_Hz, got.rate_sd_Hz, b["rate_Hz"], b["rate_sd_Hz"]);
    std::printf("plasticity vs Brian2 at (%g, %g) Hz: rate %.3f / %.3f Hz (z %+.2f)", e, i, got.rate_Hz,
                b["rate_Hz"].get<double>(), z_rate);
    CHECK(std::abs(z_rate) < kZ);
    worst = std::max(worst, std::abs(z_rate));
    for (int r = 0; r < pl::kRules; ++r)
      for (int kind = 0; kind < 2; ++kind) {
        const std::string name = std::string(pl::kRuleNames[r]) + (kind == 0 ? "_exc" : "_inh");
        const double theirs = b[name + "_pct"], theirs_sd = b[name + "_sd_pct"];
        const double zw = z(got.weight_pct[r][kind], got.weight_sd_pct[r][kind], theirs, theirs_sd);
        std::printf("; %s %.3f / %.3f %% (z %+.2f)", name.c_str(), got.weight_pct[r][kind], theirs, zw);
        INFO("(" << e << ", " << i << ") Hz, " << name << ": ours " << got.weight_pct[r][kind] << " %, Brian2 "
                 << theirs << " %");
        CHECK(std::abs(zw) < kZ);
        worst = std::max(worst, std::abs(zw));
      }
    std::printf("\n");
  }
  std::printf("plasticity vs Brian2: largest |z| %.2f (bound %.1f)\n", worst, kZ);
}

// `plasticity --threads N` promises results that do not depend on N: each point's cells take their random streams
// from their place in the grid, not from the thread that runs them. A short grid (4 points, 5 cells, 200 ms) on 1 and
// 2 threads, compared bit for bit (also what runs the experiment under the sanitizers, which skip the Brian2 case).
// Break seen to fail: a point's cells numbered by how many points its thread had run (points 1-3 then differ
// between 1 and 2 threads).
TEST_CASE("the plasticity grid's results do not depend on the thread count", "[plasticity]") {
  const pl::rate_effect_params p = config({"plasticity.runs=5", "plasticity.duration_ms=200",
                                           "plasticity.e_rates_Hz=[21, 71]", "plasticity.i_rates_Hz=[6, 46]"});
  const auto one = pl::run_rate_effect_grid(p, 1), two = pl::run_rate_effect_grid(p, 2);
  REQUIRE(one.size() == 4);
  REQUIRE(two.size() == 4);
  for (std::size_t k = 0; k < 4; ++k) {
    INFO("point " << k);
    CHECK(one[k].e_rate_Hz == two[k].e_rate_Hz);
    CHECK(one[k].rate_Hz == two[k].rate_Hz);
    CHECK(one[k].mean_v_mV == two[k].mean_v_mV);
    for (int r = 0; r < pl::kRules; ++r)
      for (int kind = 0; kind < 2; ++kind) CHECK(one[k].weight_pct[r][kind] == two[k].weight_pct[r][kind]);
  }
  // The grid's order: i_rates outer, e_rates inner; and point k is run_rate_effect_point with cells from k runs.
  const pl::rate_effect_point third = pl::run_rate_effect_point(p, 21.0, 46.0, 2 * p.runs);
  CHECK(one[2].e_rate_Hz == 21.0);
  CHECK(one[2].i_rate_Hz == 46.0);
  CHECK(third.mean_v_mV == one[2].mean_v_mV);
  CHECK(third.weight_pct[0][0] == one[2].weight_pct[0][0]);
}

// The config against the seeds' plasticity notebook: stdp_neuron = [-79, -49, 16, 10, 10, 10] with a
// 3 ms refractory period, stdp_vdp, stdp_cl, stdp_mb, w0 = 1, N = 100, runs = 100, sim_time = 10 s,
// eFs = iFs = arange(1, 100, 5), g_E = g_I = 0.01, E_exc = 0, E_inh = -80 mV, tau_w = 1 ms.
TEST_CASE("the plasticity config holds the notebook's values", "[plasticity]") {
  const pl::rate_effect_params p = config();
  CHECK(p.duration_ms == 10000.0);
  CHECK(p.runs == 100);
  CHECK(p.n_inputs == 100);
  CHECK(p.w_initial == 1.0);
  REQUIRE(p.e_rates_Hz.size() == 20);
  REQUIRE(p.i_rates_Hz.size() == 20);
  for (std::size_t k = 0; k < 20; ++k) {
    CHECK(p.e_rates_Hz[k] == 1.0 + 5.0 * static_cast<double>(k));
    CHECK(p.i_rates_Hz[k] == 1.0 + 5.0 * static_cast<double>(k));
  }
  const pl::lif_params& n = p.neuron;
  CHECK(std::vector{n.v_rest_mV, n.v_thresh_mV, n.noise_sigma_mV, n.tau_syn_exc_ms, n.tau_syn_inh_ms, n.tau_m_ms,
                    n.t_ref_ms, n.e_exc_mV, n.e_inh_mV, n.g_exc_per_spike, n.g_inh_per_spike} ==
        std::vector{-79.0, -49.0, 16.0, 10.0, 10.0, 10.0, 3.0, 0.0, -80.0, 0.01, 0.01});
  const pl::vdp_params& v = p.vdp;
  CHECK(std::vector{v.a_pre, v.tau_glutamate_ms, v.ltd.k_per_mV, v.ltd.rise_ms, v.ltd.fall_ms, v.ltd.theta_mV,
                    v.ltd.amp, v.ltp.k_per_mV, v.ltp.rise_ms, v.ltp.fall_ms, v.ltp.theta_mV, v.ltp.amp, v.eta,
                    v.w_min, v.w_max, v.c_ca, v.tau_w_ms} ==
        std::vector{0.1, 10.0, 0.4, 1.0, 20.0, -43.75, 0.17, 0.4, 1.0, 5.0, -40.75, 1.0, 100.0, 0.0, 2.0, 3.0, 1.0});
  auto lowpass = [](const pl::lowpass_params& q) {
    return std::vector{q.g, q.tau_s_ms, q.tau_minus_ms, q.tau_plus_ms, q.a_ltd, q.a_ltp, q.theta_minus_mV,
                       q.theta_plus_mV, q.eta, q.w_min, q.w_max, q.v_filter_init_mV, q.tau_w_ms};
  };
  CHECK(lowpass(p.clopath) == std::vector{1.0 / 15, 15.0, 10.0, 7.0, 1e-2, 8e-4, -69.0, -58.0, 1.0, 0.0, 2.0, -79.0, 1.0});
  CHECK(lowpass(p.meissner_bernard) ==
        std::vector{1.0 / 15, 15.0, 10.0, 7.0, 8e-5, 8e-4, -75.0, -65.0, 1.0, 0.0, 2.0, -79.0, 1.0});
}

// Bad configs name the key and what is allowed; a config of another model is refused as a whole.
TEST_CASE("a bad plasticity config is refused naming the key", "[plasticity]") {
  auto refusal = [](std::vector<std::string> overrides, const std::string& file = "configs/plasticity/rate_effect.toml") {
    try {
      cortexloop::io::load_plasticity_config(source_path(file), overrides);
    } catch (const cortexloop::io::config_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(refusal({"plasticity.e_rates_Hz=[1, -5]"}),
             Catch::Contains("plasticity.e_rates_Hz") && Catch::Contains("element 1 (-5)") &&
                 Catch::Contains("out of range"));
  CHECK_THAT(refusal({"plasticity.i_rates_Hz=[]"}), Catch::Contains("at least one number"));
  CHECK_THAT(refusal({"plasticity.neuron.v_thresh_mV=-90"}), Catch::Contains("must be above v_rest_mV"));
  CHECK_THAT(refusal({"plasticity.vdp.ltp_fall_ms=1"}), Catch::Contains("must differ from ltp_rise_ms"));
  CHECK_THAT(refusal({"plasticity.clopath.w_max=-1"}), Catch::Contains("must be at least w_min"));
  // Values that broke the results silently (an outside check, 2026-12-05): a start outside a rule's clip range was
  // reported as -33 % at once, a_ltp = -1e308 gave NaN weights. Breaks tried: the w_initial check removed -> 3
  // passes; kBig back to the largest double -> -1e308 passes.
  CHECK_THAT(refusal({"plasticity.w_initial=3"}),
             Catch::Contains("must lie in plasticity.vdp's [w_min, w_max] = [0, 2]"));
  CHECK_THAT(refusal({"plasticity.clopath.a_ltp=-1e308"}), Catch::Contains("plasticity.clopath.a_ltp"));
  // Break tried: the whole-steps check removed -> 0.3 passes.
  CHECK_THAT(refusal({"plasticity.dt_ms=0.3"}), Catch::Contains("plasticity.dt_ms") && Catch::Contains("must divide 1 ms"));
  CHECK(refusal({"plasticity.dt_ms=0.05", "plasticity.duration_ms=10"}) == "accepted");
  CHECK_THAT(refusal({"plasticity.runs=0"}), Catch::Contains("plasticity.runs") && Catch::Contains("[1, 100000]"));
  CHECK_THAT(refusal({}, "configs/zerlaut2018_network.toml"), Catch::Contains("[plasticity] only"));
  // Every time constant the experiment steps by forward Euler exceeds dt (the factor 1 - dt/tau keeps its sign; an
  // analytic bound): clopath.tau_plus_ms = 0.01 gave NaN weights with exit 0, neuron.tau_m_ms = 0.05 fired the cell at
  // 1/t_ref (an outside audit, 2026-12-06). One input spike keeps V's step below 1 too. Breaks tried: check_step's
  // body emptied -> the seven tau refusals pass; the g check removed -> g_exc_per_spike = 99 passes.
  for (const char* key : {"neuron.tau_m_ms", "neuron.tau_syn_exc_ms", "neuron.tau_syn_inh_ms", "vdp.tau_glutamate_ms",
                          "vdp.ltd_rise_ms", "clopath.tau_plus_ms", "meissner_bernard.tau_s_ms"})
    CHECK_THAT(refusal({std::string("plasticity.") + key + "=0.1"}),
               Catch::Contains(std::string("plasticity.") + key + " = 0.1: must exceed plasticity.dt_ms = 0.1"));
  CHECK_THAT(refusal({"plasticity.dt_ms=1"}), Catch::Contains("plasticity.vdp.ltd_rise_ms = 1.0: must exceed"));
  CHECK(refusal({"plasticity.neuron.g_exc_per_spike=98"}) == "accepted");  // 0.1 / 10 (1 + 98) = 0.99
  CHECK_THAT(refusal({"plasticity.neuron.g_exc_per_spike=99"}),
             Catch::Contains("plasticity.neuron.g_exc_per_spike = 99: one input spike makes V's forward-Euler step"));
}
