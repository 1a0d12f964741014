#include "firmware_sim/step_peak.hpp"

#include <algorithm>
#include <cmath>

namespace cortexloop::firmware_sim {

void step_peak::add_phase(std::int64_t begin_us, std::int64_t end_us, double uA) noexcept {
  if (end_us <= begin_us) return;
  if (n_ < kMaxPhases)
    phases_[n_++] = {begin_us, end_us, uA};
  else
    bound_uA_ += std::fabs(uA);
}

double step_peak::peak_uA() const noexcept {
  if (n_ == 0) return std::fabs(constant_uA_) + bound_uA_;
  // The sum is constant between consecutive breakpoints (the step's ends and every phase's): evaluate each piece.
  std::array<std::int64_t, 2 * kMaxPhases + 2> at{};
  std::size_t m = 0;
  at[m++] = 0;
  at[m++] = dt_us_;
  for (std::size_t i = 0; i < n_; ++i) {
    at[m++] = phases_[i].begin_us;
    at[m++] = phases_[i].end_us;
  }
  std::sort(at.begin(), at.begin() + static_cast<std::ptrdiff_t>(m));
  double peak = 0.0;
  for (std::size_t j = 0; j + 1 < m; ++j) {
    if (at[j] == at[j + 1]) continue;
    double sum = constant_uA_;
    for (std::size_t i = 0; i < n_; ++i)
      if (phases_[i].begin_us <= at[j] && at[j] < phases_[i].end_us) sum += phases_[i].uA;
    peak = std::max(peak, std::fabs(sum));
  }
  return peak + bound_uA_;
}

}  // namespace cortexloop::firmware_sim
