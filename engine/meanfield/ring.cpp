#include "engine/meanfield/ring.hpp"
#include "engine/meanfield/ring_geometry.hpp"

#include <algorithm>
#include <cmath>

#include "engine/units.hpp"

namespace cortexloop::engine::meanfield {

namespace {

// The lateral sums are quadratures of integral k(y) nu(x + y, t - |y|/v) dy. On a fine ring (many units per
// kernel sd) the sum need not visit every unit: it takes the rates averaged over boxes of `stride` units (odd,
// centred), one box every `stride` units, with the box at most an eighth of the kernel's sd wide. The boxes
// tile the ring, so every unit still acts on every other (point samples would split the ring into `stride`
// uncoupled sub-rings); the kernel is in effect a staircase of the Gaussian, widened by the box (variance
// + stride^2 dx^2 / 12, under 0.2% of l^2). On the default 100-unit ring the stride is 1 (every unit, exact);
// at 1000 units it is 17 for the exc kernel and 3 for the inh one.
constexpr double kMaxSpacingPerSd = 0.125;

std::size_t stride_for(double l_mm, double dx_mm) {
  const auto s = std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(kMaxSpacingPerSd * l_mm / dx_mm)));
  return s % 2 == 1 ? s : s - 1;  // odd: a box centred on its unit
}

// Normalised Gaussian kernel at distances d = 0, s, 2s, ... (units), cut at extent_sd standard deviations
// and at half the ring (a periodic ring has no farther distance); weights sum to 1 over +-d.
struct kernel {
  std::vector<float> weight;
  std::vector<std::int32_t> distance;  // units
  std::vector<std::int32_t> delay;     // ring steps
};

kernel gaussian_kernel(double l_mm, double extent_sd, double dx_mm, std::size_t n, double velocity_mm_per_s,
                       double dt_ms) {
  const auto half = static_cast<std::size_t>((n - 1) / 2);
  const auto radius = std::min(half, static_cast<std::size_t>(std::ceil(extent_sd * l_mm / dx_mm)));
  const std::size_t stride = stride_for(l_mm, dx_mm);
  const double mm_per_ms = velocity_mm_per_s / kMsPerS;
  std::vector<double> w;
  kernel k;
  double sum = 0;
  for (std::size_t d = 0; d <= radius; d += stride) {
    const double x = static_cast<double>(d) * dx_mm;
    w.push_back(std::exp(-0.5 * x * x / (l_mm * l_mm)));
    sum += d == 0 ? w.back() : 2.0 * w.back();
    k.distance.push_back(static_cast<std::int32_t>(d));
    k.delay.push_back(static_cast<std::int32_t>(std::lround(x / mm_per_ms / dt_ms)));
  }
  for (const double x : w) k.weight.push_back(static_cast<float>(x / sum));
  return k;
}

// out[i] = sum_d k[d] (src_d[i + d] + src_d[i - d]): one vectorisable pass per distance. `rows` holds the
// history row of each distance's delay, already offset to the unit 0 of its padded row.
void accumulate_pairs(float* __restrict out, const float* __restrict plus, const float* __restrict minus, float k,
                      std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) out[i] += k * (plus[i] + minus[i]);
}

void scale_copy(float* __restrict out, const float* __restrict src, float k, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) out[i] = k * src[i];
}

}  // namespace

ring::ring(const ring_params& rp, const meanfield_params& mf, const network_params& net, double network_dt_ms)
    : p_(rp),
      mf_(mf),
      k_(input_counts::from(net)),
      tf_exc_(cell_synapses::from(net.exc, net), mf.exc, mf.moments, network_dt_ms),
      tf_inh_(cell_synapses::from(net.inh, net), mf.inh, mf.moments, network_dt_ms),
      cell_exc_(net.exc),
      cell_inh_(net.inh),
      n_(static_cast<std::size_t>(rp.n_units)),
      dx_mm_(rp.length_mm / static_cast<double>(rp.n_units)),
      dt_ms_(rp.dt_ms),
      drive_Hz_(net.drive.rate_Hz) {
  {
    const kernel e = gaussian_kernel(rp.l_exc_mm, rp.kernel_extent_sd, dx_mm_, n_, rp.velocity_mm_per_s, dt_ms_);
    const kernel i = gaussian_kernel(rp.l_inh_mm, rp.kernel_extent_sd, dx_mm_, n_, rp.velocity_mm_per_s, dt_ms_);
    k_exc_ = e.weight, dist_exc_ = e.distance, delay_exc_ = e.delay;
    k_inh_ = i.weight, dist_inh_ = i.distance, delay_inh_ = i.delay;
    stride_exc_ = stride_for(rp.l_exc_mm, dx_mm_);
    stride_inh_ = stride_for(rp.l_inh_mm, dx_mm_);
  }
  pad_ = static_cast<std::size_t>(std::max(dist_exc_.back(), dist_inh_.back()));
  row_ = n_ + 2 * pad_;
  history_ = static_cast<std::size_t>(std::max(delay_exc_.back(), delay_inh_.back())) + 1;
  hist_e_.assign(history_ * row_, 0.0f);
  hist_i_.assign(history_ * row_, 0.0f);
  for (auto* v : {&nu_e_, &nu_i_, &w_e_, &w_i_, &mu_e_, &mu_i_, &vsdi_, &lat_e_, &lat_i_, &fe_e_, &fe_i_, &fi_, &i_e_,
                  &i_i_, &f_e_, &f_i_, &avg_nu_e_, &avg_nu_i_, &avg_vsdi_})
    v->assign(n_, 0.0f);
  for (auto* v : {&sum_nu_e_, &sum_nu_i_, &sum_vsdi_}) v->assign(n_, 0.0);
  aff_profiles_.assign(rp.afferent.size() * n_, 0.0f);
  for (std::size_t s = 0; s < rp.afferent.size(); ++s)
    ring_gaussian_profile({aff_profiles_.data() + s * n_, n_}, rp.length_mm, rp.afferent[s].position_mm,
                          rp.afferent[s].width_mm, rp.afferent[s].amplitude_Hz);
  cur_profiles_.assign(rp.currents.size() * n_, 0.0f);
  for (std::size_t s = 0; s < rp.currents.size(); ++s)
    ring_gaussian_profile({cur_profiles_.data() + s * n_, n_}, rp.length_mm, rp.currents[s].position_mm,
                          rp.currents[s].spread_mm, rp.currents[s].amplitude_pA);

  // The homogeneous fixed point, with the same float transfer functions as the steps (a unit whose lateral
  // input is its own rate), as the initial state and the VSDi's rest.
  {
    float ne = 0, ni = 0, we = 0, wi = 0, fe, fi, fe_in, fi_in, fe_inh_in, zero = 0, fre, fri, me = 0, mi = 0;
    const float drive_fe = static_cast<float>(k_.k_drive * drive_Hz_);
    const double dt_over_t = dt_ms_ / mf_.t_ms;
    for (int k = 0; k < static_cast<int>(20000.0 / dt_ms_); ++k) {  // 20 s: W settles (tau_w 500 ms)
      fe_in = static_cast<float>(k_.k_exc) * ne + drive_fe;
      fi_in = static_cast<float>(k_.k_inh) * ni;
      fe_inh_in = fe_in;
      tf_exc_.rate_Hz_batch(&fe_in, &fi_in, &we, &zero, &fre, &me, 1, drive_fe);
      tf_inh_.rate_Hz_batch(&fe_inh_in, &fi_in, &wi, &zero, &fri, &mi, 1, drive_fe);
      fe = fre;
      fi = fri;
      if (mf_.adaptation) {
        we += static_cast<float>(dt_ms_ * (-we / cell_exc_.tau_w_ms + cell_exc_.b_pA * ne / kMsPerS +
                                           cell_exc_.a_nS * (me - cell_exc_.e_l_mV) / cell_exc_.tau_w_ms));
        wi += static_cast<float>(dt_ms_ * (-wi / cell_inh_.tau_w_ms + cell_inh_.b_pA * ni / kMsPerS +
                                           cell_inh_.a_nS * (mi - cell_inh_.e_l_mV) / cell_inh_.tau_w_ms));
      }
      ne += static_cast<float>(dt_over_t) * (fe - ne);
      ni += static_cast<float>(dt_over_t) * (fi - ni);
    }
    rest_nu_e_ = ne, rest_nu_i_ = ni, rest_w_e_ = we, rest_w_i_ = wi, rest_mu_e_ = me, rest_mu_i_ = mi;
  }
  std::fill(nu_e_.begin(), nu_e_.end(), static_cast<float>(rest_nu_e_));
  std::fill(nu_i_.begin(), nu_i_.end(), static_cast<float>(rest_nu_i_));
  std::fill(w_e_.begin(), w_e_.end(), static_cast<float>(rest_w_e_));
  std::fill(w_i_.begin(), w_i_.end(), static_cast<float>(rest_w_i_));
  std::fill(mu_e_.begin(), mu_e_.end(), rest_mu_e_);
  std::fill(mu_i_.begin(), mu_i_.end(), rest_mu_i_);
  std::fill(hist_e_.begin(), hist_e_.end(), static_cast<float>(rest_nu_e_));
  std::fill(hist_i_.begin(), hist_i_.end(), static_cast<float>(rest_nu_i_));
  finish_average();  // the averages start at the rest state
  std::copy(nu_e_.begin(), nu_e_.end(), avg_nu_e_.begin());
  std::copy(nu_i_.begin(), nu_i_.end(), avg_nu_i_.begin());
}

std::size_t ring::slot(std::int64_t steps_back) const noexcept {
  const auto h = static_cast<std::int64_t>(history_);
  return static_cast<std::size_t>(((step_ - steps_back) % h + h) % h);
}

void ring::write_history(std::vector<float>& history, const std::vector<float>& rates, std::size_t stride) noexcept {
  float* row = history.data() + slot(0) * row_;
  if (stride == 1) {
    std::copy(rates.begin(), rates.end(), row + pad_);
  } else {
    // Centred box averages of `stride` units, by a running sum around the ring.
    // Index arithmetic by comparison, not %: an integer division per unit would cost more than the rest.
    const auto n = static_cast<std::ptrdiff_t>(n_), h = static_cast<std::ptrdiff_t>(stride / 2);
    auto at = [&](std::ptrdiff_t j) { return rates[static_cast<std::size_t>(j < 0 ? j + n : (j >= n ? j - n : j))]; };
    const float inv = 1.0f / static_cast<float>(stride);
    float sum = 0.0f;
    for (std::ptrdiff_t j = -h; j <= h; ++j) sum += at(j);
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      row[pad_ + static_cast<std::size_t>(i)] = sum * inv;
      sum += at(i + h + 1) - at(i - h);
    }
  }
  // Wrapped copies: row[pad - j] = rates[n - j], row[pad + n + j] = rates[j] (pad <= (n - 1) / 2 < n).
  for (std::size_t j = 1; j <= pad_; ++j) {
    row[pad_ - j] = row[pad_ + n_ - j];
    row[pad_ + n_ - 1 + j] = row[pad_ + j - 1];
  }
}

void ring::lateral_input(const std::vector<float>& history, const std::vector<float>& kernel,
                         const std::vector<std::int32_t>& distance, const std::vector<std::int32_t>& delay,
                         std::vector<float>& out) const noexcept {
  // nu^lat(x) = k(0) nu(x, t) + sum_{d >= 1} k(d) [nu(x + d, t - delay(d)) + nu(x - d, t - delay(d))]
  const float* row0 = history.data() + slot(delay[0]) * row_ + pad_;
  scale_copy(out.data(), row0, kernel[0], n_);
  for (std::size_t j = 1; j < kernel.size(); ++j) {
    const float* row = history.data() + slot(delay[j]) * row_ + pad_;
    accumulate_pairs(out.data(), row + distance[j], row - distance[j], kernel[j], n_);
  }
}

void ring::vsdi(const float* __restrict mu_e, const float* __restrict mu_i, float* __restrict out) const noexcept {
  const float ce = 80.0f / std::fabs(rest_mu_e_), ci = 20.0f / std::fabs(rest_mu_i_);
  const float re = rest_mu_e_, ri = rest_mu_i_;
  for (std::size_t i = 0; i < n_; ++i) out[i] = ce * (mu_e[i] - re) + ci * (mu_i[i] - ri);
}

void ring::step(double t_ms, std::span<const float> external_exc_pA, std::span<const float> external_inh_pA) noexcept {
  // Phases: (1) this step's rates enter the delay lines; (2) lateral inputs from the delayed rates;
  // (3) afferent and current inputs at t; (4) transfer functions; (5) Euler update of rates and W;
  // (6) readouts (VSDi from this step's mu_V) and tick averages.
  write_history(hist_e_, nu_e_, stride_exc_);
  write_history(hist_i_, nu_i_, stride_inh_);
  lateral_input(hist_e_, k_exc_, dist_exc_, delay_exc_, lat_e_);
  lateral_input(hist_i_, k_inh_, dist_inh_, delay_inh_, lat_i_);

  const float ke = static_cast<float>(k_.k_exc), ki = static_cast<float>(k_.k_inh);
  const float drive_fe = static_cast<float>(k_.k_drive * drive_Hz_);
  for (std::size_t i = 0; i < n_; ++i) {
    fe_i_[i] = ke * lat_e_[i] + drive_fe;
    fe_e_[i] = fe_i_[i];
    fi_[i] = ki * lat_i_[i];
  }
  for (std::size_t s = 0; s < p_.afferent.size(); ++s) {
    const afferent_stimulus& a = p_.afferent[s];
    const double sd = t_ms < a.peak_ms ? a.rise_ms : a.decay_ms, x = (t_ms - a.peak_ms) / sd;
    if (x * x > 100.0) continue;  // below e^-50 of the peak
    const float g = static_cast<float>(std::exp(-0.5 * x * x)) * ke;
    const float* prof = aff_profiles_.data() + s * n_;
    for (std::size_t i = 0; i < n_; ++i) fe_e_[i] += g * prof[i];
  }
  const bool ext_e = external_exc_pA.size() == n_, ext_i = external_inh_pA.size() == n_;
  for (std::size_t i = 0; i < n_; ++i) {
    i_e_[i] = ext_e ? external_exc_pA[i] : 0.0f;
    i_i_[i] = ext_i ? external_inh_pA[i] : 0.0f;
  }
  for (std::size_t s = 0; s < p_.currents.size(); ++s) {
    const current_stimulus& c = p_.currents[s];
    if (t_ms < c.start_ms || t_ms >= c.stop_ms) continue;
    const float* prof = cur_profiles_.data() + s * n_;
    const bool to_e = c.target != current_target::inh, to_i = c.target != current_target::exc;
    for (std::size_t i = 0; i < n_; ++i) {
      i_e_[i] += to_e ? prof[i] : 0.0f;
      i_i_[i] += to_i ? prof[i] : 0.0f;
    }
  }

  tf_exc_.rate_Hz_batch(fe_e_.data(), fi_.data(), w_e_.data(), i_e_.data(), f_e_.data(), mu_e_.data(), n_, drive_fe);
  tf_inh_.rate_Hz_batch(fe_i_.data(), fi_.data(), w_i_.data(), i_i_.data(), f_i_.data(), mu_i_.data(), n_, drive_fe);

  const float dt_over_t = static_cast<float>(dt_ms_ / mf_.t_ms);
  if (mf_.adaptation) {
    // dW/dt = -W/tau_w + b nu + a (mu_V - E_L)/tau_w
    const float dt = static_cast<float>(dt_ms_);
    const float inv_tw_e = static_cast<float>(1.0 / cell_exc_.tau_w_ms), inv_tw_i = static_cast<float>(1.0 / cell_inh_.tau_w_ms);
    const float b_e = static_cast<float>(cell_exc_.b_pA / kMsPerS), b_i = static_cast<float>(cell_inh_.b_pA / kMsPerS);
    const float a_e = static_cast<float>(cell_exc_.a_nS / cell_exc_.tau_w_ms), a_i = static_cast<float>(cell_inh_.a_nS / cell_inh_.tau_w_ms);
    const float el_e = static_cast<float>(cell_exc_.e_l_mV), el_i = static_cast<float>(cell_inh_.e_l_mV);
    for (std::size_t i = 0; i < n_; ++i) {
      w_e_[i] += dt * (-w_e_[i] * inv_tw_e + b_e * nu_e_[i] + a_e * (mu_e_[i] - el_e));
      w_i_[i] += dt * (-w_i_[i] * inv_tw_i + b_i * nu_i_[i] + a_i * (mu_i_[i] - el_i));
    }
  }
  float check = 0.0f;
  for (std::size_t i = 0; i < n_; ++i) {
    nu_e_[i] += dt_over_t * (f_e_[i] - nu_e_[i]);
    nu_i_[i] += dt_over_t * (f_i_[i] - nu_i_[i]);
    check += nu_e_[i] + nu_i_[i] + w_e_[i] + w_i_[i];
  }
  if (!std::isfinite(check)) {
    // Not expected (F is finite and bounded); if it happens, the unit goes back to rest and is counted.
    for (std::size_t i = 0; i < n_; ++i) {
      if (std::isfinite(nu_e_[i] + nu_i_[i] + w_e_[i] + w_i_[i])) continue;
      nu_e_[i] = static_cast<float>(rest_nu_e_), nu_i_[i] = static_cast<float>(rest_nu_i_);
      w_e_[i] = static_cast<float>(rest_w_e_), w_i_[i] = static_cast<float>(rest_w_i_);
      ++diverged_;
    }
  }
  vsdi(mu_e_.data(), mu_i_.data(), vsdi_.data());
  for (std::size_t i = 0; i < n_; ++i) {
    sum_nu_e_[i] += nu_e_[i];
    sum_nu_i_[i] += nu_i_[i];
    sum_vsdi_[i] += vsdi_[i];
  }
  ++steps_in_average_;
  ++step_;
}

void ring::finish_average() noexcept {
  if (steps_in_average_ > 0) {
    const double inv = 1.0 / static_cast<double>(steps_in_average_);
    for (std::size_t i = 0; i < n_; ++i) {
      avg_nu_e_[i] = static_cast<float>(sum_nu_e_[i] * inv);
      avg_nu_i_[i] = static_cast<float>(sum_nu_i_[i] * inv);
      avg_vsdi_[i] = static_cast<float>(sum_vsdi_[i] * inv);
    }
  }
  std::fill(sum_nu_e_.begin(), sum_nu_e_.end(), 0.0);
  std::fill(sum_nu_i_.begin(), sum_nu_i_.end(), 0.0);
  std::fill(sum_vsdi_.begin(), sum_vsdi_.end(), 0.0);
  steps_in_average_ = 0;
}

}  // namespace cortexloop::engine::meanfield
