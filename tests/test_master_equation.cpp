// The master equation (engine/meanfield/master_equation.hpp) against the published numbers of Zerlaut et al.
// 2018 (their code, ModelDB 234992): with the notebook's P set and the 2018 moments, no
// adaptation, drive 4 Hz, the authors' notebook prints the first-order fixed point 2.457 / 9.641 Hz and the
// second-order one 2.459 / 9.664 Hz (c_ee 0.0978, c_ei 0.118, c_ii 0.253 Hz^2).
// Tolerances: measured (2026-12-03) 2.4572 / 9.6406 (first order) and 2.4596 / 9.6638 Hz (second), at most
// 2.5e-4 off the notebook's 4 digits; c_ee 0.09764, c_ei 0.11774, c_ii 0.25236 Hz^2, at most 2.5e-3 off its 3
// digits (the covariances depend on the derivative step). Bounds about 4 x those: 0.1 % for the rates, 1 % for
// the covariances (they were 1 % and 5 %). Break tried: the transfer function's 1 / (2 tau_V) x 1/1.01
// (engine/meanfield/transfer_function.cpp) -> the rates move 0.3 %, c_ii 0.8 %: passed 1 % and 5 %, fail 0.1 %.
#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "engine/meanfield/master_equation.hpp"
#include "test_support.hpp"

using namespace cortexloop::engine::meanfield;
using cortexloop::testing::load_params;

namespace {

// The "notebook re-fit" sets (ModelDB 234992, data/RS-cell_CONFIG1_fit.npy and its FS sibling), in volts.
meanfield_params notebook_2018(int order) {
  meanfield_params p;
  p.order = order;
  p.t_ms = 5.0;
  p.moments = moments_formula::zerlaut2018;
  p.adaptation = false;
  p.exc.form = p.inh.form = polynomial_form::zerlaut2018;
  p.exc.p_V = {-0.0547150805, 0.0076445378, -0.0046272289, 0.0017128315, -0.000107109, 0.0007205448,
               -0.0020046368, 0.0001175637, 0.0056132586, -0.0009943616, -0.0028760436};
  p.inh.p_V = {-0.05391744359, 0.0040764270125, 0.0016974703617, 0.00091186938566, -0.000034349649434,
               0.00050030713560, 0.000065231411176, 0.000024249803065, -0.0023432787017, -0.00011571298931,
               0.00014840258674};
  return p;
}

meanfield_readout settle(master_equation& me, double drive_Hz) {
  meanfield_inputs in;
  in.drive_Hz = drive_Hz;
  me.settle(in, 3000.0, 0.05);
  return me.readout(in);
}

}  // namespace

TEST_CASE("first-order fixed point with the 2018 notebook P matches the authors' notebook within 0.1%",
          "[meanfield][reference]") {
  const auto net = load_params("configs/zerlaut2018_network.toml").network;
  master_equation me(notebook_2018(1), net);
  const auto r = settle(me, 4.0);
  CHECK(r.nu_e_Hz == Approx(2.457).epsilon(0.001));
  CHECK(r.nu_i_Hz == Approx(9.641).epsilon(0.001));
}

TEST_CASE("second-order fixed point with the 2018 notebook P matches the authors' notebook within 0.1%",
          "[meanfield][reference]") {
  const auto net = load_params("configs/zerlaut2018_network.toml").network;
  master_equation me(notebook_2018(2), net);
  const auto r = settle(me, 4.0);
  CHECK(r.nu_e_Hz == Approx(2.459).epsilon(0.001));
  CHECK(r.nu_i_Hz == Approx(9.664).epsilon(0.001));
  // The covariances are printed to 3 digits in the notebook; they depend on the derivative step: 1 % (above).
  CHECK(r.c_ee_Hz2 == Approx(0.0978).epsilon(0.01));
  CHECK(r.c_ei_Hz2 == Approx(0.118).epsilon(0.01));
  CHECK(r.c_ii_Hz2 == Approx(0.253).epsilon(0.01));
}

TEST_CASE("the [meanfield] section is read strictly", "[meanfield][config]") {
  const auto p = load_params("configs/zerlaut2018_meanfield.toml");
  REQUIRE(p.meanfield.has_value());
  CHECK(p.meanfield->order == 2);
  CHECK(p.meanfield->t_ms == 5.0);
  CHECK(p.meanfield->moments == moments_formula::corrected);
  CHECK(p.meanfield->adaptation);
  const std::string cfg = "configs/zerlaut2018_meanfield.toml";
  using Catch::Contains;
  CHECK_THROWS_WITH(load_params(cfg, {"meanfield.order=3"}), Contains("meanfield.order") && Contains("[1, 2]"));
  // A ring's units are first order (engine/meanfield/ring.hpp): order 2 there changed nothing and was recorded as if
  // it had (an outside audit, 2026-12-07). Reference: Zerlaut et al. 2018, Sec. 2.6 (the ring's first-order units).
  // Break tried: the check removed from read_params -> order 2 loads.
  CHECK(load_params("configs/zerlaut2018_ring.toml").meanfield->order == 1);
  CHECK_THROWS_WITH(load_params("configs/zerlaut2018_ring.toml", {"meanfield.order=2"}),
                    Contains("meanfield.order = 2: a [ring]'s units are first-order mean fields"));
  CHECK_THROWS_WITH(load_params(cfg, {"meanfield.moments=theory"}), Contains("meanfield.moments"));
  CHECK_THROWS_WITH(load_params(cfg, {"meanfield.adaptation=yes"}), Contains("meanfield.adaptation"));
  // A 10-term table has no p10_V.
  CHECK_THROWS_WITH(load_params(cfg, {"meanfield.exc.form=divolo2019"}),
                    Contains("meanfield.exc.p10_V") && Contains("unknown key"));
  CHECK_THROWS_WITH(load_params(cfg, {"meanfield.inh.p3_V=2.0"}), Contains("meanfield.inh.p3_V"));
  CHECK_THROWS_WITH(load_params(cfg, {"meanfield.t_ms=0"}), Contains("meanfield.t_ms"));
  CHECK_THROWS_WITH(load_params(cfg, {"meanfield.extra=1"}), Contains("meanfield.extra") && Contains("unknown key"));
}

// How T enters the update (Zerlaut et al. 2018, Eq. 9, first order: T dnu/dt = F(nu) - nu). With no recurrent
// connections (p_connect = 0: K_e = K_i = 0) and no adaptation, F depends on the drive alone and is constant, so the
// analytic solution is nu(t) - F = (nu(0) - F) exp(-t/T): a relaxation with time constant T whatever F is. The second
// order has the same nu equation there (F's derivatives in nu are 0). Measured: the time constant
// tau = -t / ln((nu(t) - F)/(nu(0) - F)) from nu(0) = F + 20 Hz over t = 2 T, F the rate after 60 T. Forward Euler
// gives tau = -dt / ln(1 - dt/T) = T - dt/2 + O(dt^2/T) (the integrator's first order), so the bound is
// T - dt <= tau <= T, at T = 5 and 10 ms, dt = 0.01 ms. Break tried: dt/(2T) in place of dt/T in step_order
// (engine/meanfield/master_equation.cpp) -> tau = 2T - dt/2, fails.
TEST_CASE("the mean field relaxes toward a constant F with time constant T (first and second order)",
          "[meanfield][analytic]") {
  auto net = load_params("configs/zerlaut2018_network.toml").network;
  net.p_connect = 0.0;
  meanfield_inputs in;
  in.drive_Hz = 1.0;                   // alone: F_e 0.9, F_i 1.0 Hz (mu_V -54 mV)
  in.i_exc_pA = in.i_inh_pA = 50.0;    // F_e 13.0, F_i 14.8 Hz (mu_V -50 mV: inside the fitted domain)
  const double dt = 0.01;
  for (const int order : {1, 2}) {
    for (const double t_ms : {5.0, 10.0}) {
      auto mf = load_params("configs/zerlaut2018_meanfield.toml").meanfield.value();
      mf.order = order;
      mf.t_ms = t_ms;
      mf.adaptation = false;
      master_equation me(mf, net);
      me.settle(in, 60.0 * t_ms, dt);  // nu -> F (60 T; the second half at the configured order)
      const double fe = me.state().nu_e_Hz, fi = me.state().nu_i_Hz;
      REQUIRE(fe > 1.0);
      REQUIRE(fi > 1.0);
      meanfield_state s0;
      s0.nu_e_Hz = fe + 20.0;
      s0.nu_i_Hz = fi + 20.0;
      me.set_state(s0);
      const auto steps = static_cast<int>(std::lround(2.0 * t_ms / dt));
      for (int k = 0; k < steps; ++k) me.step(dt, in);
      const double tau_e = -2.0 * t_ms / std::log((me.state().nu_e_Hz - fe) / 20.0);
      const double tau_i = -2.0 * t_ms / std::log((me.state().nu_i_Hz - fi) / 20.0);
      INFO("order " << order << ", T " << t_ms << " ms: F_e " << fe << ", F_i " << fi << " Hz; tau_e " << tau_e
                    << ", tau_i " << tau_i << " ms");
      CHECK(tau_e <= t_ms);
      CHECK(tau_e >= t_ms - dt);
      CHECK(tau_i <= t_ms);
      CHECK(tau_i >= t_ms - dt);
    }
  }
}
