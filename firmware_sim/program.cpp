#include "firmware_sim/program.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine/inputs/sine_step.hpp"

namespace cortexloop::firmware_sim {

namespace {

constexpr double kUsPerS = 1e6;
constexpr std::int64_t kNever = -1;

// ---- ramp envelope --------------------------------------------------------------------------------------
// env(tau) = min(1, tau / ramp_up, (duration - tau) / ramp_down): piecewise linear, so the trapezoid rule
// between its knots is exact.
struct envelope {
  std::int64_t ramp_up_us = 0, ramp_down_us = 0, duration_us = 0;  // duration 0: no end, no ramp down

  double at(double tau) const noexcept {
    double e = 1.0;
    if (ramp_up_us > 0) e = std::min(e, tau / static_cast<double>(ramp_up_us));
    if (ramp_down_us > 0 && duration_us > 0)
      e = std::min(e, static_cast<double>(duration_us - tau) / static_cast<double>(ramp_down_us));
    return std::clamp(e, 0.0, 1.0);
  }
  bool flat() const noexcept { return ramp_up_us <= 0 && (ramp_down_us <= 0 || duration_us <= 0); }

  // Exact integral of env over [a, b) (us): trapezoids between the knots inside the interval.
  double integral(double a, double b) const noexcept {
    if (b <= a) return 0.0;
    if (flat()) return b - a;
    std::array<double, 5> knots{};
    std::size_t n = 0;
    knots[n++] = a;
    auto add = [&](double k) {
      if (k > a && k < b) knots[n++] = k;
    };
    if (ramp_up_us > 0) add(static_cast<double>(ramp_up_us));
    if (ramp_down_us > 0 && duration_us > 0) {
      add(static_cast<double>(duration_us - ramp_down_us));
      // Where overlapping ramps cross (only when ramp_up + ramp_down > duration).
      if (ramp_up_us > 0)
        add(static_cast<double>(duration_us) * static_cast<double>(ramp_up_us) /
            static_cast<double>(ramp_up_us + ramp_down_us));
    }
    // At most three inner knots: an insertion sort.
    for (std::size_t i = 2; i < n; ++i)
      for (std::size_t j = i; j > 1 && knots[j - 1] > knots[j]; --j) std::swap(knots[j - 1], knots[j]);
    knots[n++] = b;
    double sum = 0.0;
    for (std::size_t i = 0; i + 1 < n; ++i) sum += 0.5 * (at(knots[i]) + at(knots[i + 1])) * (knots[i + 1] - knots[i]);
    return sum;
  }
};

envelope envelope_of(const program& p) noexcept { return {p.ramp_up_us, p.ramp_down_us, p.duration_us}; }

// ---- pulse trains ---------------------------------------------------------------------------------------
// All pulse-train arithmetic is in integer microseconds: the charge of an interval is amplitude times a
// signed count of microseconds, so the two phases of a biphasic pulse cancel exactly.

// Start of pulse n inside its burst (the header's rule).
std::int64_t pulse_start_us(std::int64_t n, double frequency_Hz) noexcept {
  return std::llround(static_cast<double>(n) * kUsPerS / frequency_Hz);
}

std::int64_t pulse_extent_us(const program& p) noexcept {
  const auto w = static_cast<std::int64_t>(p.phase_width_us);
  return p.biphasic ? 2 * w + static_cast<std::int64_t>(p.interphase_gap_us) : w;
}

// Smallest n >= 0 with pulse_start_us(n) >= x (pulse starts increase with n).
std::int64_t first_pulse_at_or_after(std::int64_t x, double frequency_Hz) noexcept {
  if (x <= 0) return 0;
  const double period_us = kUsPerS / frequency_Hz;
  auto n = static_cast<std::int64_t>(std::floor((static_cast<double>(x) - 0.5) / period_us));
  n = std::max<std::int64_t>(n - 1, 0);
  while (pulse_start_us(n, frequency_Hz) < x) ++n;
  while (n > 0 && pulse_start_us(n - 1, frequency_Hz) >= x) --n;
  return n;
}

std::int64_t overlap_us(std::int64_t a0, std::int64_t a1, std::int64_t b0, std::int64_t b1) noexcept {
  return std::max<std::int64_t>(0, std::min(a1, b1) - std::max(a0, b0));
}

// Signed microseconds (phase 1 counted with its sign, in units of the amplitude) of pulse starting at s
// inside [t0, t1).
std::int64_t pulse_signed_us(const program& p, std::int64_t s, std::int64_t t0, std::int64_t t1) noexcept {
  const auto w = static_cast<std::int64_t>(p.phase_width_us);
  const std::int64_t first_sign = p.cathodic_first ? -1 : 1;
  std::int64_t us = first_sign * overlap_us(s, s + w, t0, t1);
  if (p.biphasic) {
    const std::int64_t s2 = s + w + static_cast<std::int64_t>(p.interphase_gap_us);
    us -= first_sign * overlap_us(s2, s2 + w, t0, t1);
  }
  return us;
}

// Net signed microseconds of one whole pulse: 0 when biphasic.
std::int64_t whole_pulse_signed_us(const program& p) noexcept {
  if (p.biphasic) return 0;
  return (p.cathodic_first ? -1 : 1) * static_cast<std::int64_t>(p.phase_width_us);
}

// Signed microseconds of the pulses n in [0, n_pulses) (n_pulses < 0: endless) of one burst starting at 0,
// inside [t0, t1). Pulses wholly inside count in bulk; only those cut by t0 or t1 (at most a couple, a pulse
// being shorter than its period) are intersected one by one, so a long interval costs O(1).
std::int64_t burst_signed_us(const program& p, std::int64_t n_pulses, std::int64_t t0, std::int64_t t1) noexcept {
  if (t1 <= t0) return 0;
  const std::int64_t extent = pulse_extent_us(p);
  const double f = p.frequency_Hz;
  std::int64_t n_first = first_pulse_at_or_after(t0 - extent + 1, f);      // first pulse ending after t0
  std::int64_t n_end = first_pulse_at_or_after(t1, f);                      // first pulse starting at/after t1
  if (n_pulses >= 0) n_end = std::min(n_end, n_pulses);
  if (n_end <= n_first) return 0;
  std::int64_t whole_first = first_pulse_at_or_after(t0, f);                // starts inside
  std::int64_t whole_end = first_pulse_at_or_after(t1 - extent + 1, f);     // ends inside
  whole_first = std::clamp(whole_first, n_first, n_end);
  whole_end = std::clamp(whole_end, whole_first, n_end);
  std::int64_t us = (whole_end - whole_first) * whole_pulse_signed_us(p);
  for (std::int64_t n = n_first; n < whole_first; ++n) us += pulse_signed_us(p, pulse_start_us(n, f), t0, t1);
  for (std::int64_t n = whole_end; n < n_end; ++n) us += pulse_signed_us(p, pulse_start_us(n, f), t0, t1);
  return us;
}

std::int64_t train_signed_us(const program& p, std::int64_t t0, std::int64_t t1) noexcept {
  // (A non-finite or non-positive frequency is refused by validate(); here it must not reach llround.)
  if (p.phase_width_us == 0 || !(p.frequency_Hz > 0.0) || !std::isfinite(p.frequency_Hz)) return 0;
  if (p.pulses_per_burst == 0 || p.burst_period_us <= 0) return burst_signed_us(p, -1, t0, t1);
  const auto per_burst = static_cast<std::int64_t>(p.pulses_per_burst);
  const std::int64_t period = p.burst_period_us;
  const std::int64_t burst_extent = pulse_start_us(per_burst - 1, p.frequency_Hz) + pulse_extent_us(p);
  // Bursts overlapping [t0, t1): b * period < t1 and b * period + burst_extent > t0.
  std::int64_t b_first = std::max<std::int64_t>(0, (t0 - burst_extent) / period);
  while (b_first * period + burst_extent <= t0) ++b_first;
  std::int64_t b_end = (t1 - 1) / period + 1;  // t1 >= 1 here (t1 > t0 >= 0)
  if (p.n_bursts > 0) b_end = std::min<std::int64_t>(b_end, p.n_bursts);
  if (b_end <= b_first) return 0;
  // Bursts wholly inside count in bulk (a burst fits in its period, validated).
  const std::int64_t whole_burst_us = per_burst * whole_pulse_signed_us(p);
  std::int64_t us = 0;
  std::int64_t b = b_first;
  for (; b < b_end && b * period < t0; ++b) us += burst_signed_us(p, per_burst, t0 - b * period, t1 - b * period);
  // Last whole burst: b * period + burst_extent <= t1.
  std::int64_t b_whole_end = b;
  if (t1 - burst_extent >= 0) b_whole_end = std::clamp((t1 - burst_extent) / period + 1, b, b_end);
  us += (b_whole_end - b) * whole_burst_us;
  for (b = b_whole_end; b < b_end; ++b) us += burst_signed_us(p, per_burst, t0 - b * period, t1 - b * period);
  return us;
}

// ---- arbitrary ------------------------------------------------------------------------------------------
double arbitrary_charge(const program& p, std::int64_t t0, std::int64_t t1) noexcept {
  const arbitrary_waveform& w = p.wave;
  if (w.n_samples == 0 || w.sample_period_us == 0) return 0.0;
  const std::uint32_t n = std::min<std::uint32_t>(w.n_samples, kMaxWaveformSamples);
  const auto ts = static_cast<std::int64_t>(w.sample_period_us);
  const std::int64_t length = ts * n;
  if (!w.repeat) t1 = std::min(t1, length);
  const envelope env = envelope_of(p);
  double sum = 0.0;
  for (std::int64_t t = t0; t < t1;) {
    // Sample held over [t, piece_end): constant there, so sample x exact integral of the envelope.
    const std::int64_t k = t / ts;  // t >= 0
    const std::int64_t piece_end = std::min(t1, (k + 1) * ts);
    const double sample = w.samples[static_cast<std::size_t>(k % n)];
    if (sample != 0.0) sum += sample * env.integral(static_cast<double>(t), static_cast<double>(piece_end));
    t = piece_end;
  }
  return p.amplitude * sum;
}

// ---- noise ----------------------------------------------------------------------------------------------
double noise_charge(const program& p, std::int64_t t0, std::int64_t t1) noexcept {
  const auto hold = static_cast<std::int64_t>(std::max<std::uint32_t>(p.wave.sample_period_us, 1));
  const envelope env = envelope_of(p);
  double sum = 0.0;
  for (std::int64_t t = t0; t < t1;) {
    const std::int64_t k = t / hold;  // t >= 0
    const std::int64_t piece_end = std::min(t1, (k + 1) * hold);
    sum += noise_value(p.noise_seed, k) * env.integral(static_cast<double>(t), static_cast<double>(piece_end));
    t = piece_end;
  }
  return p.amplitude * sum;
}

std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

double noise_value(std::uint64_t seed, std::int64_t i) noexcept {
  // Two independent uniforms in (0, 1] from a counter-based hash (Steele et al. 2014, SplitMix64), then
  // Box-Muller: no state, so any interval's charge can be integrated in any order.
  const std::uint64_t a = splitmix64(seed * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(2 * i));
  const std::uint64_t b = splitmix64(seed * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(2 * i + 1));
  const double u1 = (static_cast<double>(a >> 11) + 1.0) * 0x1.0p-53, u2 = static_cast<double>(b >> 11) * 0x1.0p-53;
  const double g = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  return std::clamp(g, -kNoiseClipSd, kNoiseClipSd);
}

double program_charge(const program& p, std::int64_t t0_us, std::int64_t t1_us) noexcept {
  // Everything is 0 outside [0, end): the duration, or the last sample of a waveform that does not repeat
  // (its offset included).
  t0_us = std::max<std::int64_t>(t0_us, 0);
  if (p.duration_us > 0) t1_us = std::min(t1_us, p.duration_us);
  if (p.shape == waveform::arbitrary && !p.wave.repeat)
    t1_us = std::min<std::int64_t>(t1_us, static_cast<std::int64_t>(p.wave.sample_period_us) * p.wave.n_samples);
  if (t1_us <= t0_us) return 0.0;
  const auto length = static_cast<double>(t1_us - t0_us);
  const envelope env = envelope_of(p);
  switch (p.shape) {
    case waveform::dc:
      // Flat: one level, offset + amplitude, as program_peak (and so validate) sees it. Summed separately, an
      // accepted offset = 1.8e308 with amplitude = -1.8e308 (level 0) gave inf - inf = NaN (fuzz/fuzz_program).
      if (env.flat()) return (p.offset + p.amplitude) * length;
      return p.offset * length + p.amplitude * env.integral(static_cast<double>(t0_us), static_cast<double>(t1_us));
    case waveform::sine: {
      // The sine's exact integral over the step (engine/inputs/sine_step.hpp: the config's [[stimulus]] sine uses the
      // same function, so simulate and serve give a step the same current).
      if (!(p.frequency_Hz > 0.0)) return p.offset * length;
      // The phase reduced to one turn first (exact): phase_deg * pi overflowed to inf for |phase_deg| > 5.7e307,
      // and sin(inf) is NaN; found by fuzz/fuzz_program.
      const double phi = std::fmod(p.phase_deg, 360.0) * (std::numbers::pi / 180.0);
      const double mid = 0.5 * (static_cast<double>(t0_us) + static_cast<double>(t1_us));
      const double integral =
          engine::sine_integral_us(p.frequency_Hz, phi, static_cast<double>(t0_us), static_cast<double>(t1_us));
      return p.offset * length + p.amplitude * env.at(mid) * integral;
    }
    case waveform::pulse_train:
      return p.amplitude * static_cast<double>(train_signed_us(p, t0_us, t1_us));
    case waveform::arbitrary:
      return p.offset * length + arbitrary_charge(p, t0_us, t1_us);
    case waveform::noise:
      return p.offset * length + noise_charge(p, t0_us, t1_us);
  }
  return 0.0;
}

std::size_t train_phases(const program& p, std::int64_t t0, std::int64_t t1, std::span<phase_segment> out) noexcept {
  if (p.shape != waveform::pulse_train || p.phase_width_us == 0 || !(p.frequency_Hz > 0.0) ||
      !std::isfinite(p.frequency_Hz))
    return 0;
  t0 = std::max<std::int64_t>(t0, 0);
  if (p.duration_us > 0) t1 = std::min(t1, p.duration_us);
  if (t1 <= t0) return 0;
  const auto w = static_cast<std::int64_t>(p.phase_width_us), gap = static_cast<std::int64_t>(p.interphase_gap_us);
  const std::int64_t extent = pulse_extent_us(p);
  const int first_sign = p.cathodic_first ? -1 : 1;
  std::size_t n = 0;
  auto add = [&](std::int64_t b, std::int64_t e, int sign) {
    b = std::max(b, t0);
    e = std::min(e, t1);
    if (e <= b) return;
    if (n < out.size()) out[n] = {b, e, sign};
    ++n;
  };
  // The pulses of one burst starting at `origin` (n_pulses < 0: endless) that overlap [t0, t1); stops counting
  // once there are more than out.size() phases.
  auto burst = [&](std::int64_t origin, std::int64_t n_pulses) {
    std::int64_t k = first_pulse_at_or_after(t0 - origin - extent + 1, p.frequency_Hz);
    std::int64_t k_end = first_pulse_at_or_after(t1 - origin, p.frequency_Hz);
    if (n_pulses >= 0) k_end = std::min(k_end, n_pulses);
    for (; k < k_end && n <= out.size(); ++k) {
      const std::int64_t s = origin + pulse_start_us(k, p.frequency_Hz);
      add(s, s + w, first_sign);
      if (p.biphasic) add(s + w + gap, s + 2 * w + gap, -first_sign);
    }
  };
  if (p.pulses_per_burst == 0 || p.burst_period_us <= 0) {
    burst(0, -1);
    return n;
  }
  const auto per_burst = static_cast<std::int64_t>(p.pulses_per_burst);
  const std::int64_t period = p.burst_period_us;
  const std::int64_t burst_extent = pulse_start_us(per_burst - 1, p.frequency_Hz) + extent;
  std::int64_t b = std::max<std::int64_t>(0, (t0 - burst_extent) / period);
  while (b * period + burst_extent <= t0) ++b;
  for (; b * period < t1 && (p.n_bursts == 0 || b < static_cast<std::int64_t>(p.n_bursts)) && n <= out.size(); ++b)
    burst(b * period, per_burst);
  return n;
}

std::int64_t pulse_train_pause_at_or_after(const program& p, std::int64_t t_us) noexcept {
  if (p.shape != waveform::pulse_train || t_us < 0 || p.phase_width_us == 0 || !(p.frequency_Hz > 0.0) ||
      !std::isfinite(p.frequency_Hz))
    return t_us;
  // The burst t_us falls in (a burst fits in its period, validated), or one endless burst from 0.
  std::int64_t origin = 0, n_pulses = -1;
  if (p.pulses_per_burst > 0 && p.burst_period_us > 0) {
    const std::int64_t b = t_us / p.burst_period_us;
    if (p.n_bursts > 0 && b >= p.n_bursts) return t_us;
    origin = b * p.burst_period_us;
    n_pulses = p.pulses_per_burst;
  }
  const std::int64_t extent = pulse_extent_us(p), local = t_us - origin;
  const std::int64_t n = first_pulse_at_or_after(local - extent + 1, p.frequency_Hz);  // the first ending after it
  if (n_pulses >= 0 && n >= n_pulses) return t_us;
  const std::int64_t start = pulse_start_us(n, p.frequency_Hz);
  return start < local ? origin + start + extent : t_us;
}

double program_envelope(const program& p, double tau_us) noexcept { return envelope_of(p).at(tau_us); }

double program_peak(const program& p) noexcept {
  const double a = std::fabs(p.amplitude), o = std::fabs(p.offset);
  switch (p.shape) {
    case waveform::dc:
      // env spans [0, 1] when ramped, so both ends of offset + amplitude * env can be reached.
      return std::max(std::fabs(p.offset + p.amplitude), envelope_of(p).flat() ? 0.0 : o);
    case waveform::sine:
      return o + a;
    case waveform::noise:
      return o + kNoiseClipSd * a;
    case waveform::pulse_train:
      return a;
    case waveform::arbitrary: {
      double peak = envelope_of(p).flat() ? 0.0 : o;
      const std::uint32_t n = std::min<std::uint32_t>(p.wave.n_samples, kMaxWaveformSamples);
      for (std::uint32_t i = 0; i < n; ++i) peak = std::max(peak, std::fabs(p.offset + p.amplitude * p.wave.samples[i]));
      return peak;
    }
  }
  return 0.0;
}

double program_phase_charge(const program& p) noexcept {
  if (p.shape != waveform::pulse_train) return 0.0;
  return std::fabs(p.amplitude) * static_cast<double>(p.phase_width_us);
}

double program_pulse_rate_Hz(const program& p) noexcept {
  return p.shape == waveform::pulse_train ? p.frequency_Hz : 0.0;
}

std::int64_t program_end_us(const program& p) noexcept {
  std::int64_t end = kNever;
  if (p.shape == waveform::pulse_train && p.pulses_per_burst > 0 && p.n_bursts > 0 && p.frequency_Hz > 0.0 &&
      std::isfinite(p.frequency_Hz)) {
    // (n_bursts - 1) x burst_period_us left int64 for accepted trains (n_bursts up to 2^32 - 1, periods up to an
    // hour: 3.5e9 x 3.3e9 us; UBSan: signed overflow, found by fuzz/fuzz_program; reached by validate's safety
    // check of monophasic trains and by stimulator::load). An end past int64 microseconds (292,000 years) is no
    // end: kNever.
    const std::int64_t last_burst = static_cast<std::int64_t>(p.n_bursts) - 1;
    const std::int64_t burst_us =
        pulse_start_us(static_cast<std::int64_t>(p.pulses_per_burst) - 1, p.frequency_Hz) + pulse_extent_us(p);
    std::int64_t last_start = 0;
    if (__builtin_mul_overflow(last_burst, p.burst_period_us, &last_start) ||
        __builtin_add_overflow(last_start, burst_us, &end))
      end = kNever;
  }
  if (p.shape == waveform::arbitrary && !p.wave.repeat)
    end = static_cast<std::int64_t>(p.wave.sample_period_us) * std::min<std::uint32_t>(p.wave.n_samples, kMaxWaveformSamples);
  if (p.duration_us > 0) end = end == kNever ? p.duration_us : std::min(end, p.duration_us);
  return end;
}

}  // namespace cortexloop::firmware_sim
