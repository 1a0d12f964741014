#include "engine/aln/aln_states.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <vector>

namespace cortexloop::engine::aln {

const char* name(aln_state_class c) noexcept {
  switch (c) {
    case aln_state_class::down: return "down";
    case aln_state_class::up: return "up";
    case aln_state_class::bistable: return "bistable";
    case aln_state_class::lc_ei: return "LC_EI";
    case aln_state_class::lc_ae: return "LC_aE";
  }
  return "?";
}

// construct_stimulus('rect'): epochs of duration/6; -A for half an epoch, then -A exp(-5 (t - t0)/epoch) up to epoch
// 3; +A for half an epoch, then +A exp(-5 (t - t0)/epoch) up to epoch 5; 0 in the last epoch.
double bistability_probe_pA(double t_ms, double duration_ms, double amplitude_pA) noexcept {
  const double e = t_ms / (duration_ms / 6.0);  // time in epochs
  if (e < 0.5) return -amplitude_pA;
  if (e < 3.0) return -amplitude_pA * std::exp(-5.0 * (e - 0.5));
  if (e < 3.5) return amplitude_pA;
  if (e < 5.0) return amplitude_pA * std::exp(-5.0 * (e - 3.5));
  return 0.0;
}

void dominant_frequency(std::span<const float> x, double bin_ms, double f_max_Hz, double& f_Hz, double& power_Hz2) {
  // scipy.signal.welch(x, fs, window='hann', nperseg=0.5 s, noverlap=nperseg/2, detrend='constant',
  // scaling='spectrum'), one-sided; the bin of the largest power below f_max.
  const std::size_t n_seg = static_cast<std::size_t>(std::lround(500.0 / bin_ms));
  f_Hz = 0;
  power_Hz2 = 0;
  if (x.size() < n_seg || n_seg < 4) return;
  const std::size_t hop = n_seg / 2;
  const double fs_Hz = 1000.0 / bin_ms;
  std::vector<double> w(n_seg), seg(n_seg), cos_t(n_seg), sin_t(n_seg);
  for (std::size_t k = 0; k < n_seg; ++k) {  // twiddles exp(-2 pi i k / n), indexed by (m k) mod n
    cos_t[k] = std::cos(2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n_seg));
    sin_t[k] = -std::sin(2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n_seg));
  }
  double w_sum = 0;
  for (std::size_t k = 0; k < n_seg; ++k) {  // periodic Hann, as scipy's get_window
    w[k] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n_seg));
    w_sum += w[k];
  }
  const std::size_t n_freq = static_cast<std::size_t>(std::ceil(f_max_Hz * n_seg / fs_Hz));
  std::vector<double> power(std::min(n_freq, n_seg / 2 + 1), 0.0);
  std::size_t segments = 0;
  for (std::size_t start = 0; start + n_seg <= x.size(); start += hop, ++segments) {
    double mean = 0;
    for (std::size_t k = 0; k < n_seg; ++k) mean += x[start + k];
    mean /= static_cast<double>(n_seg);
    for (std::size_t k = 0; k < n_seg; ++k) seg[k] = (x[start + k] - mean) * w[k];
    for (std::size_t m = 0; m < power.size(); ++m) {
      double re = 0, im = 0;
      for (std::size_t k = 0, j = 0; k < n_seg; ++k, j = (j + m) % n_seg) {
        re += seg[k] * cos_t[j];
        im += seg[k] * sin_t[j];
      }
      const double one_sided = (m == 0 || 2 * m == n_seg) ? 1.0 : 2.0;
      power[m] += one_sided * (re * re + im * im) / (w_sum * w_sum);
    }
  }
  std::size_t best = 0;
  for (std::size_t m = 0; m < power.size(); ++m) {
    power[m] /= static_cast<double>(segments);
    if (power[m] > power[best]) best = m;
  }
  f_Hz = static_cast<double>(best) * fs_Hz / static_cast<double>(n_seg);
  power_Hz2 = power[best];
}

state_measures measure_states(std::span<const float> rate, double bin_ms) {
  const double duration_ms = static_cast<double>(rate.size()) * bin_ms;
  const double epoch_ms = duration_ms / 6.0;
  auto window = [&](double from_epoch) {
    const auto a = static_cast<std::size_t>(std::lround(from_epoch * epoch_ms / bin_ms));
    const auto b = std::min(rate.size(), static_cast<std::size_t>(std::lround((from_epoch + 1) * epoch_ms / bin_ms)));
    return rate.subspan(a, b - a);
  };
  const auto down = window(2.0), up = window(5.0);
  if (down.empty() || up.empty()) throw std::invalid_argument("measure_states: trace too short for the windows");
  state_measures m;
  double sum = 0;
  for (const float r : down) sum += r;
  m.mean_down_Hz = sum / static_cast<double>(down.size());
  sum = 0;
  m.max_up_Hz = up[0];
  for (const float r : up) {
    sum += r;
    m.max_up_Hz = std::max(m.max_up_Hz, static_cast<double>(r));
  }
  m.mean_up_Hz = sum / static_cast<double>(up.size());
  dominant_frequency(down, bin_ms, 70.0, m.dominant_frequency_Hz, m.dominant_power_Hz2);
  m.down_swings = swings(down);
  return m;
}

int swings(std::span<const float> x) noexcept {
  if (x.empty()) return 0;
  const auto [lo_it, hi_it] = std::minmax_element(x.begin(), x.end());
  const double lo = *lo_it, hi = *hi_it;
  const double mid = 0.5 * (lo + hi), band = 0.25 * (hi - lo);
  if (!(hi > lo)) return 0;
  int n = 0, side = 0;  // side: -1 last seen below mid - band, +1 above mid + band, 0 neither yet
  for (const float r : x) {
    const int now = r > mid + band ? 1 : (r < mid - band ? -1 : 0);
    if (now != 0 && now != side) {
      if (side != 0) ++n;
      side = now;
    }
  }
  return n;
}

aln_state_class classify(const state_measures& m, const classify_options& o) noexcept {
  // The authors' criterion (analyse_run, functions.py): a dominant frequency > 0.5 Hz with power > 1 Hz^2. Ours on
  // top: the rate crosses its range and comes back (min_swings), which a single transition does not (header).
  const bool oscillating = m.dominant_power_Hz2 > o.min_power_Hz2 && m.dominant_frequency_Hz > o.oscillating_above_Hz &&
                           m.down_swings >= o.min_swings;
  if (oscillating)
    return o.has_adaptation && m.dominant_frequency_Hz < o.slow_below_Hz ? aln_state_class::lc_ae : aln_state_class::lc_ei;
  if (m.up_down_difference_Hz() > o.bistable_above_Hz) return aln_state_class::bistable;
  return m.mean_down_Hz > o.up_rate_Hz ? aln_state_class::up : aln_state_class::down;
}

double reported_frequency_Hz(const state_measures& m, aln_state_class c) noexcept {
  const bool oscillates = c == aln_state_class::lc_ei || c == aln_state_class::lc_ae;
  return oscillates ? m.dominant_frequency_Hz : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace cortexloop::engine::aln
