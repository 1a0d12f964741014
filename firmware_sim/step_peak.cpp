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

template <class F>
void step_peak::for_each_piece(F&& f) const noexcept {
  // The sum is constant between consecutive breakpoints (the step's ends and every phase's).
  std::array<std::int64_t, 2 * kMaxPhases + 2> at{};
  std::size_t m = 0;
  at[m++] = 0;
  at[m++] = dt_us_;
  for (std::size_t i = 0; i < n_; ++i) {
    at[m++] = phases_[i].begin_us;
    at[m++] = phases_[i].end_us;
  }
  std::sort(at.begin(), at.begin() + static_cast<std::ptrdiff_t>(m));
  for (std::size_t j = 0; j + 1 < m; ++j) {
    if (at[j] == at[j + 1]) continue;
    double pulse = 0.0;
    for (std::size_t i = 0; i < n_; ++i)
      if (phases_[i].begin_us <= at[j] && at[j] < phases_[i].end_us) pulse += phases_[i].uA;
    f(at[j + 1] - at[j], pulse);
  }
}

step_current step_peak::measure(phase_run& run) const noexcept {
  // One pass over the pieces for both: the peak and the phases (each pass sorts the step's breakpoints).
  step_current out;
  const bool bounded = bound_uA_ > 0.0;
  for_each_piece([&](std::int64_t length_us, double pulse_uA) {
    const double total = constant_uA_ + pulse_uA;
    out.peak_uA = std::max(out.peak_uA, std::fabs(total));
    if (bounded) return;
    const int sign = pulse_uA == 0.0 || total == 0.0 ? 0 : (total > 0.0 ? 1 : -1);
    if (sign != run.sign) run = {sign, 0.0};
    if (sign == 0) return;
    run.charge_uA_us += std::fabs(total) * static_cast<double>(length_us);
    out.phase_uA_us = std::max(out.phase_uA_us, run.charge_uA_us);
  });
  out.peak_uA += bound_uA_;
  if (bounded) {  // phases beyond the capacity: the whole step joins the run at every current it may carry
    double q = (std::fabs(constant_uA_) + bound_uA_) * static_cast<double>(dt_us_);
    for (std::size_t i = 0; i < n_; ++i)
      q += std::fabs(phases_[i].uA) * static_cast<double>(phases_[i].end_us - phases_[i].begin_us);
    run.sign = run.sign != 0 ? run.sign : 1;
    run.charge_uA_us += q;
    out.phase_uA_us = run.charge_uA_us;
  }
  return out;
}

}  // namespace cortexloop::firmware_sim
