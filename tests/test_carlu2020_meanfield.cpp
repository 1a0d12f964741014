// The mean field of Carlu et al. 2020 (J Neurophysiol 123:1042) for their Hodgkin-Huxley RS-FS network, CONFIG1
// (configs/carlu2020/meanfield.toml), against the authors' code (ModelDB 263259): their transfer-function template
// (transfer_functions/theoretical_tools.py: TF_my_template, P4 multiplied by 0) with their fitted coefficients
// (transfer_functions/data/HH_RS_CONFIG1_fit.npy, HH_FS_CONFIG1_fit.npy), and their first-order master equation
// (mean_field/master_equation.py: T dnu/dt = F(nu_e + nu_aff, nu_i) - nu, T = 5 ms, nu_aff = 4 Hz onto the
// excitatory input of both populations, every input Poisson).
//
// Reference values: the authors' own functions and coefficients (ModelDB 263259: TF_my_template and
// find_fixed_point), run on 2026-12-05 by an outside check (numba stubbed out; find_fixed_point's Euler integration
// run to convergence, >= 100 ms, where its __main__ stops at 20 ms), not this engine:
// F_RS / F_FS at (Fe, Fi) = (4, 0) 12.73396 / 45.88036 Hz, (4, 5) 1.49368358 / 10.79822, (8, 5) 19.22132 / 63.23458,
// (12, 10) 22.35711 / 68.36445 (Fe, Fi: per-synapse rates, 400 and 100 synapses); the first-order fixed point
// nu_e 1.22316, nu_i 7.70516 Hz; the second-order one (Ne 8000, Ni 2000) 1.230700 / 7.731210 Hz. At the first-order
// point the RS cell has mu_V -55.2 mV, sigma_V 3.8 mV, tau_V g_L / C 0.50, V_eff -46.6 mV (to the digits given).
// Tolerance: half a unit of each reference's last printed digit (their only precision; the engine agrees with the
// authors' code to ~1e-8 where more digits were printed).
// Break tried: p5_V and p6_V of [meanfield.exc] swapped in the config -> (4, 0) RS 8.36 Hz, 5 checks fail; p4_V set to
// the file's 0.0058 (the ln(mu_G/g_L) term on, which the authors multiply by 0) -> 10 checks fail; the second-order
// case run at first order -> 1.2232 against 1.2307 Hz: fails. (The master equation's derivative step 1e-3 -> 1e-2 Hz
// moves the second-order rates by less than 5e-7 Hz: this test does not pin the step.)
#include <cmath>
#include <iomanip>
#include <string>

#include <catch2/catch.hpp>

#include "engine/meanfield/master_equation.hpp"
#include "carlu2020_config1.hpp"
#include "test_support.hpp"

using namespace cortexloop::engine::meanfield;
using cortexloop::testing::load_params;

namespace {

constexpr const char* kConfig = "configs/carlu2020/meanfield.toml";

// |x - ref| within half a unit of ref's last printed digit (digit: that unit, e.g. 0.1 for "45.9").
bool within_digit(double x, double ref, double digit) { return std::abs(x - ref) <= 0.5 * digit + 1e-12; }

}  // namespace

TEST_CASE("Carlu 2020 config: the network section holds CONFIG1's passive cells, synapses and drive",
          "[meanfield][carlu2020][config]") {
  // The mean field takes these from [network] (the base config); each is Carlu's value (ModelDB 263259,
  // single_cell_models/cell_library.py HH_RS / HH_FS, synapses_and_connectivity/syn_and_connec_library.py CONFIG1).
  const auto p = load_params(kConfig);
  cortexloop::testing::check_carlu_config1(p.network, p.network.exc, p.network.inh);
  REQUIRE(p.meanfield);
  CHECK(p.meanfield->order == 1);
  CHECK(p.meanfield->t_ms == 5.0);
  CHECK_FALSE(p.meanfield->adaptation);
  CHECK(p.meanfield->moments == moments_formula::corrected);
  CHECK(p.meanfield->exc.p_V[4] == 0.0);  // the authors' 0 * P4
  CHECK(p.meanfield->inh.p_V[4] == 0.0);
}

TEST_CASE("Carlu 2020 transfer functions match the authors' template and fits at four inputs",
          "[meanfield][carlu2020][reference]") {
  const auto p = load_params(kConfig);
  REQUIRE(p.meanfield);
  const double k_exc = 400.0, k_inh = 100.0;  // (1 - gei) p Ntot, gei p Ntot
  const transfer_function rs(cell_synapses::from(p.network.exc, p.network), p.meanfield->exc, p.meanfield->moments);
  const transfer_function fs(cell_synapses::from(p.network.inh, p.network), p.meanfield->inh, p.meanfield->moments);
  struct point {
    double fe_Hz, fi_Hz, rs_Hz, fs_Hz;
  };
  for (const point& x : {point{4, 0, 12.73396, 45.88036}, point{4, 5, 1.49368358, 10.79822},
                         point{8, 5, 19.22132, 63.23458}, point{12, 10, 22.35711, 68.36445}}) {
    const double f_rs = rs.rate_Hz(k_exc * x.fe_Hz, k_inh * x.fi_Hz), f_fs = fs.rate_Hz(k_exc * x.fe_Hz, k_inh * x.fi_Hz);
    INFO(std::setprecision(10) << "(Fe, Fi) = (" << x.fe_Hz << ", " << x.fi_Hz << ") Hz: RS " << f_rs << " (authors " << x.rs_Hz << "), FS "
                        << f_fs << " (authors " << x.fs_Hz << ")");
    CHECK(within_digit(f_rs, x.rs_Hz, x.rs_Hz < 10 ? 1e-8 : 1e-5));
    CHECK(within_digit(f_fs, x.fs_Hz, 1e-5));
  }
}

TEST_CASE("Carlu 2020 first-order spontaneous state matches the authors' fixed point", "[meanfield][carlu2020][reference]") {
  const auto p = load_params(kConfig);
  REQUIRE(p.meanfield);
  master_equation me(*p.meanfield, p.network, 0.0);  // 0: a Poisson drive, as the authors' mean field
  meanfield_inputs in;
  in.drive_Hz = p.network.drive.rate_Hz;
  me.settle(in, 3000.0, 0.05);
  const meanfield_readout r = me.readout(in);
  const moments m = me.moments_exc(in);
  const double v_eff_mV = me.tf_exc().threshold_mV(m);
  INFO(std::setprecision(10) << "nu_e " << r.nu_e_Hz << " Hz, nu_i " << r.nu_i_Hz << " Hz; RS mu_V " << m.mu_v_mV << " mV, sigma_V "
               << m.sigma_v_mV << " mV, tau_VN " << m.tau_vn << ", V_eff " << v_eff_mV << " mV");
  CHECK(me.diverged() == 0);
  CHECK(within_digit(r.nu_e_Hz, 1.22316, 1e-5));
  CHECK(within_digit(r.nu_i_Hz, 7.70516, 1e-5));
  CHECK(within_digit(m.mu_v_mV, -55.2, 0.1));
  CHECK(within_digit(m.sigma_v_mV, 3.8, 0.1));
  CHECK(within_digit(m.tau_vn, 0.50, 0.01));
  CHECK(within_digit(v_eff_mV, -46.6, 0.1));
}

TEST_CASE("Carlu 2020 second-order spontaneous state matches the authors' fixed point", "[meanfield][carlu2020][reference]") {
  const auto p = load_params(kConfig);
  REQUIRE(p.meanfield);
  meanfield_params mf = *p.meanfield;
  mf.order = 2;  // the authors' find_fixed_point: El Boustani & Destexhe's second order, Ne 8000, Ni 2000
  master_equation me(mf, p.network, 0.0);
  meanfield_inputs in;
  in.drive_Hz = p.network.drive.rate_Hz;
  me.settle(in, 3000.0, 0.05);
  const meanfield_readout r = me.readout(in);
  INFO(std::setprecision(10) << "nu_e " << r.nu_e_Hz << " Hz, nu_i " << r.nu_i_Hz << " Hz");
  CHECK(me.diverged() == 0);
  CHECK(within_digit(r.nu_e_Hz, 1.230700, 1e-6));
  CHECK(within_digit(r.nu_i_Hz, 7.731210, 1e-6));
}
