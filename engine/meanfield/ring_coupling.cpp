#include "engine/meanfield/ring_coupling.hpp"

#include <algorithm>
#include <cassert>
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

// out[i] = sum_d k[d] (src_d[i + d] + src_d[i - d]): one vectorisable pass per distance, `plus` and `minus` the
// history row of the distance's delay, offset by +-d from unit 0 of its padded row.
template <class T>
void accumulate_pairs(T* __restrict out, const T* __restrict plus, const T* __restrict minus, T k,
                      std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) out[i] += k * (plus[i] + minus[i]);
}

template <class T>
void scale_copy(T* __restrict out, const T* __restrict src, T k, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) out[i] = k * src[i];
}

}  // namespace

// Normalised Gaussian kernel at distances d = 0, s, 2s, ... (units), cut at extent_sd standard deviations and at
// half the ring (a periodic ring has no farther distance); weights sum to 1 over +-d.
template <class T>
ring_coupling<T>::ring_coupling(std::size_t n_units, double length_mm, double l_mm, double extent_sd,
                                double velocity_mm_per_s, double dt_ms, std::int64_t max_back)
    : n_(n_units) {
  const double dx_mm = length_mm / static_cast<double>(n_units);
  const auto half = static_cast<std::size_t>((n_units - 1) / 2);
  const auto radius = std::min(half, static_cast<std::size_t>(std::ceil(extent_sd * l_mm / dx_mm)));
  stride_ = stride_for(l_mm, dx_mm);
  const double mm_per_ms = velocity_mm_per_s / kMsPerS;
  std::vector<double> w;
  double sum = 0;
  for (std::size_t d = 0; d <= radius; d += stride_) {
    const double x = static_cast<double>(d) * dx_mm;
    // x / l first: l * l underflowed to 0 below l ~ 1e-154 mm, and 0 / 0 at d = 0 dropped the whole kernel (ring.l_exc_mm
    // = 1e-160: VSDi -36.7 % from the first tick; an outside audit, 2026-12-06). So any l > 0 gives a kernel of sum 1;
    // one far narrower than the spacing gives each unit its own rate (weight 1 at d = 0), as l = 1e-3 mm did.
    const double z = x / l_mm;
    w.push_back(std::exp(-0.5 * z * z));
    sum += d == 0 ? w.back() : 2.0 * w.back();
    distance_.push_back(static_cast<std::int32_t>(d));
    delay_.push_back(static_cast<std::int32_t>(std::lround(x / mm_per_ms / dt_ms)));
  }
  for (const double x : w) weight_.push_back(static_cast<T>(x / sum));
  pad_ = static_cast<std::size_t>(distance_.back());
  row_ = n_ + 2 * pad_;
  history_ = static_cast<std::size_t>(std::max<std::int64_t>(max_back, 1) + delay_.back());
  hist_.assign(history_ * row_, T(0));
}

template <class T>
void ring_coupling<T>::fill(T rate) noexcept {
  std::fill(hist_.begin(), hist_.end(), rate);
}

template <class T>
std::size_t ring_coupling<T>::slot(std::int64_t back) const noexcept {
  const auto h = static_cast<std::int64_t>(history_);
  return static_cast<std::size_t>(((pushes_ - back) % h + h) % h);
}

template <class T>
void ring_coupling<T>::push(std::span<const T> rates) noexcept {
  T* row = hist_.data() + slot(0) * row_;
  if (stride_ == 1) {
    std::copy(rates.begin(), rates.begin() + static_cast<std::ptrdiff_t>(n_), row + pad_);
  } else {
    // Centred box averages of `stride` units, by a running sum around the ring.
    // Index arithmetic by comparison, not %: an integer division per unit would cost more than the rest.
    const auto n = static_cast<std::ptrdiff_t>(n_), h = static_cast<std::ptrdiff_t>(stride_ / 2);
    auto at = [&](std::ptrdiff_t j) { return rates[static_cast<std::size_t>(j < 0 ? j + n : (j >= n ? j - n : j))]; };
    const T inv = T(1) / static_cast<T>(stride_);
    T sum = T(0);
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
  ++pushes_;
}

template <class T>
void ring_coupling<T>::lateral(std::int64_t back, std::span<T> out) const noexcept {
  // Beyond max_back the slot would wrap around the history and read a newer row, silently: checked in debug builds.
  assert(back >= 1 && static_cast<std::size_t>(back + delay_.back()) <= history_);
  // r^lat(x) = k(0) r(x, back + delay(0)) + sum_{d >= 1} k(d) [r(x + d, back + delay(d)) + r(x - d, back + delay(d))]
  const T* row0 = hist_.data() + slot(back + delay_[0]) * row_ + pad_;
  scale_copy(out.data(), row0, weight_[0], n_);
  for (std::size_t j = 1; j < weight_.size(); ++j) {
    const T* row = hist_.data() + slot(back + delay_[j]) * row_ + pad_;
    accumulate_pairs(out.data(), row + distance_[j], row - distance_[j], weight_[j], n_);
  }
}

template class ring_coupling<float>;
template class ring_coupling<double>;

}  // namespace cortexloop::engine::meanfield
