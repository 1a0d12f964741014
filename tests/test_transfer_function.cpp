// The transfer function (engine/meanfield/transfer_function.hpp): the shot-noise moments against their
// closed forms, the two moment formulas, the W and I shifts of mu_V, finiteness at the edges, and the float
// batch version against the double one.
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "engine/meanfield/master_equation.hpp"
#include "engine/meanfield/tf_fit.hpp"
#include "engine/meanfield/transfer_function.hpp"
#include "test_support.hpp"

using namespace cortexloop::engine::meanfield;
using cortexloop::testing::load_params;

namespace {
// The notebook RS set of Zerlaut 2018 (zerlaut2018_facts.md); any realistic P will do for these tests.
threshold_params rs_2018() {
  threshold_params t;
  t.form = polynomial_form::zerlaut2018;
  t.p_V = {-0.0547150805, 0.0076445378, -0.0046272289, 0.0017128315, -0.000107109, 0.0007205448,
           -0.0020046368, 0.0001175637, 0.0056132586, -0.0009943616, -0.0028760436};
  return t;
}
threshold_params fs_divolo() {
  threshold_params t;
  t.form = polynomial_form::divolo2019;
  t.p_V = {-0.05149122024209484, 0.004003689190271077, -0.008352013668528155, 0.0002414237992765705,
           -0.0005070645080016026, 0.0014345394104282397, -0.014686689498949967, 0.004502706285435741,
           0.0028472190352532454, -0.015357804594594548};
  return t;
}
cell_synapses rs_cell() {
  const auto net = load_params("configs/zerlaut2018_network.toml").network;
  return cell_synapses::from(net.exc, net);
}

// The RS cell of Zerlaut 2018 (C 200 pF, g_L 10 nS, E_L -65 mV, Q_e 1 nS, Q_i 5 nS, E_e 0, E_i -80 mV) with unequal
// synaptic time constants, tau_e = 5 ms and tau_i = 10 ms, so that a term weighted by the wrong tau shows.
cell_synapses unequal_tau_cell() {
  cell_synapses c = rs_cell();
  c.tau_exc_ms = 5.0;
  c.tau_inh_ms = 10.0;
  return c;
}
}  // namespace

TEST_CASE("moments follow Campbell's theorem for shot-noise conductances", "[tf]") {
  const cell_synapses c = rs_cell();
  const transfer_function tf(c, rs_2018(), moments_formula::corrected);
  const double fe = 2000.0, fi = 500.0;  // Hz
  const moments m = tf.compute_moments(fe, fi);
  // mu_G = g_L + Q_e tau_e fe + Q_i tau_i fi = 10 + 1*5*2 + 5*5*0.5 = 32.5 nS
  CHECK(m.mu_g_nS == Approx(32.5).epsilon(1e-12));
  // mu_V = (10 * 0 + 12.5 * -80 + 10 * -65) / 32.5
  CHECK(m.mu_v_mV == Approx((12.5 * -80.0 + 10.0 * -65.0) / 32.5).epsilon(1e-12));
  const double tau_m = 200.0 / 32.5;
  const double ue = 1.0 * (0.0 - m.mu_v_mV) / 32.5, ui = 5.0 * (-80.0 - m.mu_v_mV) / 32.5;
  const double var = 2.0 * std::pow(ue * 5.0, 2) / (2 * (5.0 + tau_m)) + 0.5 * std::pow(ui * 5.0, 2) / (2 * (5.0 + tau_m));
  CHECK(m.sigma_v_mV == Approx(std::sqrt(var)).epsilon(1e-6));
  // Equal synaptic time constants: tau_V = tau_e + tau_m whatever the weights.
  CHECK(m.tau_v_ms == Approx(5.0 + tau_m).epsilon(1e-9));
  CHECK(m.tau_vn == Approx(m.tau_v_ms * 10.0 / 200.0).epsilon(1e-12));
}

TEST_CASE("the 2018 moments drop the inhibitory fluctuations (the (Q_i U_i)^2 slip)", "[tf]") {
  const cell_synapses c = rs_cell();
  const transfer_function corrected(c, rs_2018(), moments_formula::corrected);
  const transfer_function slip(c, rs_2018(), moments_formula::zerlaut2018);
  const moments a = corrected.compute_moments(2000.0, 500.0), b = slip.compute_moments(2000.0, 500.0);
  CHECK(a.mu_v_mV == b.mu_v_mV);
  CHECK(b.sigma_v_mV < a.sigma_v_mV);
  // With no excitatory input only inhibition fluctuates: the slip leaves (almost) nothing.
  CHECK(slip.compute_moments(0.0, 500.0).sigma_v_mV < 1e-3 * corrected.compute_moments(0.0, 500.0).sigma_v_mV);
}

TEST_CASE("adaptation and injected current shift mu_V by -W/mu_G and +I/mu_G", "[tf]") {
  const transfer_function tf(rs_cell(), rs_2018(), moments_formula::corrected);
  const moments base = tf.compute_moments(3000.0, 800.0);
  const moments with_w = tf.compute_moments(3000.0, 800.0, 50.0, 0.0);
  const moments with_i = tf.compute_moments(3000.0, 800.0, 0.0, 120.0);
  CHECK(with_w.mu_v_mV - base.mu_v_mV == Approx(-50.0 / base.mu_g_nS).epsilon(1e-9));
  CHECK(with_i.mu_v_mV - base.mu_v_mV == Approx(120.0 / base.mu_g_nS).epsilon(1e-9));
  CHECK(tf.rate_Hz(3000.0, 800.0, 50.0, 0.0) < tf.rate_Hz(3000.0, 800.0));
  CHECK(tf.rate_Hz(3000.0, 800.0, 0.0, 120.0) > tf.rate_Hz(3000.0, 800.0));
}

TEST_CASE("the rate is finite and non-negative for every input", "[tf]") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& th : {rs_2018(), fs_divolo()}) {
    for (const auto formula : {moments_formula::corrected, moments_formula::zerlaut2018}) {
      const transfer_function tf(rs_cell(), th, formula);
      const std::vector<double> rates = {0.0, 1e-12, 1.0, 1e3, 1e5, 1e8, 1e12, -5.0, inf, nan};
      const std::vector<double> currents = {0.0, -1e4, 1e4, 1e9, -1e9, nan, inf};
      for (const double fe : rates)
        for (const double fi : rates)
          for (const double w : currents) {
            const double f = tf.rate_Hz(fe, fi, w, -w);
            INFO("fe " << fe << " fi " << fi << " w " << w);
            CHECK(std::isfinite(f));
            CHECK(f >= 0.0);
          }
    }
  }
}

TEST_CASE("with no input at all the cell is silent (sigma_V -> 0)", "[tf]") {
  const transfer_function tf(rs_cell(), rs_2018(), moments_formula::corrected);
  const moments m = tf.compute_moments(0.0, 0.0);
  CHECK(m.mu_v_mV == Approx(-65.0));
  CHECK(m.sigma_v_mV < 1e-6);
  CHECK(tf.rate_Hz(0.0, 0.0) == 0.0);
}

// Reference: the double transfer function (itself checked against the formulas above), with the batch's documented
// tolerance (docs/meanfield.md): 1e-3 relative, or 1e-5 Hz in the far tail; mu_V 1e-5 relative. On the RS cell and on
// one with tau_e != tau_i (every config has them equal). Break tried: the batch's inv_ti = 1 / (tau_e + tau_m)
// (rate_Hz_batch) -> hundreds of the unequal cell's points off by > 1e-3, fails.
TEST_CASE("the float batch matches the double transfer function", "[tf]") {
  for (const auto& cell : {rs_cell(), unequal_tau_cell()})
  for (const auto& th : {rs_2018(), fs_divolo()}) {
    for (const auto formula : {moments_formula::corrected, moments_formula::zerlaut2018}) {
      const transfer_function tf(cell, th, formula);
      std::vector<float> fe, fi, w, i;
      for (double e = 0.0; e <= 12000.0; e += 400.0)
        for (double in = 0.0; in <= 4000.0; in += 250.0)
          for (double ww : {0.0, 60.0}) {
            fe.push_back(static_cast<float>(e));
            fi.push_back(static_cast<float>(in));
            w.push_back(static_cast<float>(ww));
            i.push_back(static_cast<float>(ww > 0 ? 30.0 : 0.0));
          }
      std::vector<float> out(fe.size()), mu_v(fe.size());
      tf.rate_Hz_batch(fe.data(), fi.data(), w.data(), i.data(), out.data(), mu_v.data(), fe.size());
      std::size_t n_alive = 0;
      for (std::size_t k = 0; k < fe.size(); ++k) {
        const double ref = tf.rate_Hz(fe[k], fi[k], w[k], i[k]);
        INFO("fe " << fe[k] << " fi " << fi[k] << " w " << w[k] << " ref " << ref << " batch " << out[k]);
        n_alive += ref > 1.0;
        // Tolerance: 1e-3 relative where the rate matters, 1e-5 Hz absolute in the far tail.
        CHECK(std::fabs(out[k] - ref) <= std::max(1e-3 * ref, 1e-5));
        CHECK(mu_v[k] == Approx(tf.compute_moments(fe[k], fi[k], w[k], i[k]).mu_v_mV).epsilon(1e-5));
      }
      CHECK(n_alive >= 10);  // the comparison covers rates that matter
    }
  }
}

TEST_CASE("the shipped own-fit transfer functions match direct single-cell simulation on held-out points",
          "[tf][fit]") {
  // Reference: engine::adex_step on independent cells with Poisson inputs (simulate_single_neurons), at points
  // of fit-tf's held-out grid (between the fit grid's values), with a seed fit-tf never used.
  // Tolerance: 0.5 Hz or 8% of the simulated rate, whichever is larger, tighter than the max(1 Hz, 15%)
  // (fit-tf's own warning): measured (an outside audit, 2026-12-06, this seed and seeds 1-5, 30 points), the worst
  // error is 0.69 of it, where the bound let both cells' thresholds (p0_V) shifted by +0.25 mV pass; now a
  // shift of -0.1 or +0.15 mV fails.
  const auto p = load_params("configs/zerlaut2018_meanfield.toml");
  REQUIRE(p.meanfield.has_value());
  const auto all = default_heldout_grid().points();
  std::vector<tf_point> points;
  for (std::size_t k = 0; k < all.size(); k += 5) points.push_back(all[k]);  // 15 of the 72
  single_neuron_options o;
  o.n_cells = 200;
  o.duration_ms = 3000.0;
  o.seed = 424242;
  for (const bool exc : {true, false}) {
    const auto& cell = exc ? p.network.exc : p.network.inh;
    const transfer_function tf(cell_synapses::from(cell, p.network), exc ? p.meanfield->exc : p.meanfield->inh,
                               p.meanfield->moments);
    const auto samples = simulate_grid(cell, p.network, p.simulation.dt_ms, points, o, 2);
    for (const tf_sample& s : samples) {
      const double f = tf.rate_Hz(s.fe_Hz, s.fi_Hz, 0.0, s.i_pA);
      INFO((exc ? "RS" : "FS") << " nu_e " << s.nu_e_Hz << " nu_i " << s.nu_i_Hz << " I " << s.i_pA << ": simulated "
                               << s.rate_Hz << " Hz, transfer function " << f << " Hz");
      CHECK(std::fabs(f - s.rate_Hz) <= std::max(0.5, 0.08 * s.rate_Hz));
    }
  }
}

namespace {

// docs/meanfield.md "Transfer function", written out in double from the formulas there (Zerlaut et al. 2018,
// Campbell's theorem): fe, fi in events per ms; inh_weight the factor on the inhibitory (U_i tau_i)^2 terms (1 for
// "corrected", (Q_i[S] / tau_i[s])^2 for "zerlaut2018", the 2018 code's SI slip).
struct reference_moments {
  double mu_g, mu_v, sigma_v, tau_v;
};
reference_moments zerlaut_moments(const cell_synapses& c, double fe_Hz, double fi_Hz, double inh_weight) {
  const double fe = fe_Hz / 1000.0, fi = fi_Hz / 1000.0;
  const double mu_ge = c.q_exc_nS * c.tau_exc_ms * fe, mu_gi = c.q_inh_nS * c.tau_inh_ms * fi;
  const double mu_g = c.g_l_nS + mu_ge + mu_gi;
  const double mu_v = (mu_ge * c.e_exc_mV + mu_gi * c.e_inh_mV + c.g_l_nS * c.e_l_mV) / mu_g;
  const double tau_m = c.c_pF / mu_g;
  const double a_e = fe * std::pow(c.q_exc_nS * (c.e_exc_mV - mu_v) / mu_g * c.tau_exc_ms, 2);
  const double a_i = fi * std::pow(c.q_inh_nS * (c.e_inh_mV - mu_v) / mu_g * c.tau_inh_ms, 2) * inh_weight;
  const double var = a_e / (2.0 * (c.tau_exc_ms + tau_m)) + a_i / (2.0 * (c.tau_inh_ms + tau_m));
  const double tau_v = (a_e + a_i) / (a_e / (c.tau_exc_ms + tau_m) + a_i / (c.tau_inh_ms + tau_m));
  return {mu_g, mu_v, std::sqrt(var) + 1e-9, tau_v};  // sigma_V: + the 2018 floor of 1e-12 V (docs/meanfield.md)
}
}  // namespace

// Reference: zerlaut_moments above, the formulas of docs/meanfield.md (Zerlaut et al. 2018) written independently in
// double, with tau_e = 5 ms != tau_i = 10 ms (every other test has them equal, where tau_V = tau_e + tau_m whatever
// the weights); sigma_V with the documented floor (+1e-12 V = 1e-9 mV). Tolerance 1e-9 relative: the code's 1e-9 Hz
// added to the rates in tau_V is ~1e-12 relative here, the rest is rounding. Break tried: the inhibitory term of tau_V's denominator divided by (tau_exc_ms + tau_m)
// (transfer_function.cpp, compute_moments) -> tau_V 9.4 ms against 12.8 ms at (2000, 500) Hz, fails; the same in the
// variance's inhibitory term -> sigma_V fails.
TEST_CASE("moments with tau_e != tau_i follow Zerlaut 2018's formulas term by term", "[tf]") {
  const cell_synapses c = unequal_tau_cell();
  for (const auto formula : {moments_formula::corrected, moments_formula::zerlaut2018}) {
    const transfer_function tf(c, rs_2018(), formula);
    const double slip = std::pow(c.q_inh_nS * 1e-9 / (c.tau_inh_ms * 1e-3), 2);
    for (const auto& [fe, fi] : {std::pair{2000.0, 500.0}, std::pair{6000.0, 300.0}, std::pair{500.0, 2500.0},
                                 std::pair{4000.0, 0.0}}) {
      CAPTURE(static_cast<int>(formula), fe, fi);
      const reference_moments ref = zerlaut_moments(c, fe, fi, formula == moments_formula::corrected ? 1.0 : slip);
      const moments m = tf.compute_moments(fe, fi);
      CHECK(m.mu_g_nS == Approx(ref.mu_g).epsilon(1e-12));
      CHECK(m.mu_v_mV == Approx(ref.mu_v).epsilon(1e-12));
      CHECK(m.sigma_v_mV == Approx(ref.sigma_v).epsilon(1e-9));
      CHECK(m.tau_v_ms == Approx(ref.tau_v).epsilon(1e-9));
      CHECK(m.tau_vn == Approx(ref.tau_v * c.g_l_nS / c.c_pF).epsilon(1e-9));
    }
  }
  // The case is not degenerate: with the corrected formula at (2000, 500) Hz tau_V lies strictly between
  // tau_e + tau_m and tau_i + tau_m (a weighted harmonic mean of the two), far from both.
  const transfer_function tf(c, rs_2018(), moments_formula::corrected);
  const moments m = tf.compute_moments(2000.0, 500.0);
  const double tau_m = c.c_pF / m.mu_g_nS;
  CHECK(m.tau_v_ms > c.tau_exc_ms + tau_m + 1.0);
  CHECK(m.tau_v_ms < c.tau_inh_ms + tau_m - 1.0);
}


// Outside the fitted domain (transfer_function.hpp; docs/meanfield.md, "Outside the fitted domain"). Reference: the
// physical argument that a more hyperpolarised cell cannot fire faster: with its inputs fixed, raising W (or lowering
// I) lowers mu_V and nothing else, so the rate must not rise. The fitted polynomial holds this only where it was
// fitted: Zerlaut 2018's procedure (and fit-tf's grid, mu_V >= -70 mV) samples synaptic inputs, which cannot take
// mu_V below E_inh; below it the unheld function turned up (RS, fe 5 Hz, fi 10 Hz per synapse: 0.24 Hz at W = 0,
// 3e-17 Hz at 3200 pA, 105.9 Hz at 1e4 pA; an outside audit). Checked on the shipped fits
// (configs/zerlaut2018_meanfield.toml), RS and FS, over fe 0.5-40 Hz x fi 0.5-40 Hz per synapse and W 0-30 nA (mu_V
// down to ~-1000 mV), in double (tolerance 1e-9 relative: rounding) and in the float batch (its documented 1e-3
// relative or 1e-5 Hz). Break tried: the hold removed from rate_Hz (the unheld erfc below E_inh) -> the double
// check fails (first at RS fe 0.5 Hz fi 0.5 Hz, mu_V just below -80 mV); removed from rate_Hz_batch (mu_fit = mu_v)
// -> the batch check fails (the rate rises with W for every input pair).
TEST_CASE("a more hyperpolarised cell cannot fire faster: the rate never rises with W, inside or outside the fit",
          "[tf][domain]") {
  const auto p = load_params("configs/zerlaut2018_meanfield.toml");
  const auto k = input_counts::from(p.network);
  for (const bool exc : {true, false}) {
    const transfer_function tf(cell_synapses::from(exc ? p.network.exc : p.network.inh, p.network),
                               exc ? p.meanfield->exc : p.meanfield->inh, p.meanfield->moments);
    std::size_t n_below = 0;
    for (const double fe : {0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0})
      for (const double fi : {0.5, 2.0, 5.0, 10.0, 20.0, 40.0}) {
        const double fe_total = k.k_exc * fe, fi_total = k.k_inh * fi;
        std::vector<float> fe_v, fi_v, w_v, i_v;
        for (double w = 0.0; w <= 30000.0; w += 25.0) {
          fe_v.push_back(static_cast<float>(fe_total));
          fi_v.push_back(static_cast<float>(fi_total));
          w_v.push_back(static_cast<float>(w));
          i_v.push_back(0.0f);
        }
        std::vector<float> batch(fe_v.size());
        tf.rate_Hz_batch(fe_v.data(), fi_v.data(), w_v.data(), i_v.data(), batch.data(), nullptr, fe_v.size());
        double prev = tf.rate_Hz(fe_total, fi_total, 0.0);
        for (std::size_t j = 1; j < w_v.size(); ++j) {
          const double w = w_v[j];
          const double f = tf.rate_Hz(fe_total, fi_total, w);
          n_below += tf.below_fitted_domain(tf.compute_moments(fe_total, fi_total, w));
          INFO((exc ? "RS" : "FS") << " fe " << fe << " fi " << fi << " Hz, W " << w << " pA, mu_V "
                                   << tf.compute_moments(fe_total, fi_total, w).mu_v_mV << " mV: " << prev << " -> "
                                   << f << " Hz (batch " << batch[j - 1] << " -> " << batch[j] << ")");
          if (!(f <= prev * (1.0 + 1e-9))) FAIL_CHECK("the double rate rose with W");
          if (!(batch[j] <= batch[j - 1] * (1.0f + 1e-3f) + 1e-5f)) FAIL_CHECK("the batch rate rose with W");
          prev = f;
        }
      }
    CHECK(n_below > 1000);  // the scan does go far outside the domain
  }
  // The audit's inputs: RS at fe 5, fi 10 Hz with W = 1e4 pA (was 105.9 Hz), FS at fe 1.87, fi 8.8 Hz with I = -3500
  // pA (was 62.8 Hz; its rate at I = 0 is ~1e-7 Hz). Both are far below E_inh: silent.
  const transfer_function rs(cell_synapses::from(p.network.exc, p.network), p.meanfield->exc, p.meanfield->moments);
  const transfer_function fs(cell_synapses::from(p.network.inh, p.network), p.meanfield->inh, p.meanfield->moments);
  CHECK(rs.rate_Hz(k.k_exc * 5.0, k.k_inh * 10.0, 1e4) < 1e-20);
  CHECK(fs.rate_Hz(k.k_exc * 1.87, k.k_inh * 8.8, 0.0, -3500.0) < 1e-20);
  CHECK(fs.rate_Hz(k.k_exc * 1.87, k.k_inh * 8.8, 0.0, -3500.0) <= fs.rate_Hz(k.k_exc * 1.87, k.k_inh * 8.8));
}

// The upper side (transfer_function.hpp; docs/meanfield.md, "Outside the fitted domain"). Reference: an AdEx cell has no
// depolarisation block: with its inputs fixed, more injected current I fires it at least as fast (the engine's
// network at +10 nA per cell on both populations fires 186 / 196 Hz, near 1/t_ref). The fitted polynomial's V_eff
// rises faster than mu_V above threshold, so the unheld rate fell back towards 0 (RS, fe 6, fi 9 Hz per synapse: 66 Hz
// at I = 1 nA, 0.14 Hz at 3 nA), the first fall over fe 0.2-60 x fi 0.5-80 Hz at mu_V -36.4 mV (RS) and -23.3 mV
// (FS). The edge (-33 mV) sits above fit-tf's grid, so below it the RS rate may dip before the hold: by at most
// 2.4 % of its running peak over that scan (fe 0.2, fi 14 Hz), 2.1 % on this test's grid; bound here 2.5 %. Checked on the shipped fits, RS and
// FS, fe 0.5-40 x fi 0.5-40 Hz per synapse, I 0-30 nA (mu_V up to ~+600 mV): above the edge never falling, double
// (1e-9 relative) and float batch (1e-3 relative or 1e-5 Hz); everywhere within 2.5 % of the running peak; and the
// saturation: at +30 nA the held rate is 1/tau_V(edge) (erfc = 2; 47-165 Hz over these inputs, where the cell's own
// bound is 1/t_ref = 200 Hz: a ceiling, not the cells' f-I curve). Break tried: the upper hold removed from
// fit_moments -> the double checks fail (the rate falls to ~0); removed from rate_Hz_batch (mu_fit = max(mu_v, min))
// -> the batch checks fail.
TEST_CASE("a more depolarised cell cannot fire slower: the rate never falls as I rises above the fit's edge",
          "[tf][domain]") {
  const auto p = load_params("configs/zerlaut2018_meanfield.toml");
  const auto k = input_counts::from(p.network);
  double worst_dip = 0.0;
  for (const bool exc : {true, false}) {
    const transfer_function tf(cell_synapses::from(exc ? p.network.exc : p.network.inh, p.network),
                               exc ? p.meanfield->exc : p.meanfield->inh, p.meanfield->moments);
    std::size_t n_above = 0;
    for (const double fe : {0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0})
      for (const double fi : {0.5, 2.0, 5.0, 10.0, 14.0, 20.0, 40.0}) {
        const double fe_total = k.k_exc * fe, fi_total = k.k_inh * fi;
        std::vector<float> fe_v, fi_v, w_v, i_v;
        for (double i = 0.0; i <= 30000.0; i += 25.0) {
          fe_v.push_back(static_cast<float>(fe_total));
          fi_v.push_back(static_cast<float>(fi_total));
          w_v.push_back(0.0f);
          i_v.push_back(static_cast<float>(i));
        }
        std::vector<float> batch(fe_v.size());
        tf.rate_Hz_batch(fe_v.data(), fi_v.data(), w_v.data(), i_v.data(), batch.data(), nullptr, fe_v.size());
        double prev = tf.rate_Hz(fe_total, fi_total), peak = prev;
        float peak_batch = batch[0];
        bool prev_above = false;
        for (std::size_t j = 1; j < i_v.size(); ++j) {
          const double i = i_v[j];
          const double f = tf.rate_Hz(fe_total, fi_total, 0.0, i);
          const bool above = tf.above_fitted_domain(tf.compute_moments(fe_total, fi_total, 0.0, i));
          n_above += above;
          peak = std::max(peak, f);
          peak_batch = std::max(peak_batch, batch[j]);
          worst_dip = std::max(worst_dip, 1.0 - f / peak);
          INFO((exc ? "RS" : "FS") << " fe " << fe << " fi " << fi << " Hz, I " << i << " pA, mu_V "
                                   << tf.compute_moments(fe_total, fi_total, 0.0, i).mu_v_mV << " mV: " << prev
                                   << " -> " << f << " Hz, peak " << peak << " (batch " << batch[j - 1] << " -> "
                                   << batch[j] << ", peak " << peak_batch << ")");
          if (above && prev_above && !(f >= prev * (1.0 - 1e-9))) FAIL_CHECK("the double rate fell as I rose");
          if (above && prev_above && !(batch[j] >= batch[j - 1] * (1.0f - 1e-3f) - 1e-5f))
            FAIL_CHECK("the batch rate fell as I rose");
          if (!(f >= 0.975 * peak)) FAIL_CHECK("the double rate dipped more than 2.5 % below its peak");
          if (!(batch[j] >= 0.975f * peak_batch - 1e-5f)) FAIL_CHECK("the batch rate dipped more than 2.5 %");
          prev = f;
          prev_above = above;
        }
        const moments edge = tf.fit_moments(fe_total, fi_total, 0.0, 30000.0);
        INFO("saturation at 30 nA: " << prev << " Hz against 1/tau_V(edge) = " << 1000.0 / edge.tau_v_ms << " Hz");
        CHECK(prev == Approx(1000.0 / edge.tau_v_ms).epsilon(1e-6));
      }
    CHECK(n_above > 1000);  // the scan does go far above the domain
  }
  CHECK(worst_dip > 0.01);  // the dip below the edge is there (2.1 % on this grid): the bound is not idle
}

// Inside the fitted domain (E_inh <= mu_V <= -33 mV) the rate is the published formula at the inputs' own moments,
// to 1e-12 (the holds change nothing there), and the held rate is continuous at both edges. Reference: F =
// erfc((V_eff(mu_V, sigma_V, tau_V) - mu_V) / (sqrt 2 sigma_V)) / (2 tau_V), Zerlaut 2018 Eq. 8, computed here from
// compute_moments and threshold_mV. Break tried: the edge at E_inh + 5 mV (fitted_domain_min_mu_v_mV) -> inputs with
// mu_V in [-80, -75) differ, fails; the upper edge at -38 mV (kDefaultFitMaxMuV_mV) -> inputs with mu_V in
// (-38, -33] differ, fails.
TEST_CASE("inside the fitted domain the rate is the fitted formula, and continuous at its edge", "[tf][domain]") {
  const auto p = load_params("configs/zerlaut2018_meanfield.toml");
  for (const bool exc : {true, false}) {
    const transfer_function tf(cell_synapses::from(exc ? p.network.exc : p.network.inh, p.network),
                               exc ? p.meanfield->exc : p.meanfield->inh, p.meanfield->moments, 0.1);
    std::size_t n_inside = 0, n_near_edge = 0, n_near_top = 0;
    for (double fe = 0.0; fe <= 16000.0; fe += 800.0)
      for (double fi = 0.0; fi <= 4000.0; fi += 200.0)
        for (const double w : {-500.0, 0.0, 100.0, 300.0, 600.0, 1000.0}) {
          const moments m = tf.compute_moments(fe, fi, w, 0.0, 1600.0);
          if (m.mu_v_mV < p.network.e_inh_mV) continue;  // the reversal itself, not the code's edge
          if (m.mu_v_mV > -33.0) continue;               // the documented default, not the code's edge
          ++n_inside;
          n_near_edge += m.mu_v_mV < -75.0;
          n_near_top += m.mu_v_mV > -38.0;
          INFO("fe " << fe << " fi " << fi << " W " << w << " mu_V " << m.mu_v_mV);
          const double want = transfer_function::rate_from_threshold_Hz(m, tf.threshold_mV(m));
          // 1e-12 relative, not ==: with -march=native the compiler may fuse a multiply-add differently where
          // compute_moments is inlined (seen: 1 ulp). Bit-identity with the code before the hold was checked apart
          // (docs/meanfield.md, "Outside the fitted domain").
          const double got = tf.rate_Hz(fe, fi, w, 0.0, 1600.0);
          if (!(std::fabs(got - want) <= 1e-12 * want)) FAIL_CHECK("the rate moved inside the domain");
          const moments f = tf.fit_moments(fe, fi, w, 0.0, 1600.0);
          if (!(f.mu_v_mV == m.mu_v_mV && f.sigma_v_mV == Approx(m.sigma_v_mV).epsilon(1e-12) &&
                f.tau_v_ms == Approx(m.tau_v_ms).epsilon(1e-12)))
            FAIL_CHECK("the fit is read elsewhere than the inputs' own moments inside the domain");
        }
    CHECK(n_inside > 1000);
    CHECK(n_near_edge > 10);
    CHECK(n_near_top > 10);
    // Continuity: W putting mu_V 1e-6 mV above and below E_inh (fe 5 Hz, fi 10 Hz per synapse: mu_G 45 nS).
    const double fe = 2000.0, fi = 1000.0;
    const moments at0 = tf.compute_moments(fe, fi);
    const double w_edge = (at0.mu_v_mV - tf.fitted_domain_min_mu_v_mV()) * at0.mu_g_nS;
    const double above = tf.rate_Hz(fe, fi, w_edge - 1e-6 * at0.mu_g_nS);
    const double below = tf.rate_Hz(fe, fi, w_edge + 1e-6 * at0.mu_g_nS);
    CHECK(tf.below_fitted_domain(tf.compute_moments(fe, fi, w_edge + 1e-6 * at0.mu_g_nS)));
    CHECK_FALSE(tf.below_fitted_domain(tf.compute_moments(fe, fi, w_edge - 1e-6 * at0.mu_g_nS)));
    CHECK(below <= above);
    CHECK(below == Approx(above).epsilon(1e-4));
    // The same at the upper edge, -33 mV, with a current I (W = 0).
    const double i_top = (tf.fitted_domain_max_mu_v_mV() - at0.mu_v_mV) * at0.mu_g_nS;
    const double under = tf.rate_Hz(fe, fi, 0.0, i_top - 1e-6 * at0.mu_g_nS);
    const double over = tf.rate_Hz(fe, fi, 0.0, i_top + 1e-6 * at0.mu_g_nS);
    CHECK(tf.above_fitted_domain(tf.compute_moments(fe, fi, 0.0, i_top + 1e-6 * at0.mu_g_nS)));
    CHECK_FALSE(tf.above_fitted_domain(tf.compute_moments(fe, fi, 0.0, i_top - 1e-6 * at0.mu_g_nS)));
    CHECK(over >= under);
    CHECK(over == Approx(under).epsilon(1e-4));
  }
}

// The fit judges the function the mean field reads (tf_fit.cpp): its Nelder-Mead cost and transfer_function_error
// both read rate_Hz's held form below E_inh. Reference: samples made by the shipped RS transfer function itself
// (configs/zerlaut2018_meanfield.toml) must be fitted back to it. 60 samples inside the fitted domain (nu_e 2-20 Hz
// x nu_i/nu_e 0.75-2.5 x I 0, -40, -80 pA: fit-tf's grid) plus three far below E_inh (I = -10 nA, mu_V ~ -280 mV;
// rate ~0 and no spikes, so outside the linear fit). Read with the held form the true P costs ~0 and the fit stays
// there (tolerance 1e-3 Hz on every sample); with the unheld erfc the true P reads ~106 Hz at those three, so the
// cost pulled P away and the in-domain rates with it. Break tried: the cost's moments back to compute_moments (the
// code before) -> the fitted function is off by 0.39 Hz inside the domain (cost 3.6e-4 against 1e-18), fails.
TEST_CASE("the transfer-function fit reads below E_inh as the mean field does (held at the edge)", "[tf][domain]") {
  const auto p = load_params("configs/zerlaut2018_meanfield.toml");
  const auto k = input_counts::from(p.network);
  const cell_synapses cell = cell_synapses::from(p.network.exc, p.network);
  const transfer_function truth(cell, p.meanfield->exc, p.meanfield->moments);
  std::vector<tf_sample> samples;
  auto add = [&](double nu_e, double nu_i, double i_pA, std::int64_t spikes) {
    tf_sample s;
    s.nu_e_Hz = nu_e, s.nu_i_Hz = nu_i, s.fe_Hz = k.k_exc * nu_e, s.fi_Hz = k.k_inh * nu_i, s.i_pA = i_pA;
    s.rate_Hz = truth.rate_Hz(s.fe_Hz, s.fi_Hz, 0.0, i_pA);
    s.spikes = spikes;
    samples.push_back(s);
  };
  for (const double nu_e : {2.0, 4.0, 7.0, 12.0, 20.0})
    for (const double r : {0.75, 1.25, 1.75, 2.5})
      for (const double i : {0.0, -40.0, -80.0}) add(nu_e, r * nu_e, i, 1000);
  for (const double nu_e : {3.0, 5.0, 8.0}) add(nu_e, 2.0 * nu_e, -10000.0, 0);
  for (const tf_sample& s : samples) REQUIRE(std::isfinite(s.rate_Hz));
  REQUIRE(truth.below_fitted_domain(truth.compute_moments(samples.back().fe_Hz, samples.back().fi_Hz, 0.0, -1e4)));
  REQUIRE(transfer_function::rate_from_threshold_Hz(truth.compute_moments(k.k_exc * 5.0, k.k_inh * 10.0, 0.0, -1e4),
                                                    truth.threshold_mV(truth.compute_moments(
                                                        k.k_exc * 5.0, k.k_inh * 10.0, 0.0, -1e4))) > 50.0);
  const fit_summary f = fit_threshold(cell, p.meanfield->exc.form, p.meanfield->moments, samples);
  const transfer_function fitted(cell, f.p, p.meanfield->moments);
  const tf_error e = transfer_function_error(fitted, samples, 1e-3, 0.0);
  INFO("linear points " << f.linear_points << ", cost " << f.refined_cost << ", max |F - F_true| " << e.max_abs_Hz
                        << " Hz at sample " << e.worst_index);
  CHECK(f.linear_points == 60);
  CHECK(e.max_abs_Hz < 1e-3);
}
