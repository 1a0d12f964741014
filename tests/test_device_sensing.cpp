// The sensing front-end: the ADC's quantisation and clipping, the noise's standard deviation, the stimulation
// artifact (amplitude from the point-source potential, removed by blanking), the ring interpolation, the
// network rates over a sample period, every validation branch, and no allocation after construction.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "engine/network/network.hpp"
#include "firmware_sim/sensing.hpp"

using namespace cortexloop;
using firmware_sim::sensed_sample;
using firmware_sim::sensing_channel;
using firmware_sim::sensing_params;
using firmware_sim::signal_inputs;
using firmware_sim::signal_kind;
using firmware_sim::stimulator_layout;

namespace {
constexpr double kPi = std::numbers::pi;

// A ring of n units and no network; dt = 100 us.
stimulator_layout ring_layout(std::uint32_t n_units = 100) {
  stimulator_layout l;
  l.dt_us = 100;
  l.ring = {n_units, 36.0};
  l.network = false;
  return l;
}

// Samples every step (10 kHz at dt = 100 us), ring VSDi, a wide fine ADC: the raw value is the input.
sensing_params every_step_vsdi() {
  sensing_params p;
  p.signal = signal_kind::ring_vsdi;
  p.sample_rate_Hz = 10'000.0;
  p.adc_bits = 24;
  p.range_min = -1000.0;
  p.range_max = 1000.0;
  return p;
}

// The contact of the artifact tests: 13 mm along the sheet, 0.2 mm above it (3.1 mm from an electrode at 10 mm,
// 1 mm above), a 16-bit ADC over +-100 %, artifact gain 2.
sensing_params artifact_contact() {
  sensing_params p = every_step_vsdi();
  p.position_mm = 13.0;
  p.height_mm = 0.2;
  p.adc_bits = 16;
  p.range_min = -100.0;
  p.range_max = 100.0;
  p.artifact_gain_per_mV = 2.0;
  return p;
}

// Inputs with every ring signal set to `ring` (a span over the caller's storage).
signal_inputs ring_inputs(const std::vector<float>& ring) {
  signal_inputs in;
  in.ring_vsdi_percent = ring;
  in.ring_rates_exc_Hz = ring;
  in.ring_rates_inh_Hz = ring;
  return in;
}
}  // namespace

TEST_CASE("ADC: values clip to the range and quantise to 2^bits levels of (max - min) / (2^bits - 1)",
          "[device][sensing]") {
  // Reference: the ADC's definition; 4 bits over [-1, 2] gives 16 levels 0.2 apart, each raw value the
  // nearest level (tolerance 1e-12, rounding of k * 0.2), out-of-range inputs exactly at the bounds.
  sensing_params p = every_step_vsdi();
  p.adc_bits = 4;
  p.range_min = -1.0;
  p.range_max = 2.0;
  sensing_channel ch(p, ring_layout());
  std::vector<float> ring(100);
  std::int64_t step = 0;
  auto sense = [&](float v) {
    std::fill(ring.begin(), ring.end(), v);
    return ch.step(step++, ring_inputs(ring), {}).raw;
  };
  for (const float v : {-0.95f, -0.31f, 0.0f, 0.29f, 0.31f, 1.0f, 1.45f, 1.89f, 1.95f}) {
    CAPTURE(v);
    const double level = std::round((static_cast<double>(v) + 1.0) / 0.2);
    CHECK(sense(v) == Approx(-1.0 + 0.2 * level).margin(1e-12));
  }
  CHECK(sense(5.0f) == 2.0);
  CHECK(sense(2.0f) == 2.0);
  CHECK(sense(-7.0f) == -1.0);
  CHECK(sense(-1.0f) == -1.0);
}

TEST_CASE("noise: seeded Gaussian with the configured standard deviation", "[device][sensing]") {
  // Reference: sd of n = 40000 Gaussian draws has standard error sd / sqrt(2 (n - 1)); mean has sd / sqrt(n).
  // Tolerance: 3 standard errors each. The same seed repeats the sequence, another one does not.
  sensing_params p = every_step_vsdi();
  p.noise_sd = 0.5;
  p.seed = 1234;
  const int n = 40'000;
  sensing_channel ch(p, ring_layout()), same(p, ring_layout());
  p.seed = 1235;
  sensing_channel other(p, ring_layout());
  std::vector<float> ring(100, 0.0f);
  const signal_inputs in = ring_inputs(ring);
  double sum = 0.0, sum_sq = 0.0;
  int n_same = 0, n_other_equal = 0;
  for (int k = 0; k < n; ++k) {
    const double x = ch.step(k, in, {}).raw;
    sum += x;
    sum_sq += x * x;
    n_same += same.step(k, in, {}).raw == x;
    n_other_equal += other.step(k, in, {}).raw == x;
  }
  const double mean = sum / n, sd = std::sqrt((sum_sq - n * mean * mean) / (n - 1));
  CHECK(std::fabs(mean) < 3.0 * 0.5 / std::sqrt(n));
  CHECK(std::fabs(sd - 0.5) < 3.0 * 0.5 / std::sqrt(2.0 * (n - 1)));
  CHECK(n_same == n);
  CHECK(n_other_equal < 10);
}

TEST_CASE("artifact: the sensed signal carries gain * I / (4 pi sigma r) of each electrode, blanking removes it",
          "[device][sensing]") {
  // Reference: point-source potential phi = I / (4 pi sigma r) (mV for uA, mm, S/m), r from the electrode
  // (x = 10 mm, 1 mm above the sheet) to the contact (x = 13 mm, 0.2 mm above): r = sqrt(3^2 + 0.8^2) mm.
  // Tolerance: half an ADC step (16 bits over +-100: 0.0015).
  stimulator_layout layout = ring_layout();
  layout.electrodes.push_back({10.0, 1.0, 0.01, 10.0});
  sensing_params p = artifact_contact();
  const double adc_step = 200.0 / 65535.0;
  const double r_mm = std::sqrt(3.0 * 3.0 + 0.8 * 0.8);
  const double per_uA = 2.0 / (4.0 * kPi * layout.coupling.sigma_S_per_m * r_mm);  // signal units per uA
  std::vector<float> ring(100, 1.5f);
  const signal_inputs in = ring_inputs(ring);

  SECTION("no blanking: the artifact follows the electrode's current, with its sign") {
    sensing_channel ch(p, layout);
    for (std::int64_t k = 0; k < 40; ++k) {
      const double current_uA = k < 10 ? 0.0 : k < 25 ? 100.0 : -60.0;
      const double i[1] = {current_uA};
      const sensed_sample& s = ch.step(k, in, i);
      CAPTURE(k);
      CHECK(s.signal == Approx(1.5));
      CHECK(s.raw == Approx(1.5 + per_uA * current_uA).margin(adc_step / 2));
      CHECK_FALSE(s.blanked);
    }
    CHECK(per_uA * 100.0 > 10.0);  // the artifact is large against the signal: the test can see it
  }

  SECTION("blanking holds the last clean value for blanking_us after each pulse edge") {
    p.blanking_us = 300;  // 3 steps
    sensing_channel ch(p, layout);
    // Biphasic pulses of 2 steps (-80 then +80 uA) every 20 steps, and one DC sign flip at the end. A pulse
    // has two edges (turn-on at step 5, sign change at step 6), so steps 5 .. 6 + 3 - 1 are blanked.
    int n_blanked = 0;
    for (std::int64_t k = 0; k < 200; ++k) {
      const std::int64_t in_period = k % 20;
      const double current_uA = k < 160 ? (in_period == 5 ? -80.0 : in_period == 6 ? 80.0 : 0.0) : (k < 180 ? 30.0 : -30.0);
      const double i[1] = {current_uA};
      const sensed_sample& s = ch.step(k, in, i);
      CAPTURE(k, current_uA);
      const bool after_edge = (k < 160 && in_period >= 5 && in_period < 9) || (k >= 160 && k < 163) || (k >= 180 && k < 183);
      CHECK(s.blanked == after_edge);
      n_blanked += s.blanked;
      if (k < 160) {
        CHECK(s.raw == Approx(1.5).margin(adc_step / 2));  // the pulses never reach the output
      } else if (after_edge) {
        // held: the value before the edge (clean signal before 160, +30 uA's artifact before 180)
        CHECK(s.raw == Approx(k < 180 ? 1.5 : 1.5 + per_uA * 30.0).margin(adc_step / 2));
      } else {
        CHECK(s.raw == Approx(1.5 + per_uA * current_uA).margin(adc_step / 2));  // DC: artifact stays
      }
    }
    CHECK(n_blanked == 8 * 4 + 2 * 3);
  }
}

TEST_CASE("artifact of a network signal is picked up at the network's position on the ring", "[device][sensing]") {
  // Reference: phi = I / (4 pi sigma r); the network patch sits at network_position_mm = 20 mm, the
  // electrode at 22.5 mm, 1 mm high, the contact in the sheet: r = sqrt(2.5^2 + 1^2) mm, whatever
  // sensing.position_mm says (it is a ring-signal field). Tolerance 1e-9 relative (ADC of 24 bits, +-100).
  stimulator_layout layout = ring_layout();
  layout.network = true;
  layout.network_position_mm = 20.0;
  layout.electrodes.push_back({22.5, 1.0, 0.01, 10.0});
  sensing_params p;
  p.signal = signal_kind::rate_exc;
  p.position_mm = 3.0;  // ignored for network signals
  p.sample_rate_Hz = 10'000.0;
  p.adc_bits = 24;
  p.range_min = -100.0;
  p.range_max = 100.0;
  p.artifact_gain_per_mV = 1.0;
  sensing_channel ch(p, layout);
  const double i[1] = {50.0};
  const double expected = 50.0 / (4.0 * kPi * layout.coupling.sigma_S_per_m * std::sqrt(2.5 * 2.5 + 1.0));
  CHECK(ch.step(0, signal_inputs{}, i).raw == Approx(expected).margin(200.0 / 16777215.0));
}

TEST_CASE("ring signals: exact at a unit, the mean of its neighbours midway, periodic across 0", "[device][sensing]") {
  // Reference: linear interpolation between units i L / n (tolerance 1e-9 relative on the true signal).
  std::vector<float> ring(100);
  for (std::size_t i = 0; i < ring.size(); ++i) ring[i] = static_cast<float>(i * i);
  const double spacing_mm = 36.0 / 100.0;
  struct probe { double position_mm, expected; };
  for (const probe q : {probe{7 * spacing_mm, 49.0}, probe{7.5 * spacing_mm, (49.0 + 64.0) / 2},
                        probe{7.25 * spacing_mm, 0.75 * 49.0 + 0.25 * 64.0}, probe{0.0, 0.0},
                        probe{99.5 * spacing_mm, 9801.0 / 2}}) {
    for (const signal_kind kind : {signal_kind::ring_vsdi, signal_kind::ring_rate_exc, signal_kind::ring_rate_inh}) {
      CAPTURE(q.position_mm, static_cast<int>(kind));
      sensing_params p = every_step_vsdi();
      p.signal = kind;
      p.position_mm = q.position_mm;
      sensing_channel ch(p, ring_layout());
      CHECK(ch.step(0, ring_inputs(ring), {}).signal == Approx(q.expected).epsilon(1e-9).margin(1e-9));
    }
  }
}

TEST_CASE("network rates: spikes over the sample period / (cells x period), one sample every 1 / rate",
          "[device][sensing]") {
  // Reference: Hz = spikes / (n cells x period); at 1 kHz and dt = 100 us a sample closes every 10th step
  // (steps 9, 19, ...). 3 exc and 1 inh spike per step, 100 exc and 25 inh cells: 300 Hz and 400 Hz (exact).
  stimulator_layout layout;
  layout.dt_us = 100;
  sensing_params p;
  p.sample_rate_Hz = 1000.0;
  p.adc_bits = 24;
  p.range_min = 0.0;
  p.range_max = 1000.0;
  sensing_channel exc(p, layout);
  p.signal = signal_kind::rate_inh;
  sensing_channel inh(p, layout);
  CHECK(exc.steps_per_sample() == 10);
  signal_inputs in;
  in.n_exc = 100;
  in.n_inh = 25;
  int n_samples = 0;
  for (std::int64_t k = 0; k < 100; ++k) {
    in.spikes_exc = k < 50 ? 3 : 0;
    in.spikes_inh = 1;
    const sensed_sample& e = exc.step(k, in, {});
    const sensed_sample& i = inh.step(k, in, {});
    CAPTURE(k);
    CHECK(e.sampled == ((k + 1) % 10 == 0));
    if (!e.sampled) continue;
    ++n_samples;
    CHECK(e.step == k);
    CHECK(e.signal == Approx(k < 50 ? 300.0 : 0.0).margin(1e-9));
    CHECK(i.signal == Approx(400.0).epsilon(1e-12));
  }
  CHECK(n_samples == 10);
}

TEST_CASE("ALN rates: the mean of the node's per-step rates over the sample period", "[device][sensing][aln]") {
  // Reference: the arithmetic mean of the step rates of each sample period (10 steps at 1 kHz, dt = 100 us).
  // Rates k Hz at step k: the sample closing at step 10 m + 9 is 10 m + 4.5 Hz (exact in binary: tolerance 1e-12).
  // Seen to fail: with the channel reading the last step's rate instead of the period's mean, 10 m + 9 Hz.
  stimulator_layout layout;
  layout.dt_us = 100;
  layout.aln_node = true;
  sensing_params p;
  p.signal = signal_kind::aln_rate_exc;
  p.sample_rate_Hz = 1000.0;
  p.adc_bits = 24;
  p.range_min = 0.0;
  p.range_max = 1000.0;
  firmware_sim::reason_text why_not{};
  REQUIRE(firmware_sim::validate(p, layout, why_not).empty());
  sensing_channel exc(p, layout);
  p.signal = signal_kind::aln_rate_inh;
  sensing_channel inh(p, layout);
  signal_inputs in;
  for (std::int64_t k = 0; k < 100; ++k) {
    in.aln_rate_exc_Hz = static_cast<double>(k);
    in.aln_rate_inh_Hz = 2.0 * static_cast<double>(k);
    const sensed_sample& e = exc.step(k, in, {});
    const sensed_sample& i = inh.step(k, in, {});
    if (!e.sampled) continue;
    CAPTURE(k);
    CHECK(e.signal == Approx(static_cast<double>(k) - 4.5).epsilon(1e-12));
    CHECK(i.signal == Approx(2.0 * (static_cast<double>(k) - 4.5)).epsilon(1e-12));
  }
  layout.aln_node = false;
  CHECK_THAT(std::string(firmware_sim::validate(p, layout, why_not)), Catch::Contains("no ALN node"));
}

TEST_CASE("LFP proxy: the network's summed |synaptic current| of the excitatory cells / 1000, on sample steps",
          "[device][sensing]") {
  // Reference: engine.cpp's readout, lfp_proxy_nA = sum_exc().abs_syn_pA / 1000 (Mazzoni et al. 2008 proxy),
  // read at the sample step (exact equality: same computation on the same state). A 400-cell network driven
  // at 8 Hz must give a positive proxy once the drive ramps up, and rates equal to its spike counts.
  engine::network_params np;
  np.n_neurons = 400;
  np.drive.rate_Hz = 8.0;
  np.drive.ramp_ms = 10.0;
  engine::network net(np, 0.1, 3);
  stimulator_layout layout;
  layout.dt_us = 100;
  sensing_params p;
  p.signal = signal_kind::lfp_proxy;
  p.sample_rate_Hz = 1000.0;
  p.adc_bits = 24;
  p.range_min = -1e6;
  p.range_max = 1e6;
  sensing_channel lfp(p, layout);
  p.signal = signal_kind::rate_exc;
  sensing_channel rate(p, layout);
  signal_inputs in;
  in.net = &net;
  in.n_exc = net.n_exc();
  in.n_inh = net.n_inh();
  std::int64_t spikes_in_period = 0, total_spikes = 0;
  int n_samples = 0;
  for (std::int64_t k = 0; k < 3000; ++k) {
    engine::network_counts counts;
    net.step(k, 0.0f, 0.0f, counts);
    in.spikes_exc = counts.spikes_exc;
    in.spikes_inh = counts.spikes_inh;
    spikes_in_period += counts.spikes_exc;
    const sensed_sample& s = lfp.step(k, in, {});
    const sensed_sample& r = rate.step(k, in, {});
    if (!s.sampled) continue;
    ++n_samples;
    CHECK(s.signal == net.sum_exc().abs_syn_pA / 1000.0);
    if (k > 500) CHECK(s.signal > 0.0);
    CHECK(r.signal == Approx(static_cast<double>(spikes_in_period) / (net.n_exc() * 1e-3)).epsilon(1e-12));
    total_spikes += spikes_in_period;
    spikes_in_period = 0;
  }
  CHECK(n_samples == 300);
  CHECK(total_spikes > 0);  // the rate check saw spikes
}

TEST_CASE("sensing validation refuses each bad field and names it", "[device][sensing][validation]") {
  // Reference: sensing.hpp's ranges. Each bad value must be refused with its field in the reason.
  stimulator_layout layout = ring_layout();
  firmware_sim::reason_text reason{};
  const sensing_params good = every_step_vsdi();
  CHECK(firmware_sim::validate(good, layout, reason).empty());
  struct bad_case { const char* field; void (*spoil)(sensing_params&); };
  const bad_case cases[] = {
      {"sensing.signal", [](sensing_params& p) { p.signal = static_cast<signal_kind>(9); }},
      {"sensing.position_mm", [](sensing_params& p) { p.position_mm = 36.0; }},
      {"sensing.position_mm", [](sensing_params& p) { p.position_mm = -0.1; }},
      {"sensing.position_mm", [](sensing_params& p) { p.position_mm = std::nan(""); }},
      {"sensing.height_mm", [](sensing_params& p) { p.height_mm = -1.0; }},
      {"sensing.sample_rate_Hz", [](sensing_params& p) { p.sample_rate_Hz = 3000.0; }},  // 3.33 steps
      {"sensing.sample_rate_Hz", [](sensing_params& p) { p.sample_rate_Hz = 20'000.0; }},  // faster than dt
      {"sensing.sample_rate_Hz", [](sensing_params& p) { p.sample_rate_Hz = 0.0; }},
      {"sensing.sample_rate_Hz", [](sensing_params& p) { p.sample_rate_Hz = INFINITY; }},
      {"sensing.adc_bits", [](sensing_params& p) { p.adc_bits = 0; }},
      {"sensing.adc_bits", [](sensing_params& p) { p.adc_bits = 25; }},
      {"sensing.range_min", [](sensing_params& p) { p.range_min = -INFINITY; }},
      {"sensing.range_max", [](sensing_params& p) { p.range_max = p.range_min; }},
      {"sensing.noise_sd", [](sensing_params& p) { p.noise_sd = -0.1; }},
      {"sensing.artifact_gain_per_mV", [](sensing_params& p) { p.artifact_gain_per_mV = std::nan(""); }},
      {"sensing.blanking_us", [](sensing_params& p) { p.blanking_us = -1; }},
      {"sensing.band_high_Hz", [](sensing_params& p) { p.band_low_Hz = 4; p.band_high_Hz = 5000.0; }},  // Nyquist
      {"sensing.band_high_Hz", [](sensing_params& p) { p.band_high_Hz = -1.0; }},
      {"sensing.band_low_Hz", [](sensing_params& p) { p.band_low_Hz = 0.0; p.band_high_Hz = 8.0; }},
      {"sensing.band_low_Hz", [](sensing_params& p) { p.band_low_Hz = 9.0; p.band_high_Hz = 8.0; }},
      {"sensing.band_low_Hz", [](sensing_params& p) { p.band_low_Hz = 100.0; p.band_high_Hz = 0.0; }},  // alone
      {"sensing.rms_window_ms", [](sensing_params& p) { p.rms_window_ms = 0.0; }},
      {"sensing.rms_window_ms", [](sensing_params& p) { p.rms_window_ms = 1e9; }},
  };
  for (const bad_case& c : cases) {
    sensing_params p = good;
    c.spoil(p);
    const std::string why(firmware_sim::validate(p, layout, reason));
    CAPTURE(c.field, why);
    CHECK(why.rfind(c.field, 0) == 0);
  }
  SECTION("a ring signal without a ring, a network signal without a network") {
    stimulator_layout no_ring = layout;
    no_ring.ring.n_units = 0;
    CHECK(std::string(firmware_sim::validate(good, no_ring, reason)).rfind("sensing.signal", 0) == 0);
    sensing_params net = good;
    net.signal = signal_kind::lfp_proxy;
    CHECK(std::string(firmware_sim::validate(net, layout, reason)).rfind("sensing.signal", 0) == 0);
    layout.network = true;
    CHECK(firmware_sim::validate(net, layout, reason).empty());
  }
  SECTION("too many electrodes") {
    layout.electrodes.resize(firmware_sim::kMaxElectrodes + 1);
    CHECK(std::string(firmware_sim::validate(good, layout, reason)).rfind("device.electrodes", 0) == 0);
  }
}

TEST_CASE("sensing allocates nothing after construction", "[device][sensing][alloc]") {
  stimulator_layout layout = ring_layout();
  layout.electrodes.push_back({5.0, 1.0, 0.01, 10.0});
  sensing_params p = every_step_vsdi();
  p.sample_rate_Hz = 1000.0;
  p.noise_sd = 0.3;
  p.band_low_Hz = 4.0;
  p.band_high_Hz = 8.0;
  p.blanking_us = 200;
  p.artifact_gain_per_mV = 1.0;
  sensing_channel ch(p, layout);
  std::vector<float> ring(100, 1.0f);
  const signal_inputs in = ring_inputs(ring);
  testing::allocation_scope scope;
  double acc = 0.0;
  for (std::int64_t k = 0; k < 20'000; ++k) {
    const double i[1] = {k % 100 == 0 ? 50.0 : 0.0};
    acc += ch.step(k, in, i).rms;
  }
  CHECK(scope.allocations() == 0);
  CHECK(acc > 0.0);
}

// Reference: docs/device.md, "Blanking" (blanking_us holds the last clean value after each stimulation edge) and
// sensing.cpp's ceil(blanking_us / dt): a blanking of 250 us at dt = 100 us covers 3 steps, the edge's and the 2
// after it; the window never ends early. A 30 uA DC turning on at step 10 and flipping to -30 uA at step 30: the
// samples of steps 10..12 and 30..32 are blanked and hold the value before the edge, step 13 and 33 carry the
// artifact. Tolerance: half an ADC step. Break tried: blanking_steps_ = blanking_us / dt_us (floor: 2 steps) ->
// step 12 and 32 not blanked, fails.
TEST_CASE("blanking_us not a multiple of dt blanks the whole window: 250 us at dt = 100 us holds 3 samples",
          "[device][sensing]") {
  stimulator_layout layout = ring_layout();
  layout.electrodes.push_back({10.0, 1.0, 0.01, 10.0});
  sensing_params p = artifact_contact();
  p.blanking_us = 250;
  const double adc_step = 200.0 / 65535.0;
  const double r_mm = std::sqrt(3.0 * 3.0 + 0.8 * 0.8);
  const double per_uA = 2.0 / (4.0 * kPi * layout.coupling.sigma_S_per_m * r_mm);
  REQUIRE(per_uA * 30.0 > 100.0 * adc_step);  // the artifact is visible against the ADC's resolution
  std::vector<float> ring(100, 1.5f);
  const signal_inputs in = ring_inputs(ring);
  sensing_channel ch(p, layout);
  int n_blanked = 0;
  for (std::int64_t k = 0; k < 50; ++k) {
    const double current_uA = k < 10 ? 0.0 : k < 30 ? 30.0 : -30.0;
    const double i[1] = {current_uA};
    const sensed_sample& s = ch.step(k, in, i);
    CAPTURE(k, current_uA);
    const bool blanked = (k >= 10 && k < 13) || (k >= 30 && k < 33);
    CHECK(s.blanked == blanked);
    n_blanked += s.blanked;
    const double held = k < 30 ? 1.5 : 1.5 + per_uA * 30.0;  // the last clean value before the edge
    CHECK(s.raw == Approx(blanked ? held : 1.5 + per_uA * current_uA).margin(adc_step / 2));
  }
  CHECK(n_blanked == 6);
}

// Reference: docs/device.md / sensing.hpp, "envelope = one-pole |filtered| (tau = rms_window_ms)", and the one-pole's
// analytic step response 1 - exp(-t / tau): a step of height A at the first sample gives, at the n-th sample
// (t = n / sample_rate), A (1 - exp(-n / (tau_ms 1e-3 sample_rate))); at t = tau exactly A (1 - 1/e). Checked at
// two sample rates and two windows, so that tau in samples = rms_window_ms x 1e-3 x sample_rate is pinned (not only
// one product), at the sampling rate's resolution: the envelope reaches A (1 - 1/e) at the sample at t = tau (to
// 1e-9 relative, rounding of the recursion), not one sample before (below it). The step is an exact ADC level
// (4 bits over [0, 15]: levels 1 apart), no band-pass: filtered = raw. Break tried: envelope_ built from
// rms_window_ms * 1e-4 * sample_rate (ms -> s off by 10) -> the value at t = tau is 0.99995 A, every case fails;
// from rms_window_ms * 1e-3 * 1000 (the sample rate taken as 1 kHz) -> the 2 and 10 kHz cases fail.
TEST_CASE("envelope: a step's envelope reaches 1 - 1/e of it after tau = rms_window_ms", "[device][sensing]") {
  struct case_t {
    double sample_rate_Hz, window_ms;
  };
  for (const case_t k : {case_t{1000.0, 20.0}, case_t{1000.0, 50.0}, case_t{10'000.0, 5.0}, case_t{2000.0, 30.0}}) {
    CAPTURE(k.sample_rate_Hz, k.window_ms);
    sensing_params p = every_step_vsdi();
    p.sample_rate_Hz = k.sample_rate_Hz;
    p.rms_window_ms = k.window_ms;
    p.adc_bits = 4;
    p.range_min = 0.0;
    p.range_max = 15.0;
    const double A = 8.0;
    sensing_channel ch(p, ring_layout());
    const std::vector<float> ring(100, static_cast<float>(A));
    const signal_inputs in = ring_inputs(ring);
    const auto steps_per_sample = static_cast<std::int64_t>(std::lround(1e4 / k.sample_rate_Hz));  // dt = 100 us
    const auto tau_samples = static_cast<std::int64_t>(std::lround(k.window_ms * 1e-3 * k.sample_rate_Hz));
    std::vector<double> envelope;  // at the 1st, 2nd, ... sample
    for (std::int64_t step = 0; static_cast<std::int64_t>(envelope.size()) < 3 * tau_samples; ++step) {
      const sensed_sample& s = ch.step(step, in, {});
      if (s.sampled) {
        REQUIRE(s.raw == A);
        envelope.push_back(s.envelope);
      }
      REQUIRE(step < 3 * tau_samples * steps_per_sample + steps_per_sample);
    }
    const double target = A * (1.0 - std::exp(-1.0));
    CHECK(envelope[static_cast<std::size_t>(tau_samples - 1)] == Approx(target).epsilon(1e-9));  // n = tau
    CHECK(envelope[static_cast<std::size_t>(tau_samples - 2)] < target);                         // n = tau - 1
    CHECK(envelope[static_cast<std::size_t>(2 * tau_samples - 1)] == Approx(A * (1.0 - std::exp(-2.0))).epsilon(1e-9));
  }
}
