#include "fuzz/fuzz_common.hpp"

#include <bit>
#include <unordered_set>

#include "io/config/config_loader.hpp"

namespace cortexloop::fuzz {

const closed_loop_setup& closed_loop() {
  static const closed_loop_setup setup = [] {
    closed_loop_setup s;
    const char* path = CORTEXLOOP_SOURCE_DIR "/configs/closed_loop.toml";
    s.engine = io::load_config(path);
    s.device = io::load_device_config(path, {}, s.engine);
    return s;
  }();
  return setup;
}

void dump(const firmware_sim::site& s, const firmware_sim::program& p, const char* what) {
  if (!std::getenv("FUZZ_DUMP")) return;
  std::fprintf(stderr,
               "%s: site kind=%d pop=%d position_mm=%.17g width_mm=%.17g electrode=%d\n"
               "  program shape=%d amplitude=%.17g offset=%.17g frequency_Hz=%.17g phase_deg=%.17g ramp_up_us=%lld "
               "ramp_down_us=%lld phase_width_us=%u gap_us=%u biphasic=%d cathodic_first=%d pulses_per_burst=%u "
               "burst_period_us=%lld n_bursts=%u delay_us=%lld duration_us=%lld n_samples=%u sample_period_us=%u "
               "repeat=%d noise_seed=%llu\n",
               what, static_cast<int>(s.kind), static_cast<int>(s.population), s.position_mm, s.width_mm,
               static_cast<int>(s.electrode), static_cast<int>(p.shape), p.amplitude, p.offset, p.frequency_Hz,
               p.phase_deg, static_cast<long long>(p.ramp_up_us), static_cast<long long>(p.ramp_down_us),
               p.phase_width_us, p.interphase_gap_us, p.biphasic, p.cathodic_first, p.pulses_per_burst,
               static_cast<long long>(p.burst_period_us), p.n_bursts, static_cast<long long>(p.delay_us),
               static_cast<long long>(p.duration_us), p.wave.n_samples, p.wave.sample_period_us, p.wave.repeat,
               static_cast<unsigned long long>(p.noise_seed));
  for (std::uint32_t i = 0; i < p.wave.n_samples && i < 16; ++i) std::fprintf(stderr, "  sample[%u]=%.9g\n", i, p.wave.samples[i]);
}

const firmware_sim::device& closed_loop_device() {
  static const firmware_sim::device prototype(closed_loop().device);
  return prototype;
}

firmware_sim::device& fresh_device() {
  static firmware_sim::device work(closed_loop().device);
  work = closed_loop_device();
  return work;
}

namespace {

struct hasher {
  std::uint64_t h = 0x9E3779B97F4A7C15ull;
  void add(std::uint64_t x) {
    // SplitMix64 finaliser of (state ^ x), chained: every field changes every later bit.
    x ^= h + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    h = x ^ (x >> 31);
  }
  void add(double x) { add(std::bit_cast<std::uint64_t>(x)); }
};

}  // namespace

bool first_time(const firmware_sim::site& s, const firmware_sim::program& p, std::uint64_t channel) {
  hasher h;
  h.add(channel);
  h.add(static_cast<std::uint64_t>(s.kind));
  h.add(static_cast<std::uint64_t>(s.population));
  h.add(s.position_mm);
  h.add(s.width_mm);
  h.add(static_cast<std::uint64_t>(s.electrode));
  h.add(static_cast<std::uint64_t>(p.shape));
  h.add(p.amplitude);
  h.add(p.offset);
  h.add(p.frequency_Hz);
  h.add(p.phase_deg);
  h.add(static_cast<std::uint64_t>(p.ramp_up_us));
  h.add(static_cast<std::uint64_t>(p.ramp_down_us));
  h.add(static_cast<std::uint64_t>(p.phase_width_us));
  h.add(static_cast<std::uint64_t>(p.interphase_gap_us));
  h.add(static_cast<std::uint64_t>(p.biphasic));
  h.add(static_cast<std::uint64_t>(p.cathodic_first));
  h.add(static_cast<std::uint64_t>(p.pulses_per_burst));
  h.add(static_cast<std::uint64_t>(p.burst_period_us));
  h.add(static_cast<std::uint64_t>(p.n_bursts));
  h.add(static_cast<std::uint64_t>(p.delay_us));
  h.add(static_cast<std::uint64_t>(p.duration_us));
  h.add(static_cast<std::uint64_t>(p.wave.n_samples));
  h.add(static_cast<std::uint64_t>(p.wave.sample_period_us));
  h.add(static_cast<std::uint64_t>(p.wave.repeat));
  const std::uint32_t n = std::min<std::uint32_t>(p.wave.n_samples, firmware_sim::kMaxWaveformSamples);
  for (std::uint32_t i = 0; i < n; ++i) h.add(static_cast<std::uint64_t>(std::bit_cast<std::uint32_t>(p.wave.samples[i])));
  h.add(p.noise_seed);
  static std::unordered_set<std::uint64_t> seen;
  if (seen.size() >= kMaxRemembered) seen.clear();
  return seen.insert(h.h).second;
}

namespace {
void check_readout(const firmware_sim::device_readout& r) {
  for (std::uint32_t i = 0; i < r.n_sensing && i < r.sensing.size(); ++i) {
    const auto& s = r.sensing[i];
    FUZZ_FINITE(s.signal);
    FUZZ_FINITE(s.raw);
    FUZZ_FINITE(s.filtered);
    FUZZ_FINITE(s.rms);
    FUZZ_FINITE(s.envelope);
    FUZZ_FINITE(s.phase_rad);
  }
  for (const auto& c : r.channels) {
    FUZZ_FINITE(c.mean_current);
    FUZZ_FINITE(c.peak_current);
    FUZZ_FINITE(c.charge);
  }
  for (double e : r.electrode_mean_uA) FUZZ_FINITE(e);
  for (const auto& c : r.controllers) {
    FUZZ_FINITE(c.feature);
    FUZZ_FINITE(c.output);
    FUZZ_FINITE(c.error);
    FUZZ_FINITE(c.integral);
  }
  FUZZ_CHECK(r.n_events <= r.events.size());
}
}  // namespace

void step_and_check(firmware_sim::device& dev, std::int64_t first_step, int steps, int ring_every) {
  firmware_sim::device_readout readout;
  const double dt_ms = dev.stim().dt_ms();
  for (int i = 0; i < steps; ++i) {
    const std::int64_t k = first_step + i;
    const engine::population_currents c = dev.currents_pA(k);
    FUZZ_FINITE(c.exc_pA);
    FUZZ_FINITE(c.inh_pA);
    for (double x : dev.stim().channel_current()) FUZZ_FINITE(x);
    for (double x : dev.stim().electrode_current_uA()) FUZZ_FINITE(x);
    if ((i + 1) % ring_every == 0) {
      const engine::ring_currents r = dev.ring_currents_pA(static_cast<double>(k) * dt_ms);
      for (float x : r.exc_pA) FUZZ_FINITE(x);
      for (float x : r.inh_pA) FUZZ_FINITE(x);
    }
    engine::step_signals s;
    s.step_index = k;
    // A rhythm of spikes (bursts every 8 steps) so that rate channels and controllers see something move.
    s.spikes_exc = (k % 8 == 0) ? 40 + (k % 5) : (k % 3);
    s.spikes_inh = (k % 4 == 0) ? 12 : 1;
    dev.observe(s);
    if ((i + 1) % 10 == 0) {
      dev.finish_tick(readout);
      check_readout(readout);
    }
  }
  dev.finish_tick(readout);
  check_readout(readout);
}

}  // namespace cortexloop::fuzz
