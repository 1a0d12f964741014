// The device's model_domain check on the ring of Zerlaut units (docs/device.md, "Domains of validity"): the
// mean field's transfer function was fitted with mu_V below threshold, so the device flags every unit whose
// excitatory mu_V passes device.ring_max_mu_v_mV (default: the exc cells' v_t_mV, -50 mV), counts them in the
// readout (ring_units_out_of_domain, ring_max_mu_v_mv) and publishes one ModelDomain event per excursion.
//
// Reference (analytic, Zerlaut et al. 2018 Sec. 2.3, Eq. 4, with di Volo et al. 2019's W and an injected I):
//   mu_Ge = Q_e tau_e f_e,  mu_Gi = Q_i tau_i f_i,  mu_G = g_L + mu_Ge + mu_Gi,
//   mu_V  = (mu_Ge E_e + mu_Gi E_i + g_L E_L - W + I) / mu_G,
// with f_e = K_e nu_e + K_d nu_drive and f_i = K_i nu_i (K_e = p N_e, K_i = p N_i: the network's in-degrees).
// A population current onto E reaches every unit alike, so with the config's afferent stimulus removed the ring
// stays homogeneous and each unit's lateral input is its own rate and mu_V follows from the unit's state
// (nu_e, nu_i, W_e) by the formula above, computed here from the config's parameters, not the engine's.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/engine.hpp"
#include "firmware_sim/device.hpp"
#include "io/config/config_loader.hpp"
#include "device_dc.hpp"
#include "test_support.hpp"

using namespace cortexloop;
namespace fw = firmware_sim;

namespace {

// The exc mu_V of a homogeneous ring unit, by the formula of the header.
double mu_v_exc_mV(const engine::network_params& n, double nu_e_Hz, double nu_i_Hz, double w_pA, double i_pA) {
  const double k_e = n.p_connect * static_cast<double>(n.n_exc()), k_i = n.p_connect * static_cast<double>(n.n_inh());
  const double f_e_per_ms = (k_e * nu_e_Hz + n.drive.k_exc * n.drive.rate_Hz) / 1000.0;
  const double f_i_per_ms = k_i * nu_i_Hz / 1000.0;
  const double mu_ge_nS = n.q_exc_nS * n.tau_exc_ms * f_e_per_ms, mu_gi_nS = n.q_inh_nS * n.tau_inh_ms * f_i_per_ms;
  const double mu_g_nS = n.exc.g_l_nS + mu_ge_nS + mu_gi_nS;
  return (mu_ge_nS * n.e_exc_mV + mu_gi_nS * n.e_inh_mV + n.exc.g_l_nS * n.exc.e_l_mV - w_pA + i_pA) / mu_g_nS;
}

}  // namespace

// The ring alone (configs/zerlaut2018_ring.toml without its afferent stimulus, 100 units), 700 pA onto E from 500 to
// 3500 ms. At the end of the rest (499 ms), of the pulse (3499 ms, W settled) and 3 s after it, the device's
// ring_max_mu_v_mv equals the analytic mu_V (within 1e-3 mV; measured <= 7e-5 mV: the ring computes in float), the
// units are flagged exactly when that mu_V is above the bound (all 100 under the current: mu_V -48.9 mV; none at
// rest: -56.3 mV); one ModelDomain event for the excursion, naming the bound, during the pulse.
// Seen to fail: with device::observe not calling check_ring_domain, 0 units against 100 and no event; with
// check_ring_domain keeping the lowest mu_V instead of the highest, ring_max_mu_v_mv misses the analytic value.
TEST_CASE("the device flags Zerlaut ring units whose exc mu_V passes the fitted range, as the formula gives it",
          "[ring][device][domain]") {
  engine::engine_params p = testing::load_params("configs/zerlaut2018_ring.toml");
  REQUIRE(p.ring);
  // Without the config's afferent stimulus the ring stays homogeneous (its wake takes seconds to fade: W's tau_w
  // is 500 ms), so each unit's lateral input is its own rate.
  p.ring->afferent.clear();
  REQUIRE(p.ring->currents.empty());
  const engine::network_params& net = p.network;
  constexpr double kCurrent_pA = 700.0;
  constexpr int kStart_ms = 500, kStop_ms = 3500, kSettle_ms = 2999;

  fw::device dev(io::load_device_config(testing::source_path("configs/zerlaut2018_ring.toml"), {}, p));
  engine::engine eng(p);
  REQUIRE(eng.ring() != nullptr);
  eng.set_external_current(&dev);
  testing::load_population_dc(dev, 0, kCurrent_pA, kStart_ms, kStop_ms - kStart_ms, p.simulation.dt_ms);
  const double bound_mV = net.exc.v_t_mV;  // the default of device.ring_max_mu_v_mV

  std::vector<fw::safety_event> events;
  const auto check_homogeneous_state = [&](double i_pA, bool expect_out, const fw::device_readout& d) {
    const engine::meanfield::ring& r = *eng.ring();
    const auto [lo, hi] = std::minmax_element(r.rates_exc_Hz().begin(), r.rates_exc_Hz().end());
    REQUIRE(*hi - *lo < 1e-3 * std::max(1.0f, *hi));  // homogeneous: lateral input = own rate
    const double mu = mu_v_exc_mV(net, r.rates_exc_Hz()[0], r.rates_inh_Hz()[0], r.w_exc_pA()[0], i_pA);
    INFO("analytic mu_V " << mu << " mV (difference " << d.ring_max_mu_v_mV - mu << "), device's highest " << d.ring_max_mu_v_mV << " mV, bound " << bound_mV);
    CHECK(std::abs(d.ring_max_mu_v_mV - mu) < 1e-3);  // measured agreement <= 7e-5 mV (float ring, still relaxing)
    CHECK((mu > bound_mV) == expect_out);
    CHECK(d.ring_units_out_of_domain == (expect_out ? r.n_units() : 0u));
  };
  for (int t = 0; t < kStop_ms + kSettle_ms + 1; ++t) {
    engine::tick_readout r;
    fw::device_readout d;
    eng.tick(r);
    dev.finish_tick(d);
    for (std::uint32_t i = 0; i < d.n_events; ++i)
      if (d.events[i].verdict.limit == fw::safety_limit::model_domain) events.push_back(d.events[i]);
    INFO("tick " << t);
    if (t == kStart_ms - 1) check_homogeneous_state(0.0, false, d);
    if (t == kStop_ms - 1) check_homogeneous_state(kCurrent_pA, true, d);
    if (t == kStop_ms + kSettle_ms) check_homogeneous_state(0.0, false, d);
  }
  REQUIRE(events.size() == 1);
  const fw::safety_verdict& v = events[0].verdict;
  CHECK(v.domain == fw::domain_quantity::ring_mu_v_mV);
  CHECK(v.bound == bound_mV);
  CHECK(v.value > v.bound);
  CHECK(events[0].step >= kStart_ms * 10);
  CHECK(events[0].step < kStop_ms * 10);
}
