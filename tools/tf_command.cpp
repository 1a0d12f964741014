#include "tools/tf_command.hpp"

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/meanfield/master_equation.hpp"
#include "engine/meanfield/transfer_function.hpp"
#include "io/config/config_loader.hpp"
#include "io/config/config_meanfield.hpp"
#include "tools/command_line_error.hpp"
#include "tools/default_config.hpp"
#include "tools/number_checks.hpp"
#include "tools/option_override.hpp"

namespace cortexloop::tools {

namespace {

struct tf_options {
  std::string config = default_config("zerlaut2018_meanfield.toml");
  std::string cell = "exc";
  double fe_Hz = 0, fi_Hz = 0, w_pA = 0, i_pA = 0;
  std::vector<std::string> overrides;
};

int run_tf(const tf_options& o) {
  check_keys_given_once(o.overrides);
  const engine::engine_params p = io::load_config(o.config, o.overrides, io::config_use::cells_only);
  if (!p.meanfield)
    throw io::config_error(o.config + ": no [meanfield] section (transfer-function coefficients)" +
                           (p.network.cells == engine::cell_model::hh
                                ? "; the mean field of Carlu's HH network is configs/carlu2020/meanfield.toml"
                                : ""));
  namespace mf = engine::meanfield;
  const bool exc = o.cell == "exc";
  const mf::transfer_function tf(mf::cell_synapses::from(exc ? p.network.exc : p.network.inh, p.network),
                                 exc ? p.meanfield->exc : p.meanfield->inh, p.meanfield->moments);
  const mf::input_counts k = mf::input_counts::from(p.network);
  const double fe_total = k.k_exc * o.fe_Hz, fi_total = k.k_inh * o.fi_Hz;
  const mf::moments m = tf.compute_moments(fe_total, fi_total, o.w_pA, o.i_pA);
  // Below the fitted domain (mu_V < E_inh) the rate reads the fit at its edge (transfer_function.hpp): the V_eff
  // printed is the one the rate used.
  const mf::moments fit = tf.fit_moments(m, fe_total, fi_total);
  const double v_eff = tf.threshold_mV(fit);
  // Finite inputs can still overflow the moments (--i-pA 1e308 gave mu_V 2e306 mV, sigma_V inf, v_eff nan and a
  // rate of 0 with exit 0): refused as a wrong command line, naming the inputs, rather than printed as a result.
  if (!std::isfinite(m.mu_v_mV) || !std::isfinite(m.sigma_v_mV) || !std::isfinite(m.tau_v_ms) ||
      !std::isfinite(v_eff)) {
    char what[320];
    std::snprintf(what, sizeof what,
                  "tf: --fe-Hz %g --fi-Hz %g --w-pA %g --i-pA %g overflow the moments (mu_V = %g mV, sigma_V = %g "
                  "mV, V_eff = %g mV): give inputs within float range of a cell (currents of at most a few nA)",
                  o.fe_Hz, o.fi_Hz, o.w_pA, o.i_pA, m.mu_v_mV, m.sigma_v_mV, v_eff);
    throw command_line_error(what);
  }
  std::printf("cell=%s\n", o.cell.c_str());
  std::printf("rate_Hz=%.9g\n", tf.rate_Hz(fe_total, fi_total, o.w_pA, o.i_pA));
  std::printf("mu_v_mV=%.9g\n", m.mu_v_mV);
  std::printf("sigma_v_mV=%.9g\n", m.sigma_v_mV);
  std::printf("tau_v_ms=%.9g\n", m.tau_v_ms);
  std::printf("tau_vn=%.9g\n", m.tau_vn);
  std::printf("mu_g_nS=%.9g\n", m.mu_g_nS);
  std::printf("v_eff_mV=%.9g\n", v_eff);
  std::printf("fe_total_Hz=%.9g\n", fe_total);
  std::printf("fi_total_Hz=%.9g\n", fi_total);
  std::printf("moments=%s\n", p.meanfield->moments == mf::moments_formula::corrected ? "corrected" : "zerlaut2018");
  if (tf.below_fitted_domain(m) || tf.above_fitted_domain(m)) {  // where the fit was read: the domain's edge
    std::printf("fit_mu_v_mV=%.9g\n", fit.mu_v_mV);
    std::printf("fit_sigma_v_mV=%.9g\n", fit.sigma_v_mV);
    std::printf("fit_tau_v_ms=%.9g\n", fit.tau_v_ms);
  }
  // The fit's points are fluctuation-driven (mu_V below the exponential term's threshold); above it the erfc form
  // is extrapolated; above the fit's upper edge (max_mu_v_mV), where the unheld fit's rate falls again, it is read at
  // that edge (the hold, transfer_function.hpp). The device flags ring units from v_t (device.ring_max_mu_v_mV, default the cells' v_t_mV).
  const double v_t_mV = (exc ? p.network.exc : p.network.inh).v_t_mV;
  // Below the inhibitory reversal no synaptic input can take mu_V (with W = I = 0 it is a weighted mean of E_L,
  // E_e and E_i); only a W or I far beyond the fit's puts it there, where the fitted polynomial's V_eff runs off
  // quadratically (--w-pA 1e20 printed 104 Hz as "in_fitted_regime=true"). There the rate is the fit's edge
  // (mu_V = E_inh) shifted down by the mean (transfer_function.hpp): monotone, but not a fitted value.
  const double e_inh_mV = p.network.e_inh_mV;
  // A P set fitted for another cell model (fitted_for: Carlu 2020's HH cells) is not judged by the AdEx v_t of
  // [network], which its cells do not have ("outside the fitted regime" at (4, 0) Hz, where the authors evaluate
  // their function: an outside check, 2026-12-06).
  const mf::threshold_params& fitted = exc ? p.meanfield->exc : p.meanfield->inh;
  const bool above = m.mu_v_mV >= v_t_mV && fitted.fitted_for.empty();
  const bool below = tf.below_fitted_domain(m), held = tf.above_fitted_domain(m);
  // Such a set without an upper edge (max_mu_v_mV = inf, as Carlu's: theirs everywhere) has no bound tf could judge
  // above E_inh: it said "true" for Fe = 1e9 Hz, mu_V -0.0001 mV (an outside audit, 2026-12-06).
  const bool unjudged = !fitted.fitted_for.empty() && !std::isfinite(tf.fitted_domain_max_mu_v_mV());
  std::printf("in_fitted_regime=%s\n", above || below || held ? "false" : unjudged ? "unknown" : "true");
  // Whether P was fitted for this config's cell ([meanfield.<cell>.fitted_cell]; unknown without that table), or
  // for another cell model (fitted_for).
  // Not said for a set fitted for another cell model, which nothing compares (it read "true": an outside re-check).
  if (fitted.fitted_for.empty())
    std::printf("fit_cell_matches=%s\n", fitted.fitted_cell_differs.empty() ? "true" : "false");
  else
    std::printf("fitted_for=%s\n", fitted.fitted_for.c_str());
  if (const std::string note = io::meanfield_fit_note(exc ? "exc" : "inh", fitted); !note.empty())
    std::fprintf(stderr, "tf: note: %s\n", note.c_str());
  if (above)
    std::fprintf(stderr,
                 "tf: note: mu_V = %.4g mV is at or above this config's network.%s.v_t_mV (%.4g mV): outside the "
                 "fluctuation-driven regime the transfer function was fitted in, so rate_Hz is the fit extrapolated, "
                 "not a prediction (docs/device.md, \"Domains of validity\")\n",
                 m.mu_v_mV, exc ? "exc" : "inh", v_t_mV);
  if (held)
    std::fprintf(stderr,
                 "tf: note: mu_V = %.4g mV is above meanfield.%s.max_mu_v_mV (%.4g mV), the fit's upper edge, where the "
                 "unheld fit falls back towards 0 Hz: rate_Hz is read at that edge (V_eff, sigma_V, tau_V at mu_V = "
                 "%.4g mV: fit_*) with the mean mu_V, a ceiling of 1/tau_V within a few mV, not the cells' f-I curve "
                 "(docs/meanfield.md, \"Outside the fitted domain\")\n",
                 m.mu_v_mV, exc ? "exc" : "inh", tf.fitted_domain_max_mu_v_mV(), tf.fitted_domain_max_mu_v_mV());
  if (below)
    std::fprintf(stderr,
                 "tf: note: mu_V = %.4g mV is below the inhibitory reversal e_inh_mV (%.4g mV), where no synaptic "
                 "input can hold it: W or I is far outside the fit's range, so rate_Hz is the fit extrapolated, not a "
                 "prediction: read at the domain's edge (V_eff, sigma_V, tau_V at mu_V = e_inh_mV: fit_*) with the "
                 "mean mu_V, it falls as mu_V falls (docs/meanfield.md, \"Outside the fitted domain\")\n",
                 m.mu_v_mV, e_inh_mV);
  return 0;
}

}  // namespace

void add_tf_command(CLI::App& app) {
  auto o = std::make_shared<tf_options>();
  CLI::App* cmd = app.add_subcommand(
      "tf", "Evaluate the mean-field transfer function F(fe, fi, W, I) of one cell type; prints key=value lines "
            "(rate_Hz, mu_v_mV, sigma_v_mV, tau_v_ms, ..., in_fitted_regime: mu_V between the "
            "inhibitory reversal and the cell's v_t_mV, else a note on stderr says the rate is extrapolated; "
            "unknown above E_inh for a fit made for other cells (fitted_for) without a max_mu_v_mV)");
  cmd->add_option("--config", o->config, "TOML config with a [meanfield] section")
      ->check(CLI::ExistingFile)
      ->capture_default_str();
  cmd->add_option("--cell", o->cell, "Cell type: exc (RS) or inh (FS)")
      ->check(CLI::IsMember({"exc", "inh"}))
      ->capture_default_str();
  cmd->add_option("--fe-Hz", o->fe_Hz,
                  "Rate of each excitatory input synapse (K_e = p_connect * n_exc of them; include the drive)")
      ->required()
      ->check(non_negative_number);
  cmd->add_option("--fi-Hz", o->fi_Hz, "Rate of each inhibitory input synapse (K_i = p_connect * n_inh of them)")
      ->required()
      ->check(non_negative_number);
  cmd->add_option("--w-pA", o->w_pA, "Adaptation current W (shifts mu_V by -W/mu_G)")->capture_default_str();
  cmd->add_option("--i-pA", o->i_pA, "Injected current I (shifts mu_V by +I/mu_G)")->capture_default_str();
  cmd->add_option("--set", o->overrides, "Override a config key: section.key=value (repeatable)");
  cmd->callback([o] {
    if (const int rc = run_tf(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace cortexloop::tools
