#include "engine/aln/eif_neuron.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace cortexloop::engine::aln {

namespace {
[[noreturn]] void fail(const char* field, double value, const char* what) {
  std::ostringstream s;
  s << "EIF cascade: " << field << " = " << value << ": " << what;
  throw std::invalid_argument(s.str());
}
void positive(const char* field, double v) {
  if (!(v > 0) || !std::isfinite(v)) fail(field, v, "must be a finite number > 0");
}
void within(const char* field, double v, eif_bounds b, const char* unit) {
  if (v >= b.lo && v <= b.hi) return;
  std::ostringstream s;
  s << "must be in [" << b.lo << ", " << b.hi << "] " << unit;
  fail(field, v, s.str().c_str());
}
}  // namespace

void eif_neuron_params::validate() const {
  within("c_pF", c_pF, kEifCapacitance_pF, "pF");
  within("g_l_nS", g_l_nS, kEifLeak_nS, "nS");
  within("e_l_mV", e_l_mV, kEifVoltage_mV, "mV");
  within("delta_t_mV", delta_t_mV, kEifSlope_mV, "mV (0 = LIF)");
  within("v_t_mV", v_t_mV, kEifVoltage_mV, "mV");
  within("v_r_mV", v_r_mV, kEifVoltage_mV, "mV");
  within("v_cut_mV", v_cut_mV, kEifVoltage_mV, "mV");
  within("v_lb_mV", v_lb_mV, kEifVoltage_mV, "mV");
  within("t_ref_ms", t_ref_ms, kEifRefractory_ms, "ms");
  if (!(v_lb_mV < v_r_mV)) fail("v_lb_mV", v_lb_mV, "must be below the reset v_r_mV");
  if (!(v_r_mV < v_cut_mV)) fail("v_r_mV", v_r_mV, "must be below the spike cut-off v_cut_mV");
}

void fp_numerics::validate() const {
  positive("d_v_mV", d_v_mV);
  if (!(d_v_coarse_mV >= 0) || !std::isfinite(d_v_coarse_mV)) fail("d_v_coarse_mV", d_v_coarse_mV, "must be >= 0 (0 = uniform grid)");
  if (!(fine_below_reset_mV >= 0) || !std::isfinite(fine_below_reset_mV))
    fail("fine_below_reset_mV", fine_below_reset_mV, "must be >= 0");
  positive("fit_df_Hz", fit_df_Hz);
  if (!(fit_f_max_Hz >= fit_df_Hz)) fail("fit_f_max_Hz", fit_f_max_Hz, "must be >= fit_df_Hz");
  if (const int most = fit_frequency_count(); n_fit_frequencies < 0 || n_fit_frequencies == 1 || n_fit_frequencies > most) {
    std::ostringstream why;
    why << "must be 0 (all) or in [2, " << most << "]: the full fit has " << most << " frequencies, " << fit_df_Hz
        << " to " << fit_f_max_Hz << " Hz in steps of " << fit_df_Hz << " Hz";
    fail("n_fit_frequencies", n_fit_frequencies, why.str().c_str());
  }
}

int fp_numerics::fit_frequency_count() const {
  return static_cast<int>(std::floor(fit_f_max_Hz / fit_df_Hz + 1e-9));
}

}  // namespace cortexloop::engine::aln
