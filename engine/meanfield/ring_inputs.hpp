#pragma once
// What every ring model (engine/meanfield/ring.hpp, engine/aln/aln_ring.hpp) does alike with its units' inputs and
// readouts: the config's electrical currents ([[ring.current]]: a Gaussian profile over the ring, on between
// start_ms and stop_ms) added to the commanded stimulator's per-unit currents, and the VSDi-like signal from the
// populations' mean membrane potentials, and the tick's readout averaged over the ring steps within it.
// Construction allocates; the rest is noexcept and allocation-free.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/meanfield/params.hpp"
#include "engine/meanfield/ring_geometry.hpp"

namespace cortexloop::engine::meanfield {

class ring_current_schedule {
 public:
  ring_current_schedule(const std::vector<current_stimulus>& currents, std::size_t n_units, double length_mm)
      : currents_(currents), n_(n_units), profiles_(currents.size() * n_units, 0.0f) {
    for (std::size_t s = 0; s < currents.size(); ++s)
      ring_gaussian_profile({profiles_.data() + s * n_, n_}, length_mm, currents[s].position_mm,
                            currents[s].spread_mm, currents[s].amplitude_pA);
  }

  // i_e[x] = external_e[x] (0 when the span is not n_units long) + the config's currents onto E in force at t_ms;
  // i_i likewise.
  void currents_pA(double t_ms, std::span<const float> external_e, std::span<const float> external_i,
                   std::span<float> i_e, std::span<float> i_i) const noexcept {
    const bool ext_e = external_e.size() == n_, ext_i = external_i.size() == n_;
    for (std::size_t i = 0; i < n_; ++i) {
      i_e[i] = ext_e ? external_e[i] : 0.0f;
      i_i[i] = ext_i ? external_i[i] : 0.0f;
    }
    for (std::size_t s = 0; s < currents_.size(); ++s) {
      const current_stimulus& c = currents_[s];
      if (t_ms < c.start_ms || t_ms >= c.stop_ms) continue;
      const float* prof = profiles_.data() + s * n_;
      const bool to_e = c.target != current_target::inh, to_i = c.target != current_target::exc;
      for (std::size_t i = 0; i < n_; ++i) {
        i_e[i] += to_e ? prof[i] : 0.0f;
        i_i[i] += to_i ? prof[i] : 0.0f;
      }
    }
  }

 private:
  std::vector<current_stimulus> currents_;
  std::size_t n_;
  std::vector<float> profiles_;  // [currents.size()][n_units]
};

// VSDi (percent): relative depolarisation from rest, 0.8 from the excitatory and 0.2 from the inhibitory
// population (their share of the cells: our choice, docs/meanfield.md; the authors' ring code, yzerlaut/JCNS_2018
// ring_model/model.py, returns the unsigned |mu_V - mu_V0| / |mu_V0| of one mu_V instead),
//   out[x] = 100 [0.8 (mu_e(x) - rest_e) / |rest_e| + 0.2 (mu_i(x) - rest_i) / |rest_i|].
inline void vsdi_from_mu_v(const float* __restrict mu_e_mV, const float* __restrict mu_i_mV, float rest_e_mV,
                         float rest_i_mV, float* __restrict out, std::size_t n) noexcept {
  const float ce = 80.0f / std::fabs(rest_e_mV), ci = 20.0f / std::fabs(rest_i_mV);
  for (std::size_t i = 0; i < n; ++i) out[i] = ce * (mu_e_mV[i] - rest_e_mV) + ci * (mu_i_mV[i] - rest_i_mV);
}

// A ring's readout: each population's rate and the VSDi averaged over the ring steps since the last finish() (a
// tick holds several ring steps; reporting the mean rather than the last step keeps the readout free of aliasing).
// Sums in double so a long tick of small rates loses nothing to float rounding.
class ring_readout_average {
 public:
  explicit ring_readout_average(std::size_t n_units)
      : n_(n_units), sum_e_(n_units, 0.0), sum_i_(n_units, 0.0), sum_vsdi_(n_units, 0.0), avg_e_(n_units, 0.0f),
        avg_i_(n_units, 0.0f), avg_vsdi_(n_units, 0.0f) {}

  // The readout before any step: the given rates, VSDi 0 (the units at rest), nothing accumulated.
  void reset(float rate_e_Hz, float rate_i_Hz) noexcept {
    std::fill(avg_e_.begin(), avg_e_.end(), rate_e_Hz);
    std::fill(avg_i_.begin(), avg_i_.end(), rate_i_Hz);
    std::fill(avg_vsdi_.begin(), avg_vsdi_.end(), 0.0f);
    clear();
  }

  // One ring step's rates (float or double) and VSDi, n_units each.
  template <class T>
  void add(const T* rate_e_Hz, const T* rate_i_Hz, const float* vsdi_percent) noexcept {
    for (std::size_t x = 0; x < n_; ++x) {
      sum_e_[x] += rate_e_Hz[x];
      sum_i_[x] += rate_i_Hz[x];
      sum_vsdi_[x] += vsdi_percent[x];
    }
    ++steps_;
  }

  // The averages of the steps added since the last call (unchanged if none was), and a new sum begins.
  void finish() noexcept {
    if (steps_ > 0) {
      const double inv = 1.0 / static_cast<double>(steps_);
      for (std::size_t x = 0; x < n_; ++x) {
        avg_e_[x] = static_cast<float>(sum_e_[x] * inv);
        avg_i_[x] = static_cast<float>(sum_i_[x] * inv);
        avg_vsdi_[x] = static_cast<float>(sum_vsdi_[x] * inv);
      }
    }
    clear();
  }

  std::span<const float> rates_exc_Hz() const noexcept { return avg_e_; }
  std::span<const float> rates_inh_Hz() const noexcept { return avg_i_; }
  std::span<const float> vsdi_percent() const noexcept { return avg_vsdi_; }

 private:
  void clear() noexcept {
    std::fill(sum_e_.begin(), sum_e_.end(), 0.0);
    std::fill(sum_i_.begin(), sum_i_.end(), 0.0);
    std::fill(sum_vsdi_.begin(), sum_vsdi_.end(), 0.0);
    steps_ = 0;
  }

  std::size_t n_;
  std::vector<double> sum_e_, sum_i_, sum_vsdi_;
  std::vector<float> avg_e_, avg_i_, avg_vsdi_;
  std::int64_t steps_ = 0;
};

}  // namespace cortexloop::engine::meanfield
