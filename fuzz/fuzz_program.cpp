// libFuzzer target: the firmware's program parser/validator, firmware_sim::validate(site, program, layout), on
// structured random (site, program) pairs built from the input (every field, including out-of-range enum
// values and non-finite doubles), with the layout of configs/closed_loop.toml. For accepted pairs:
//   - program_charge over random intervals, program_peak, program_phase_charge, program_pulse_rate_Hz and
//     program_end_us are finite (and the charge of an interval is the sum of the charges of its halves);
//     for arbitrary programs, the net-charge check's O(1) charge (arbitrary_integral) equals program_charge;
//   - a biphasic pulse train is charge balanced: its charge from 0 to any time is at most one phase's charge
//     and, over the whole program (when it ends), zero to floating-point precision;
//   - the stimulator (a firmware_sim::device) steps it from its start with finite currents.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "firmware_sim/arbitrary_integral.hpp"
#include "firmware_sim/program.hpp"
#include "firmware_sim/safety.hpp"
#include "firmware_sim/stimulator.hpp"
#include "fuzz/fuzz_common.hpp"

namespace {

using namespace cortexloop;
using namespace cortexloop::firmware_sim;

// Doubles: mostly from a table of values near the validator's edges, sometimes any 64-bit pattern.
double pick_double(FuzzedDataProvider& in) {
  static constexpr std::array<double, 24> table = {
      0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 10.0, -10.0, 50.0, 100.0, 130.0, 999.0, 1000.0, 1000.5, 1e6, -1e6, 1e-300,
      5e-324, 1e300, std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::quiet_NaN(), 36.0, 17.999999};
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return table[in.ConsumeIntegralInRange<std::size_t>(0, table.size() - 1)];
    case 1: return in.ConsumeFloatingPointInRange<double>(-2000.0, 2000.0);
    case 2: return static_cast<double>(in.ConsumeIntegralInRange<int>(-200, 1200));
    default: return in.ConsumeFloatingPoint<double>();
  }
}

std::int64_t pick_time(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return in.ConsumeIntegralInRange<std::int64_t>(0, 2000);
    case 1: return in.ConsumeIntegralInRange<std::int64_t>(-10, 4'000'000'000);
    case 2: return 100 * in.ConsumeIntegralInRange<std::int64_t>(0, 100000);
    default: return in.ConsumeIntegral<std::int64_t>();
  }
}

std::uint32_t pick_u32(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? in.ConsumeIntegralInRange<std::uint32_t>(0, 2000) : in.ConsumeIntegral<std::uint32_t>();
}

site make_site(FuzzedDataProvider& in) {
  site s;
  s.kind = static_cast<site_kind>(in.ConsumeIntegralInRange<std::uint8_t>(0, 3));
  s.population = static_cast<engine::population>(in.ConsumeIntegralInRange<std::uint8_t>(0, 2));
  s.position_mm = pick_double(in);
  s.width_mm = pick_double(in);
  s.electrode = in.ConsumeIntegralInRange<std::uint8_t>(0, 9);
  return s;
}

program make_program(FuzzedDataProvider& in) {
  program p;
  p.shape = static_cast<waveform>(in.ConsumeIntegralInRange<std::uint8_t>(0, 5));
  p.amplitude = pick_double(in);
  p.offset = in.ConsumeBool() ? 0.0 : pick_double(in);
  p.frequency_Hz = pick_double(in);
  p.phase_deg = pick_double(in);
  p.ramp_up_us = in.ConsumeBool() ? 0 : pick_time(in);
  p.ramp_down_us = in.ConsumeBool() ? 0 : pick_time(in);
  p.phase_width_us = pick_u32(in);
  p.interphase_gap_us = in.ConsumeBool() ? 0 : pick_u32(in);
  p.biphasic = in.ConsumeIntegralInRange<int>(0, 3) != 0;
  p.cathodic_first = in.ConsumeBool();
  p.pulses_per_burst = in.ConsumeBool() ? 0 : pick_u32(in);
  p.burst_period_us = in.ConsumeBool() ? 0 : pick_time(in);
  p.n_bursts = in.ConsumeBool() ? 0 : pick_u32(in);
  p.delay_us = in.ConsumeBool() ? 0 : pick_time(in);
  p.duration_us = in.ConsumeBool() ? 0 : pick_time(in);
  p.wave.n_samples = in.ConsumeBool() ? in.ConsumeIntegralInRange<std::uint32_t>(0, 16) : pick_u32(in);
  p.wave.sample_period_us = pick_u32(in);
  p.wave.repeat = in.ConsumeBool();
  const std::uint32_t n = std::min<std::uint32_t>(p.wave.n_samples, kMaxWaveformSamples);
  for (std::uint32_t i = 0; i < n && in.remaining_bytes() > 0; ++i)
    p.wave.samples[i] = static_cast<float>(in.ConsumeBool() ? pick_double(in) : in.ConsumeFloatingPointInRange<double>(-1.0, 1.0));
  p.noise_seed = in.ConsumeIntegral<std::uint64_t>();
  return p;
}

// An end near INT64_MAX (program_end_us of a long burst train) must not overflow end + 10 here.
constexpr std::int64_t kLastTime = std::numeric_limits<std::int64_t>::max() - 16;

void check_charges(const program& p, FuzzedDataProvider& in) {
  FUZZ_FINITE(program_peak(p));
  FUZZ_FINITE(program_phase_charge(p));
  FUZZ_FINITE(program_pulse_rate_Hz(p));
  const std::int64_t end = program_end_us(p);
  FUZZ_CHECK(end >= -1);
  // Interval lengths: up to 4e9 us for dc, sine and pulse trains, whose charge costs O(1) per interval. Noise and
  // arbitrary programs are integrated hold by hold (sample by sample): O(length / hold), and a 4e9 us interval
  // at a 24 us hold took 13 s (fuzz/README.md). Their intervals are bounded to kMaxPieces holds (still starting
  // anywhere up to 8e9 us, so far times, ramps and the end are reached): the device asks for one step (dt,
  // here 100 us) at a time, and a longer interval only sums more of the same clipped, finite pieces.
  constexpr std::int64_t kMaxPieces = 256;
  std::int64_t max_length = 4'000'000'000;
  if (p.shape == waveform::noise || p.shape == waveform::arbitrary)
    max_length = std::min<std::int64_t>(max_length, kMaxPieces * std::max<std::int64_t>(p.wave.sample_period_us, 1));
  for (int i = 0; i < 8; ++i) {
    std::int64_t t0 = in.ConsumeIntegralInRange<std::int64_t>(-1000, 8'000'000'000);
    std::int64_t t1 = t0 + (in.ConsumeBool() ? in.ConsumeIntegralInRange<std::int64_t>(0, std::min<std::int64_t>(1000, max_length))
                                             : in.ConsumeIntegralInRange<std::int64_t>(0, max_length));
    const double q = program_charge(p, t0, t1);
    FUZZ_FINITE(q);
    // The charge is additive over intervals (exact for pulse trains, which are integer-microsecond sums).
    const std::int64_t mid = t0 + (t1 - t0) / 2;
    const double q2 = program_charge(p, t0, mid) + program_charge(p, mid, t1);
    FUZZ_FINITE(q2);
    if (p.shape == waveform::pulse_train && std::fabs(q - q2) > 1e-9 * std::max(1.0, std::fabs(q)))
      fuzz::fail("pulse-train charge not additive", __FILE__, __LINE__, q - q2);
    // The net-charge check's O(1) block charges (arbitrary_integral) must be program_charge's, up to rounding
    // (both sum at most a few hundred terms of size <= scale).
    if (p.shape == waveform::arbitrary) {
      const double fast = arbitrary_integral(p).charge(t0, t1);
      FUZZ_FINITE(fast);
      double max_sample = 0.0;
      for (std::uint32_t k = 0; k < std::min<std::uint32_t>(p.wave.n_samples, kMaxWaveformSamples); ++k)
        max_sample = std::max(max_sample, std::fabs(static_cast<double>(p.wave.samples[k])));
      const double scale =
          (std::fabs(p.offset) + std::fabs(p.amplitude) * max_sample) * static_cast<double>(std::max<std::int64_t>(t1 - t0, 1));
      // (+1e-300: rounding of subnormal charges is absolute, ~5e-324 a step.)
      if (!(std::fabs(fast - q) <= 1e-9 * scale + 1e-300)) fuzz::fail("arbitrary_integral differs from program_charge", __FILE__, __LINE__, fast - q);
    }
  }
  if (p.shape == waveform::pulse_train && p.biphasic) {
    const double phase_q = std::fabs(p.amplitude) * static_cast<double>(p.phase_width_us);
    const double tol = 1e-9 * std::max(1.0, phase_q);
    // Charge balance: from the start to any time, at most one phase's worth is outstanding.
    for (int i = 0; i < 8; ++i) {
      const std::int64_t t = in.ConsumeIntegralInRange<std::int64_t>(0, end >= 0 ? std::min(end, kLastTime) + 10 : 4'000'000'000);
      const double q = program_charge(p, 0, t);
      if (std::fabs(q) > phase_q + tol) fuzz::fail("biphasic train: more than one phase outstanding", __FILE__, __LINE__, q);
    }
    // ... and nothing at the end of a program that ends.
    if (end >= 0) {
      const double q = program_charge(p, 0, std::min(end, kLastTime) + 1);
      if (std::fabs(q) > tol) fuzz::fail("biphasic train: net charge at its end", __FILE__, __LINE__, q);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto& setup = fuzz::closed_loop();
  const stimulator_layout& layout = setup.device.layout;
  const site s = make_site(in);
  const program p = make_program(in);
  reason_text reason;
  safety_verdict verdict;
  const std::string_view why = validate(s, p, layout, reason, &verdict);
  if (!why.empty()) return 0;
  fuzz::dump(s, p, "accepted");
  check_charges(p, in);
  // The stimulator from the program's start (after its delay), on channel 0..7: once per distinct (site, program,
  // channel) (fuzz::first_time; the device run is deterministic, two thirds of the time before went to it).
  const auto channel = in.ConsumeIntegralInRange<std::size_t>(0, stimulator::kChannels - 1);
  if (!fuzz::first_time(s, p, channel)) return 0;
  firmware_sim::device& dev = fuzz::fresh_device();
  dev.load(channel, s, p, -(p.delay_us / layout.dt_us));
  fuzz::step_and_check(dev, 0, 50);
  return 0;
}
