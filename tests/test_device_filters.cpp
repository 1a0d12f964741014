// The sensing front-end's filters against analytic results: the RBJ band-pass's gain (1 at the centre,
// 1/sqrt(2) at the band edges), the moving RMS of a sine (A / sqrt 2), the envelope's one-pole step response,
// and the zero-crossing phase estimator on clean and noisy sinusoids. Nothing allocates after construction.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "alloc_counter.hpp"
#include "engine/random/rng.hpp"
#include "firmware_sim/filters.hpp"

using namespace cortexloop;
using firmware_sim::biquad;
using firmware_sim::envelope;
using firmware_sim::moving_rms;
using firmware_sim::phase_estimator;

namespace {
constexpr double kPi = std::numbers::pi;

// Standard normal by Box-Muller from the engine's generator (the test's own noise, independent of the device).
double gaussian(engine::scalar_rng& rng) {
  const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

// Signed difference a - b wrapped to (-180, 180] degrees.
double angle_diff_deg(double a_rad, double b_rad) {
  double d = std::fmod((a_rad - b_rad) * 180.0 / kPi, 360.0);
  if (d > 180.0) d -= 360.0;
  if (d <= -180.0) d += 360.0;
  return d;
}

// The phase the estimator promises for sin(2 pi f t): 0 at the upward zero crossing, in [0, 2 pi).
double sine_phase(double f_Hz, double t_s) {
  const double cycles = f_Hz * t_s;
  return 2.0 * kPi * (cycles - std::floor(cycles));
}
}  // namespace

TEST_CASE("RBJ band-pass: gain 1 at the centre sqrt(lo hi), 1/sqrt(2) (-3 dB) at its band edges",
          "[device][filters]") {
  // Reference: RBJ audio-EQ cookbook BPF (constant 0 dB peak gain) = bilinear transform of
  // (s/Q) / (s^2 + s/Q + 1) with Omega = tan(w/2) / tan(w0/2). |H(w0)| = 1 exactly (tolerance 1e-12). Its
  // -3 dB edges are exactly where tan(w_hi/2) tan(w_lo/2) = tan^2(w0/2) and tan(w_hi/2) - tan(w_lo/2) =
  // tan(w0/2) / Q; with Q chosen from the warped bandwidth tan(pi hi/fs) - tan(pi lo/fs), the gain there is
  // 1/sqrt(2) to 1e-12. Those edges coincide with lo and hi up to the warped band's centre differing from
  // sqrt(lo hi), O((pi f/fs)^2): for the device's bands (hi <= fs / 25) the gain at lo and hi themselves is
  // 1/sqrt(2) within 2e-3 (at hi = fs / 5 it is off by 0.03, hence the restriction).
  struct band { double lo_Hz, hi_Hz, fs_Hz; bool well_below_nyquist; };
  for (const band b : {band{4, 8, 1000, true}, band{13, 30, 1000, true}, band{30, 80, 2000, true},
                       band{80, 200, 1000, false}, band{100, 300, 2000, false}}) {
    CAPTURE(b.lo_Hz, b.hi_Hz, b.fs_Hz);
    const biquad f = biquad::band_pass(b.lo_Hz, b.hi_Hz, b.fs_Hz);
    CHECK(f.gain(std::sqrt(b.lo_Hz * b.hi_Hz), b.fs_Hz) == Approx(1.0).margin(1e-12));
    const double a = std::tan(kPi * std::sqrt(b.lo_Hz * b.hi_Hz) / b.fs_Hz);
    const double warped_bw = std::tan(kPi * b.hi_Hz / b.fs_Hz) - std::tan(kPi * b.lo_Hz / b.fs_Hz);
    const double t_lo = (-warped_bw + std::sqrt(warped_bw * warped_bw + 4 * a * a)) / 2, t_hi = t_lo + warped_bw;
    const double edge_lo_Hz = b.fs_Hz / kPi * std::atan(t_lo), edge_hi_Hz = b.fs_Hz / kPi * std::atan(t_hi);
    CHECK(f.gain(edge_lo_Hz, b.fs_Hz) == Approx(1.0 / std::sqrt(2.0)).margin(1e-12));
    CHECK(f.gain(edge_hi_Hz, b.fs_Hz) == Approx(1.0 / std::sqrt(2.0)).margin(1e-12));
    if (b.well_below_nyquist) {
      CHECK(f.gain(b.lo_Hz, b.fs_Hz) == Approx(1.0 / std::sqrt(2.0)).margin(2e-3));
      CHECK(f.gain(b.hi_Hz, b.fs_Hz) == Approx(1.0 / std::sqrt(2.0)).margin(2e-3));
    }
    CHECK(f.gain(0.0, b.fs_Hz) == Approx(0.0).margin(1e-12));  // a band-pass blocks DC and Nyquist
    CHECK(f.gain(b.fs_Hz / 2, b.fs_Hz) == Approx(0.0).margin(1e-9));
  }
}

TEST_CASE("the biquad's step() realises the gain() it reports (steady-state sine amplitude)", "[device][filters]") {
  // Reference: gain() (checked analytically above); a unit sine after 5 s of settling must come out with
  // amplitude gain(f), tolerance 1e-3 (peak picking on a 1 kHz grid of a 12 Hz sine: cos(pi 12/1000) error).
  const double fs = 1000.0;
  for (const double f_Hz : {3.0, 5.66, 8.0, 12.0}) {
    CAPTURE(f_Hz);
    biquad f = biquad::band_pass(4.0, 8.0, fs);
    double peak = 0.0;
    for (int n = 0; n < 10000; ++n) {
      const double y = f.step(std::sin(2.0 * kPi * f_Hz * n / fs));
      if (n >= 5000) peak = std::max(peak, std::fabs(y));
    }
    CHECK(peak == Approx(f.gain(f_Hz, fs)).epsilon(1e-3));
  }
}

TEST_CASE("moving RMS of a sine over whole periods is A / sqrt(2)", "[device][filters]") {
  // Reference: RMS of A sin = A / sqrt 2 over whole periods (tolerance 1e-12 relative: a sum of 100 squares).
  const double amplitude = 3.0;
  moving_rms rms(100);  // 100 samples = 5 periods of 50 samples
  double out = 0.0;
  for (int n = 0; n < 1000; ++n) out = rms.step(amplitude * std::sin(2.0 * kPi * n / 50.0));
  CHECK(out == Approx(amplitude / std::sqrt(2.0)).epsilon(1e-12));
  // Before the window filled, the mean is over the samples seen: a constant 2 gives 2 at once.
  moving_rms fresh(100);
  CHECK(fresh.step(2.0) == Approx(2.0).epsilon(1e-15));
  CHECK(fresh.step(-2.0) == Approx(2.0).epsilon(1e-15));
}

TEST_CASE("moving RMS does not drift: after large values leave the window, small ones read exactly",
          "[device][filters]") {
  // Reference: RMS of a constant 1e-3 is 1e-3 (tolerance 1e-9 relative). A running sum that had added and
  // subtracted squares of 1e6 keeps a rounding residue of order 1e12 * eps ~ 1e-4 >> 1e-6 (= 1e-3 squared),
  // which only re-summing the window removes.
  moving_rms rms(64);
  engine::scalar_rng rng(7);
  for (int n = 0; n < 100'000; ++n) rms.step(1e6 * (rng.uniform() - 0.5));
  double out = 0.0;
  for (int n = 0; n < 64 * 3 + 5; ++n) out = rms.step(1e-3);
  CHECK(out == Approx(1e-3).epsilon(1e-9));
}

TEST_CASE("envelope: one-pole of |x| reaches 1 - 1/e of a step after tau samples", "[device][filters]") {
  // Reference: one-pole low-pass step response 1 - exp(-n / tau) (tolerance 1e-12), input sign ignored.
  envelope env(10.0);
  double y = 0.0;
  for (int n = 0; n < 10; ++n) y = env.step(n % 2 == 0 ? -1.0 : 1.0);
  CHECK(y == Approx(1.0 - std::exp(-1.0)).epsilon(1e-12));
  envelope pass(0.0);  // tau = 0: |x| itself
  CHECK(pass.step(-4.0) == 4.0);
}

TEST_CASE("phase estimator on a clean sine: unknown before two crossings, then within 0.5 degree", "[device][filters]") {
  // Reference: the phase of sin(2 pi f t) (0 at the upward crossing); tolerance 0.5 degree after the second
  // upward crossing (interpolated crossings are exact to O((2 pi f dt)^3); without interpolation the error
  // would be up to 360 f dt = 2.6 degrees at 7.3 Hz and 1 kHz).
  const double fs = 1000.0, f_Hz = 7.3;
  const double phase0 = 0.4;  // start off a crossing
  phase_estimator est(1.0 / fs);
  CHECK(est.period_s() == 0.0);
  const double second_crossing_s = (2.0 * kPi - phase0) / (2.0 * kPi * f_Hz) + 1.0 / f_Hz;
  double max_err_deg = 0.0;
  for (int n = 0; n < 3000; ++n) {
    const double t = n / fs;
    const double phase = est.step(std::sin(2.0 * kPi * f_Hz * t + phase0));
    if (t < second_crossing_s - 1.0 / fs) {
      CHECK(phase < 0.0);
    } else if (t > second_crossing_s + 1.0 / fs) {
      REQUIRE(phase >= 0.0);
      CHECK(phase < 2.0 * kPi);
      max_err_deg = std::max(max_err_deg, std::fabs(angle_diff_deg(phase, sine_phase(f_Hz, t + phase0 / (2 * kPi * f_Hz)))));
    }
  }
  CHECK(max_err_deg < 0.5);
  CHECK(est.period_s() == Approx(1.0 / f_Hz).epsilon(1e-6));
}

// Reference: filters.hpp: "an upward crossing sooner than half the current mean period after the last one is taken
// for noise and ignored". A clean 10 Hz sine at 1 kHz (100 samples a cycle, first upward crossing at 12.3 ms, so off
// the samples), with one sample 3 samples after each upward crossing from the second on replaced by -0.01: a dip below
// 0 and back, a second upward crossing ~3.7 ms after the true one. (After the first crossing no period is known yet, so
// there is no lockout to apply: a dip there is taken as a cycle, by that rule, and the 3.7 ms period stays in the
// 4-cycle mean for 4 cycles.) Ignored, the estimator reads the clean sine: period_s() 0.1 s to 1e-6 relative from the
// second crossing on, and the phase at the first sample after each true crossing within 0.5 degree of the sine's (as
// the clean-sine test). Break seen to fail: the lockout removed (`|| true` in phase_estimator::step's
// condition) -> each dip's crossing starts a new cycle: periods alternate 3 ms / 97 ms, period_s() 0.05 s, fails.
TEST_CASE("phase estimator: a wiggle back across zero just after an upward crossing is not a new cycle",
          "[device][filters]") {
  const double fs = 1000.0, f_Hz = 10.0, t0_s = 0.0123;  // sin(2 pi f (t - t0)): upward crossings at t0 + m / f
  phase_estimator est(1.0 / fs);
  int dips = 0, crossings_checked = 0;
  double max_err_deg = 0.0, max_period_rel_err = 0.0;
  for (int n = 0; n < 2000; ++n) {
    const double t = n / fs;
    const double cycles = f_Hz * (t - t0_s);
    const double since_up_samples = (cycles - std::floor(cycles)) / f_Hz * fs;  // samples since the last true crossing
    const bool dip = t > t0_s + 1.0 / f_Hz && since_up_samples >= 3.0 && since_up_samples < 4.0;
    dips += dip ? 1 : 0;
    const double phase = est.step(dip ? -0.01 : std::sin(2.0 * kPi * f_Hz * (t - t0_s)));
    if (t > t0_s + 1.0 / f_Hz && !dip) {
      max_period_rel_err = std::max(max_period_rel_err, std::fabs(est.period_s() * f_Hz - 1.0));
      if (since_up_samples < 1.0) {  // the first sample after a true crossing
        REQUIRE(phase >= 0.0);
        max_err_deg = std::max(max_err_deg, std::fabs(angle_diff_deg(phase, sine_phase(f_Hz, t - t0_s))));
        ++crossings_checked;
      }
    }
  }
  CHECK(dips == 19);
  CHECK(crossings_checked == 19);
  CHECK(max_period_rel_err < 1e-6);
  CHECK(max_err_deg < 0.5);
}

TEST_CASE("phase estimator on a noisy band-passed sine stays within 30 degrees", "[device][filters]") {
  // Reference: the clean sine's phase; the RBJ band-pass has zero phase shift at its centre (8 Hz here),
  // so the filtered signal's phase is the clean one's. Signal 8 Hz, amplitude 1, white noise sd 0.5 at
  // 1 kHz (in-band SNR ~ 14 dB). Measured (an outside audit, 2026-12-06, seeds 42 and 1-10): every sample after
  // 1 s within +-30 degrees, circular mean error -0.50 to +0.49 degrees (SD 0.28). Tolerance: 99% of samples within
  // +-30 degrees, mean error within 1.5 degrees (~5 SD). The mean error moves ~1.9 degrees per 1% the band-pass is
  // mistuned: a centre 1% off fails (10 degrees, the bound before, let a 5% mistuning pass).
  const double fs = 1000.0, f_Hz = 8.0;
  biquad bp = biquad::band_pass(6.0, 32.0 / 3.0, fs);  // centre sqrt(6 * 32/3) = 8 Hz
  phase_estimator est(1.0 / fs);
  engine::scalar_rng rng(42);
  int n_checked = 0, n_within = 0;
  double sum_sin = 0.0, sum_cos = 0.0;
  for (int n = 0; n < 20000; ++n) {
    const double t = n / fs;
    const double x = std::sin(2.0 * kPi * f_Hz * t) + 0.5 * gaussian(rng);
    const double phase = est.step(bp.step(x));
    if (t < 1.0) continue;
    REQUIRE(phase >= 0.0);
    const double err_deg = angle_diff_deg(phase, sine_phase(f_Hz, t));
    ++n_checked;
    if (std::fabs(err_deg) <= 30.0) ++n_within;
    sum_sin += std::sin(err_deg * kPi / 180.0);
    sum_cos += std::cos(err_deg * kPi / 180.0);
  }
  const double mean_err_deg = std::atan2(sum_sin, sum_cos) * 180.0 / kPi;
  CAPTURE(n_within, n_checked, mean_err_deg);
  CHECK(n_within >= 0.99 * n_checked);
  CHECK(std::fabs(mean_err_deg) < 1.5);
}

TEST_CASE("filters allocate nothing after construction", "[device][filters][alloc]") {
  biquad bp = biquad::band_pass(4.0, 8.0, 1000.0);
  moving_rms rms(200);
  envelope env(50.0);
  phase_estimator est(1e-3);
  testing::allocation_scope scope;
  double acc = 0.0;
  for (int n = 0; n < 5000; ++n) {
    const double y = bp.step(std::sin(0.037 * n));
    acc += rms.step(y) + env.step(y) + est.step(y);
  }
  rms.reset();
  est.reset();
  CHECK(scope.allocations() == 0);
  CHECK(acc != 0.0);
}
