#include "firmware_sim/safety.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>

#include "firmware_sim/arbitrary_integral.hpp"
#include "firmware_sim/text_builder.hpp"

namespace cortexloop::firmware_sim {

namespace {

constexpr double kUsPerMs = 1000.0;
// amplitude-units x us -> nC: uA x us = 1e-12 C = 1e-3 nC.
constexpr double kNcPerUaUs = 1e-3;

using text = detail::text_builder;

safety_verdict broken(safety_limit l, double value, double bound) noexcept { return {l, value, bound}; }
// The monitor's tolerance: a step's mean current equals the program's peak for DC at the limit, and a phase summed
// piece by piece equals the program's phase charge; a relative 1e-9 keeps rounding in charge -> current (or in the
// pieces' sum) from stopping a program the static check passed.
constexpr double kMonitorSlack = 1.0 + 1e-9;

// Charge per phase, then charge density, of a phase of phase_nC on an electrode of area_mm2. slack (>= 1) tolerates
// relative rounding of phase_nC: the monitor sums a phase piece by piece, check_program takes it whole (slack 1).
safety_verdict check_phase(double phase_nC, double area_mm2, const safety_limits& limits, double slack) noexcept {
  if (!(phase_nC > 0.0)) return {};
  if (phase_nC > limits.max_charge_per_phase_nC * slack)
    return broken(safety_limit::charge_per_phase, phase_nC, limits.max_charge_per_phase_nC);
  // Shannon 1992 (IEEE Trans Biomed Eng 39:424), eq. of the safe boundary: log10(D) = k - log10(Q), with Q
  // in uC per phase and D = Q / A in uC/cm^2; safe when log10(Q) + log10(D) <= k. Q / slack raises k's bound by
  // 2 log10(slack).
  const double q_uC = phase_nC / 1000.0;
  const double area_cm2 = area_mm2 / 100.0;
  const double k = std::log10(q_uC) + std::log10(q_uC / area_cm2);
  if (k > limits.shannon_k + 2.0 * std::log10(slack)) {
    safety_verdict v = broken(safety_limit::charge_density, k, limits.shannon_k);
    v.charge_nC = phase_nC;
    v.area_mm2 = area_mm2;
    return v;
  }
  return {};
}

bool fields_finite(const program& p) noexcept {
  if (!std::isfinite(p.amplitude) || !std::isfinite(p.offset) || !std::isfinite(p.frequency_Hz) ||
      !std::isfinite(p.phase_deg))
    return false;
  if (p.shape == waveform::arbitrary) {
    const std::uint32_t n = std::min<std::uint32_t>(p.wave.n_samples, kMaxWaveformSamples);
    for (std::uint32_t i = 0; i < n; ++i)
      if (!std::isfinite(p.wave.samples[i])) return false;
  }
  return true;
}

double non_finite_value(const program& p) noexcept {
  for (const double v : {p.amplitude, p.offset, p.frequency_Hz, p.phase_deg})
    if (!std::isfinite(v)) return v;
  return std::numeric_limits<double>::quiet_NaN();  // a non-finite sample
}

// Length of the program's support that a window of W us can cover.
double covered_us(const program& p, double window_us) noexcept {
  const std::int64_t end = program_end_us(p);
  return end < 0 ? window_us : std::min(window_us, static_cast<double>(end));
}

// ---- worst net charge over a window (amplitude-units x us) ----------------------------------------------
// Each shape gets the exact supremum where one is simple, otherwise a sufficient upper bound; which one is
// said per shape. The program is checked as if running forever from tau = 0 (windows reaching before its
// start hold nothing), so the bound holds whatever the delay.

// Largest |integral of the unscaled samples (zero-order hold, repeating)| over any interval of at most
// length_us: with C the running integral, mu its mean slope over a repeat period and c = C - mu t (periodic and
// piecewise linear, so its extremes are at sample boundaries), |C(b) - C(a)| <= |mu| (b - a) + max c - min c.
double sample_integral_bound(const program& p, double length_us) noexcept {
  const std::uint32_t n = std::min<std::uint32_t>(p.wave.n_samples, kMaxWaveformSamples);
  if (n == 0) return 0.0;
  const double ts = std::max<double>(p.wave.sample_period_us, 1.0);
  double sum = 0.0;
  for (std::uint32_t i = 0; i < n; ++i) sum += p.wave.samples[i];
  const double mu = sum / n;  // per us
  double c = 0.0, c_min = 0.0, c_max = 0.0;
  for (std::uint32_t i = 0; i < n; ++i) {
    c += (p.wave.samples[i] - mu) * ts;
    c_min = std::min(c_min, c);
    c_max = std::max(c_max, c);
  }
  return std::fabs(mu) * length_us + (c_max - c_min);
}

// Arbitrary (and anything piecewise constant): block sums (arbitrary_integral, O(1) each). A window of W = M B + r
// (0 <= r < B) holds M or M - 1 whole blocks plus less than 2 B at its edges, so
//   |Q| <= max over runs of M - 1 or M consecutive blocks of |sum| + 2 B peak          (upper bound);
// when r = 0 and the program is constant on each block (samples on the block grid, no ramps, duration a
// whole number of blocks), Q(start) is linear between block-aligned starts, so the block-aligned runs of M
// give the supremum exactly and no edge term is added.
//
// Runs wholly inside a long ramp are bounded instead of scanned one by one (the scan cost O(ramp / block)
// charges: a 28-minute ramp-up took 16 s at -O2 on the io thread; found by fuzz/fuzz_program). Inside a ramp
// env is linear, env(t) = e + d(t) with e its value at the run's start (ramp up) or end (ramp down), d
// monotone, 0 there and |d| <= L / R over a run of length L in a ramp of length R. Then
//   Q = offset L + e A I + A int s d,   I the run's integral of the unscaled samples s, e in [0, 1]:
//   |offset L + e A I| <= max(|offset| L, max over starts of |offset L + A I|)   (linear in e), and
//   |int s d| <= (L / R) max over sub-intervals |int s|                           (Bonnet's mean value theorem),
// the first max taken over one repeat period of an unramped copy, the second from sample_integral_bound.
// Only ramps holding more than kExactRampRuns runs are bounded: shorter ones keep the exact scan.
constexpr std::int64_t kMaxRunBlocks = 4096;
// The starts inside blocks the check may take (two block charges each, ~21 ns a start): ~11 ms of the I/O thread at
// most (measured 2026-12-05: 27 ms for 1.27 million, 1 us samples at a 1024 ms window; 5.3 ms for 250,000).
constexpr std::int64_t kMaxInsideStarts = 500'000;

// The charge a window edge can hold beyond the block-aligned runs: a part of one block, under `block` us long. At
// most peak x block; for an arbitrary waveform also |offset| block + |A| x (largest |integral of the samples| over
// an interval of at most a block, sample_integral_bound), since |integral of env s| <= that whenever env (the
// ramps, the start and the end, all in [0, 1]) is monotone over the interval (Bonnet's mean value theorem): it is,
// unless the program rises and falls again within one block. A balanced waveform's edges then cost its samples'
// spread, not peak x block (the blocks of a 1 s window over 50 us samples are 250 us: 2 peak x block alone refused
// a balanced 20 uA waveform).
double edge_charge_bound(const program& p, std::int64_t block) noexcept {
  const double crude = static_cast<double>(block) * program_peak(p);
  if (p.shape != waveform::arbitrary) return crude;
  const std::int64_t end = program_end_us(p);
  if (end >= 0) {
    const std::int64_t rise = std::max<std::int64_t>(p.ramp_up_us, 0);
    const std::int64_t fall = p.duration_us > 0 ? std::max<std::int64_t>(p.ramp_down_us, 0) : 0;
    if (end - fall - rise < block) return crude;  // a rise and a fall within one block
  }
  const double b = static_cast<double>(block);
  return std::min(crude, std::fabs(p.offset) * b + std::fabs(p.amplitude) * sample_integral_bound(p, b));
}

double block_worst_window(const program& p, std::int64_t window_us) noexcept {
  const std::int64_t ts = std::max<std::int64_t>(p.wave.sample_period_us, 1);
  // Blocks of whole sample periods, at most ~4096 per window so the check stays cheap.
  const std::int64_t k = std::max<std::int64_t>(1, (window_us + kMaxRunBlocks * ts - 1) / (kMaxRunBlocks * ts));
  const std::int64_t block = k * ts;
  const std::int64_t m = window_us / block;  // <= 4096 = kMaxRunBlocks
  const bool ramps = p.ramp_up_us > 0 || (p.ramp_down_us > 0 && p.duration_us > 0);
  // Exact on the block grid: Q(start) is then linear between sample-aligned starts. With blocks of several samples
  // (k > 1) the starts inside a block are taken too (below, `inside`); they were missed, and samples {1, 1, 0, -1,
  // -1} of 50 us at 200 uA passed the check and were stopped at their first step, 20 nC over 10 (a mutation audit,
  // 2026-12-05). Unless there are more than kMaxInsideStarts of them: then the edges' bound instead.
  const bool on_grid = window_us % block == 0 && !ramps && (p.duration_us <= 0 || p.duration_us % block == 0);
  const std::int64_t n = std::min<std::int64_t>(p.wave.n_samples, kMaxWaveformSamples);
  const std::int64_t end = program_end_us(p);
  // Starts worth checking: windows from before the start through one repeat period after the ramp up
  // (later interior windows repeat those), and the windows touching the ramp down and the end.
  const std::int64_t period_blocks = n;  // (n ts k) / block: a whole repeat period is n blocks
  const std::int64_t first = -m - 1;
  std::int64_t head_last = (std::max<std::int64_t>(p.ramp_up_us, 0) + block - 1) / block + period_blocks + 1;
  std::int64_t tail_first = head_last;
  std::int64_t end_block = 0;
  if (end >= 0) {
    end_block = (end + block - 1) / block;
    head_last = std::min(head_last, end_block);
    tail_first = std::max(head_last, end_block - (std::max<std::int64_t>(p.ramp_down_us, 0) + block - 1) / block -
                                         period_blocks - m - 1);
    tail_first = std::max(tail_first, head_last);
  }
  const std::int64_t starts = (head_last - first + 1) + (end >= 0 ? std::max<std::int64_t>(end_block - tail_first + 1, 0) : 0);
  const bool exact = on_grid && (k == 1 || starts * (k - 1) <= kMaxInsideStarts);
  // Block charges in O(1) each (arbitrary_integral): integrated sample by sample, 1 us samples cost
  // O(window / sample period) per start, 0.1-0.4 s of validate at a 1 s window (bench/bench_validate.cpp).
  const arbitrary_integral integral(p);
  // The starts inside block b, one sample apart: the window gains the first i samples of block b + m and loses
  // those of block b (exact on the grid; only with k > 1).
  auto inside = [&](std::int64_t b, double sum) {
    double found = 0.0;
    for (std::int64_t i = 1; i < k; ++i)
      found = std::max(found, std::fabs(sum + integral.charge((b + m) * block, (b + m) * block + i * ts) -
                                          integral.charge(b * block, b * block + i * ts)));
    return found;
  };
  auto q = [&](std::int64_t b) { return integral.charge(b * block, (b + 1) * block); };
  // Largest |sum| of runs of m and (unless exact) m - 1 consecutive block charges q_of(b) starting in
  // [from, to]: one pass, each block's charge computed once (the last m kept in a ring), the run of m - 1
  // being the run of m less its newest block.
  std::array<double, kMaxRunBlocks> last{};
  auto slide = [&](auto&& q_of, std::int64_t from, std::int64_t to, bool within = false) {
    double found = 0.0;
    if (to < from || m <= 0) return found;
    double sum = 0.0;
    for (std::int64_t i = 0; i < m; ++i) sum += last[static_cast<std::size_t>(i)] = q_of(from + i);
    const bool shorter = !exact && m - 1 > 0;
    for (std::int64_t s = from;; ++s) {
      const auto slot = static_cast<std::size_t>((s - from) % m);  // block s; block s + m - 1 is the slot before
      found = std::max(found, std::fabs(sum));
      if (within) found = std::max(found, inside(s, sum));
      if (shorter) found = std::max(found, std::fabs(sum - last[(slot + static_cast<std::size_t>(m) - 1) % static_cast<std::size_t>(m)]));
      if (s == to) break;
      const double next = q_of(s + m);
      sum += next - last[slot];
      last[slot] = next;
    }
    return found;
  };
  double worst = 0.0;
  auto scan = [&](std::int64_t from, std::int64_t to) { worst = std::max(worst, slide(q, from, to, exact && k > 1)); };
  // Runs (starts [a, b]) wholly inside one ramp, when the ramps do not overlap (validate_timing) and the
  // program runs through the ramp.
  const std::int64_t kExactRampRuns = 8 * (m + period_blocks) + 64;
  const bool separate_ramps = p.duration_us <= 0 || p.ramp_up_us + std::max<std::int64_t>(p.ramp_down_us, 0) <= p.duration_us;
  const bool can_bound = m >= 1 && n >= 1 && separate_ramps;
  std::int64_t up_a = 1, up_b = 0, down_a = 1, down_b = 0;  // empty
  if (can_bound && p.ramp_up_us > 0) {
    const std::int64_t limit = end >= 0 ? std::min(p.ramp_up_us, end) : p.ramp_up_us;
    up_a = 0;
    up_b = std::min(limit / block - m, head_last);
    if (up_b - up_a + 1 <= kExactRampRuns) up_b = up_a - 1;
  }
  const bool tail = end >= 0 && tail_first > head_last;
  if (can_bound && tail && p.ramp_down_us > 0 && p.duration_us > 0 && end == p.duration_us) {
    down_a = std::max((p.duration_us - p.ramp_down_us + block - 1) / block, tail_first);
    down_b = std::min(p.duration_us / block - m, end_block);
    if (down_b - down_a + 1 <= kExactRampRuns) down_b = down_a - 1;
  }
  double ramp_worst = 0.0;
  auto bound_ramp = [&](double ramp_us) {
    program flat = p;
    flat.ramp_up_us = 0;
    flat.ramp_down_us = 0;
    flat.duration_us = 0;
    flat.wave.repeat = true;
    const arbitrary_integral flat_integral(flat);
    const double flat_worst =
        slide([&](std::int64_t b) { return flat_integral.charge(b * block, (b + 1) * block); }, 0, period_blocks);
    const double length = static_cast<double>(m * block);
    const double b = std::max(std::fabs(p.offset) * length, flat_worst) +
                     std::fabs(p.amplitude) * (length / ramp_us) * sample_integral_bound(p, length);
    ramp_worst = std::max(ramp_worst, b);
  };
  if (up_b >= up_a) {
    scan(first, up_a - 1);
    bound_ramp(static_cast<double>(p.ramp_up_us));
    scan(up_b + 1, head_last);
  } else {
    scan(first, head_last);
  }
  if (tail) {
    if (down_b >= down_a) {
      scan(tail_first, down_a - 1);
      bound_ramp(static_cast<double>(p.ramp_down_us));
      scan(down_b + 1, end_block);
    } else {
      scan(tail_first, end_block);
    }
  }
  worst = std::max(worst, ramp_worst);
  return worst + (exact ? 0.0 : 2.0 * edge_charge_bound(p, block));
}

// sup over x in (0, w] of |integral over [0, x] of sin(omega t + phi)| = (1 / omega) max |cos phi - cos theta| for
// theta in [phi, phi + omega w]: the larger of its value at the interval's end and at the multiples of pi inside
// it (where cos theta is +-1); a window of a whole period or more reaches 1 + |cos phi|.
double sine_start_window(double phase_deg, double omega, double w) noexcept {
  const double phi = std::fmod(phase_deg, 360.0) * (std::numbers::pi / 180.0);
  const double span = omega * w;
  const double c = std::cos(phi);
  if (span >= 2.0 * std::numbers::pi) return (1.0 + std::fabs(c)) / omega;
  double worst = std::fabs(c - std::cos(phi + span));
  for (double k = std::ceil(phi / std::numbers::pi); k * std::numbers::pi <= phi + span; k += 1.0)
    worst = std::max(worst, std::fabs(c - std::cos(k * std::numbers::pi)));
  return worst / omega;
}

double worst_window_net(const program& p, std::int64_t window_us) noexcept {
  const auto w = static_cast<double>(window_us);
  switch (p.shape) {
    case waveform::dc:
      // |offset + A env| <= peak throughout: peak x covered time. Exact without ramps (the window inside the
      // flat part), an upper bound with them.
      return program_peak(p) * covered_us(p, w);
    case waveform::sine: {
      // |int over any interval of sin| <= 2 / omega (one half cycle). An endless unramped sine has two kinds of
      // window: those inside it, whose supremum is (2 / omega) |sin(omega W / 2)| (0 for whole periods), and those
      // that hold its start, [0, x] for x in (0, W]: (1 / omega) max |cos phi - cos(omega x + phi)|. The second
      // was left out, and a 10 Hz sine of 2 uA (a 1 s window of whole periods) was accepted and then stopped
      // 12.9 ms after its start by the device's own net-charge check (an outside check, 2026-12-04). Exact for
      // an endless unramped sine without offset; the offset adds |offset| x covered time (upper bound when both
      // are present).
      if (!(p.frequency_Hz > 0.0)) return std::fabs(p.offset) * covered_us(p, w);
      const double omega = 2.0 * std::numbers::pi * p.frequency_Hz / 1e6;  // rad per us
      const bool endless_flat = p.duration_us <= 0 && p.ramp_up_us <= 0;
      const double sine = endless_flat ? std::max((2.0 / omega) * std::fabs(std::sin(0.5 * omega * w)),
                                                  sine_start_window(p.phase_deg, omega, w))
                                       : 2.0 / omega;
      return std::fabs(p.offset) * covered_us(p, w) + std::fabs(p.amplitude) * std::min(sine, w);
    }
    case waveform::pulse_train: {
      const double a = std::fabs(p.amplitude), width = p.phase_width_us;
      // Biphasic: whole pulses cancel; a window's edges cut at most one pulse each, the leading one
      // contributing in [0, A w] and the trailing one in [-A w, 0] (or the opposite signs), so the supremum is
      // exactly A min(w, W) (a window from the end of one phase 1 to the start of a later phase 1).
      if (p.biphasic) return a * std::min(width, w);
      // Monophasic: on-time in the window <= (pulses that can touch it) x w, pulses being at least
      // floor(period) apart (upper bound).
      const double spacing = std::max(1.0, std::floor(1e6 / p.frequency_Hz));
      double pulses = std::floor((w + width) / spacing) + 1.0;
      if (p.pulses_per_burst > 0 && p.n_bursts > 0) pulses = std::min(pulses, 1.0 * p.pulses_per_burst * p.n_bursts);
      return a * std::min(covered_us(p, w), pulses * width);
    }
    case waveform::arbitrary:
      return block_worst_window(p, window_us);
    case waveform::noise:
      // Every hold interval can be at the clip: peak x covered time (an upper bound, far above the typical
      // sqrt(n) sum: noise at an electrode needs the net-charge limit raised on purpose, as tRNS does).
      return program_peak(p) * covered_us(p, w);
  }
  return 0.0;
}

// The reason of a model_domain verdict: the Zerlaut ring's mu_V above its bound, or an ALN unit's table input past
// an edge of the cascade table's grid.
void format_domain(const safety_verdict& v, text& t) noexcept {
  if (v.domain == domain_quantity::ring_mu_v_mV) {
    t << "ring mu_V = " << v.value << " mV > " << v.bound << " mV (the mean field's domain, device.ring_max_mu_v_mV)";
    return;
  }
  if (v.unit < 0) t << "ALN node";
  else t << "ALN ring unit " << static_cast<double>(v.unit);
  const bool mu = v.domain == domain_quantity::aln_mu_exc || v.domain == domain_quantity::aln_mu_inh;
  const bool exc = v.domain == domain_quantity::aln_mu_exc || v.domain == domain_quantity::aln_sigma_exc;
  const char* unit = mu ? " mV/ms" : " mV/sqrt(ms)";
  t << (exc ? ": E input " : ": I input ") << (mu ? "mu = " : "sigma = ") << v.value << unit
    << (v.value < v.bound ? " < " : " > ") << v.bound << unit
    << ", outside the cascade table's grid (its rates are the edge's)";
}

}  // namespace

const char* safety_limit_name(safety_limit l) noexcept {
  switch (l) {
    case safety_limit::none: return "none";
    case safety_limit::max_current: return "max current";
    case safety_limit::charge_per_phase: return "charge per phase";
    case safety_limit::charge_density: return "charge density";
    case safety_limit::net_charge: return "net charge";
    case safety_limit::pulse_rate: return "pulse rate";
    case safety_limit::compliance: return "compliance";
    case safety_limit::direct_current: return "direct current";
    case safety_limit::watchdog: return "watchdog";
    case safety_limit::model_domain: return "model domain";
  }
  return "unknown";
}

std::string_view format_reason(const safety_verdict& v, reason_text& buffer) noexcept {
  text t(buffer);
  t << safety_limit_name(v.limit) << ": ";
  switch (v.limit) {
    case safety_limit::none:
      t << "ok";
      break;
    case safety_limit::max_current:
      t << "|I| = " << v.value << " uA > " << v.bound << " uA (max_current_uA)";
      break;
    case safety_limit::charge_per_phase:
      t << "Q = " << v.value << " nC per phase > " << v.bound << " nC (max_charge_per_phase_nC)";
      break;
    case safety_limit::charge_density:
      t << "Shannon k = " << v.value << " > " << v.bound << " (Q = " << v.charge_nC << " nC per phase on "
        << v.area_mm2 << " mm^2)";
      break;
    case safety_limit::net_charge:
      t << "|net Q| = " << v.value << " nC over a " << v.window_ms << " ms window > " << v.bound << " nC";
      if (v.allowance_nC > 0.0)
        t << " (max_net_charge_nC " << v.bound - v.allowance_nC << " + " << v.allowance_nC << " nC of pulse phases)";
      break;
    case safety_limit::pulse_rate:
      t << "rate = " << v.value << " Hz > " << v.bound << " Hz (max_pulse_rate_Hz)";
      break;
    case safety_limit::compliance:
      t << "|I| * Z = " << v.value << " V > " << v.bound << " V (compliance_V)";
      break;
    case safety_limit::direct_current:
      t << "|I| = " << v.value << " pA > " << v.bound << " pA (max_direct_pA)";
      if (v.population >= 0) t << " on the " << (v.population == 0 ? "exc" : "inh") << " population's direct sites together";
      break;
    case safety_limit::watchdog:
      t << "silent for " << v.value << " ms > " << v.bound << " ms";
      break;
    case safety_limit::model_domain:
      format_domain(v, t);
      break;
  }
  // Said in words: JSON has no inf or NaN, and safety.jsonl held "value": null beside "ring mu_V = inf mV" with
  // nothing to say why (an outside audit, 2026-12-06, from a conductivity of 1e-300 S/m, refused since).
  if (v.limit != safety_limit::none && !std::isfinite(v.value))
    t << "; the value is not a finite number (it overflowed or diverged)";
  return t.view();
}

safety_verdict check_program(const program& p, const electrode_params* electrode, const safety_limits& limits,
                             std::int64_t dt_us) noexcept {
  static_cast<void>(dt_us);  // the window is checked in continuous time; the monitor works on steps
  if (electrode == nullptr) {
    if (!fields_finite(p)) return broken(safety_limit::direct_current, non_finite_value(p), limits.max_direct_pA);
    const double peak = program_peak(p);
    if (peak > limits.max_direct_pA) return broken(safety_limit::direct_current, peak, limits.max_direct_pA);
    return {};
  }
  if (!fields_finite(p)) return broken(safety_limit::max_current, non_finite_value(p), limits.max_current_uA);
  const double peak_uA = program_peak(p);
  if (peak_uA > limits.max_current_uA) return broken(safety_limit::max_current, peak_uA, limits.max_current_uA);
  // uA x kOhm = mV.
  const double volts = peak_uA * electrode->impedance_kOhm / 1000.0;
  if (volts > limits.compliance_V) return broken(safety_limit::compliance, volts, limits.compliance_V);

  const double phase_nC = program_phase_charge(p) * kNcPerUaUs;
  if (const safety_verdict v = check_phase(phase_nC, electrode->area_mm2, limits, 1.0); !v.ok()) return v;
  const double rate_Hz = program_pulse_rate_Hz(p);
  if (rate_Hz > limits.max_pulse_rate_Hz) return broken(safety_limit::pulse_rate, rate_Hz, limits.max_pulse_rate_Hz);

  const auto window_us = static_cast<std::int64_t>(std::llround(limits.net_charge_window_ms * kUsPerMs));
  const double net_nC = worst_window_net(p, window_us) * kNcPerUaUs;
  const double bound_nC = limits.max_net_charge_nC + phase_nC;
  if (net_nC > bound_nC) {
    safety_verdict v = broken(safety_limit::net_charge, net_nC, bound_nC);
    v.window_ms = limits.net_charge_window_ms;
    v.allowance_nC = phase_nC;
    return v;
  }
  return {};
}

// ---- charge_monitor -------------------------------------------------------------------------------------

std::size_t charge_monitor::window_steps_of(const safety_limits& limits, std::int64_t dt_us) noexcept {
  return static_cast<std::size_t>(
      std::max<std::int64_t>(1, std::llround(limits.net_charge_window_ms * kUsPerMs / static_cast<double>(dt_us))));
}

charge_monitor::charge_monitor(const safety_limits& limits, const electrode_params& e, std::int64_t dt_us)
    : limits_(limits),
      electrode_(e),
      dt_us_(dt_us),
      window_nC_(window_steps_of(limits, dt_us), 0.0),
      in_flight_nC_(window_nC_.size(), 0.0) {}

void charge_monitor::reset() noexcept {
  std::fill(window_nC_.begin(), window_nC_.end(), 0.0);
  std::fill(in_flight_nC_.begin(), in_flight_nC_.end(), 0.0);
  head_ = 0;
  steps_since_resum_ = 0;
  sum_nC_ = 0.0;
}

void charge_monitor::pulses_cut_by_stop() noexcept {
  if (!in_flight_nC_.empty()) in_flight_nC_[head_ == 0 ? in_flight_nC_.size() - 1 : head_ - 1] = 0.0;
}

safety_verdict charge_monitor::idle_verdict() const noexcept {
  if (window_nC_.empty()) return {};
  // step(0, ..., in_flight 0)'s net: the oldest step leaves the window, and the pulses it cut with it.
  const double net_nC = std::fabs(sum_nC_ - window_nC_[head_] + in_flight_nC_[head_]);
  if (!(net_nC > limits_.max_net_charge_nC * kMonitorSlack)) return {};
  safety_verdict v = broken(safety_limit::net_charge, net_nC, limits_.max_net_charge_nC);
  v.window_ms = static_cast<double>(window_nC_.size()) * static_cast<double>(dt_us_) / kUsPerMs;
  return v;
}

safety_verdict charge_monitor::step(double charge_nC, double peak_uA, double phase_nC, double in_flight_nC) noexcept {
  double cut_nC = in_flight_nC;  // the pulses cut by the window's edges (step() in safety.hpp)
  if (!window_nC_.empty()) {
    sum_nC_ += charge_nC - window_nC_[head_];
    window_nC_[head_] = charge_nC;
    cut_nC -= in_flight_nC_[head_];  // the step leaving is the one just before the window from now on
    in_flight_nC_[head_] = in_flight_nC;
    head_ = head_ + 1 == window_nC_.size() ? 0 : head_ + 1;
    // The running sum drifts by rounding; re-sum once per window.
    if (++steps_since_resum_ >= window_nC_.size()) {
      steps_since_resum_ = 0;
      double s = 0.0;
      for (const double q : window_nC_) s += q;
      sum_nC_ = s;
    }
  }
  const double mean_uA = std::fabs(charge_nC) / kNcPerUaUs / static_cast<double>(dt_us_);
  const double current_uA = std::isnan(peak_uA) ? peak_uA : std::max(mean_uA, peak_uA);
  if (!std::isfinite(current_uA) || current_uA > limits_.max_current_uA * kMonitorSlack)
    return broken(safety_limit::max_current, current_uA, limits_.max_current_uA);
  const double volts = current_uA * electrode_.impedance_kOhm / 1000.0;
  if (volts > limits_.compliance_V * kMonitorSlack) return broken(safety_limit::compliance, volts, limits_.compliance_V);
  if (const safety_verdict v = check_phase(phase_nC, electrode_.area_mm2, limits_, kMonitorSlack); !v.ok()) return v;
  const double net_nC = std::fabs(sum_nC_ - cut_nC);
  if (net_nC > limits_.max_net_charge_nC * kMonitorSlack) {
    safety_verdict v = broken(safety_limit::net_charge, net_nC, limits_.max_net_charge_nC);
    v.window_ms = static_cast<double>(window_nC_.size()) * static_cast<double>(dt_us_) / kUsPerMs;
    return v;
  }
  return {};
}

}  // namespace cortexloop::firmware_sim
