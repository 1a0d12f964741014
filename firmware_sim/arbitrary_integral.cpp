#include "firmware_sim/arbitrary_integral.hpp"

#include <algorithm>

namespace cortexloop::firmware_sim {

arbitrary_integral::arbitrary_integral(const program& p) noexcept
    : p_(p),
      n_(std::min<std::int64_t>(p.wave.n_samples, kMaxWaveformSamples)),
      ts_(static_cast<std::int64_t>(p.wave.sample_period_us)) {
  for (std::int64_t r = 0; r < n_; ++r) {
    const double s = p.wave.samples[static_cast<std::size_t>(r)];
    prefix0_[static_cast<std::size_t>(r + 1)] = prefix0_[static_cast<std::size_t>(r)] + s;
    prefix1_[static_cast<std::size_t>(r + 1)] = prefix1_[static_cast<std::size_t>(r)] + static_cast<double>(r) * s;
  }
}

double arbitrary_integral::sum0(std::int64_t x) const noexcept {
  const std::int64_t q = x / n_, r = x % n_;
  return static_cast<double>(q) * prefix0_[static_cast<std::size_t>(n_)] + prefix0_[static_cast<std::size_t>(r)];
}

double arbitrary_integral::sum1(std::int64_t x) const noexcept {
  // Whole periods k < q: sum_r s_r (k n + r) = n k A0 + A1; then the partial period q: sum_(r < R) s_r (q n + r).
  const std::int64_t q = x / n_, r = x % n_;
  const double a0 = prefix0_[static_cast<std::size_t>(n_)], a1 = prefix1_[static_cast<std::size_t>(n_)];
  const auto qd = static_cast<double>(q), nd = static_cast<double>(n_);
  return nd * a0 * (qd * (qd - 1.0) / 2.0) + qd * a1 + qd * nd * prefix0_[static_cast<std::size_t>(r)] +
         prefix1_[static_cast<std::size_t>(r)];
}

double arbitrary_integral::linear_piece(std::int64_t a, std::int64_t b, double e_a, double beta) const noexcept {
  const auto sample = [&](std::int64_t j) { return static_cast<double>(p_.wave.samples[static_cast<std::size_t>(j % n_)]); };
  // Integral of env over [u, v) inside the piece.
  const auto env_integral = [&](std::int64_t u, std::int64_t v) {
    const auto du = static_cast<double>(v - u);
    return du * e_a + beta * du * (static_cast<double>((u - a) + (v - a)) / 2.0);
  };
  const std::int64_t ja = a / ts_, jb = b / ts_;
  if (ja == jb) return sample(ja) * env_integral(a, b);
  double sum = sample(ja) * env_integral(a, (ja + 1) * ts_);
  // Whole samples j in [j0, jb): sample j holds over [j ts, (j + 1) ts), where env's mean is
  // e_a + beta ((j0 ts - a) + ts / 2 + (j - j0) ts). Shifted by whole periods to start at j0 mod n.
  const std::int64_t j0 = ja + 1;
  if (jb > j0) {
    const std::int64_t k = jb - j0, r0 = j0 % n_;
    const double z0 = sum0(r0 + k) - sum0(r0);
    const double z1 = sum1(r0 + k) - sum1(r0) - static_cast<double>(r0) * z0;  // sum of (j - j0) s_j
    const auto ts = static_cast<double>(ts_);
    sum += ts * ((e_a + beta * (static_cast<double>(j0 * ts_ - a) + ts / 2.0)) * z0 + beta * ts * z1);
  }
  if (b > jb * ts_) sum += sample(jb) * env_integral(jb * ts_, b);
  return sum;
}

double arbitrary_integral::charge(std::int64_t t0_us, std::int64_t t1_us) const noexcept {
  // The same support as program_charge: [0, duration), and [0, n ts) for a waveform that does not repeat.
  const program& p = p_;
  t0_us = std::max<std::int64_t>(t0_us, 0);
  if (p.duration_us > 0) t1_us = std::min(t1_us, p.duration_us);
  if (!p.wave.repeat) t1_us = std::min<std::int64_t>(t1_us, ts_ * static_cast<std::int64_t>(p.wave.n_samples));
  if (t1_us <= t0_us) return 0.0;
  const auto length = static_cast<double>(t1_us - t0_us);
  if (n_ == 0 || ts_ == 0) return p.offset * length;
  const bool ramp_down = p.ramp_down_us > 0 && p.duration_us > 0;
  // Overlapping ramps (refused by validate) cross at a time off the microsecond grid: integrate those as
  // program_charge does.
  if (p.ramp_up_us > 0 && ramp_down && p.ramp_up_us + p.ramp_down_us > p.duration_us)
    return program_charge(p, t0_us, t1_us);
  std::array<std::int64_t, 4> cuts{};
  std::size_t n_cuts = 0;
  cuts[n_cuts++] = t0_us;
  if (p.ramp_up_us > t0_us && p.ramp_up_us < t1_us) cuts[n_cuts++] = p.ramp_up_us;
  if (ramp_down) {
    const std::int64_t knot = p.duration_us - p.ramp_down_us;
    if (knot > cuts[n_cuts - 1] && knot < t1_us) cuts[n_cuts++] = knot;
  }
  cuts[n_cuts++] = t1_us;
  double sum = 0.0;
  for (std::size_t i = 0; i + 1 < n_cuts; ++i) {
    const std::int64_t a = cuts[i], b = cuts[i + 1];
    const double e_a = program_envelope(p, static_cast<double>(a));
    const double beta = (program_envelope(p, static_cast<double>(b)) - e_a) / static_cast<double>(b - a);
    sum += linear_piece(a, b, e_a, beta);
  }
  return p.offset * length + p.amplitude * sum;
}

}  // namespace cortexloop::firmware_sim
