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
}  // namespace

void eif_neuron_params::validate() const {
  positive("c_pF", c_pF);
  positive("g_l_nS", g_l_nS);
  if (!(delta_t_mV >= 0) || !std::isfinite(delta_t_mV)) fail("delta_t_mV", delta_t_mV, "must be >= 0 (0 = LIF)");
  if (!(t_ref_ms >= 0) || !std::isfinite(t_ref_ms)) fail("t_ref_ms", t_ref_ms, "must be >= 0");
  if (!(v_lb_mV < v_r_mV)) fail("v_lb_mV", v_lb_mV, "must be below the reset v_r_mV");
  if (!(v_r_mV < v_cut_mV)) fail("v_r_mV", v_r_mV, "must be below the spike cut-off v_cut_mV");
  if (!std::isfinite(e_l_mV)) fail("e_l_mV", e_l_mV, "must be finite");
  if (!std::isfinite(v_t_mV)) fail("v_t_mV", v_t_mV, "must be finite");
}

void fp_numerics::validate() const {
  positive("d_v_mV", d_v_mV);
  if (!(d_v_coarse_mV >= 0) || !std::isfinite(d_v_coarse_mV)) fail("d_v_coarse_mV", d_v_coarse_mV, "must be >= 0 (0 = uniform grid)");
  if (!(fine_below_reset_mV >= 0) || !std::isfinite(fine_below_reset_mV))
    fail("fine_below_reset_mV", fine_below_reset_mV, "must be >= 0");
  positive("fit_df_Hz", fit_df_Hz);
  if (!(fit_f_max_Hz >= fit_df_Hz)) fail("fit_f_max_Hz", fit_f_max_Hz, "must be >= fit_df_Hz");
  if (n_fit_frequencies < 0 || n_fit_frequencies == 1) fail("n_fit_frequencies", n_fit_frequencies, "must be 0 (all) or >= 2");
}

}  // namespace cortexloop::engine::aln
