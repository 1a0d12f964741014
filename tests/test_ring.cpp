// The ring of mean-field units (engine/meanfield/ring.hpp), configs/zerlaut2018_ring.toml: geometry
// (symmetry about the stimulus, conduction delays) and the paper's finding (Zerlaut et al. 2018, Sec. 3.4):
// the population rate grows linearly with the afferent amplitude while the VSDi peak grows sublinearly.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "engine/meanfield/ring.hpp"
#include "test_support.hpp"

using namespace cortexloop::engine;
using namespace cortexloop::engine::meanfield;
using cortexloop::testing::load_params;

namespace {
const std::string kRing = "configs/zerlaut2018_ring.toml";

// Runs a ring for duration_ms; calls f(t_ms, ring) after every step.
template <class F>
void run(ring& r, double duration_ms, F&& f) {
  const auto steps = static_cast<int>(std::lround(duration_ms / r.dt_ms()));
  for (int k = 0; k < steps; ++k) {
    r.step(k * r.dt_ms());
    f((k + 1) * r.dt_ms(), r);
  }
}
}  // namespace

TEST_CASE("the ring starts at its homogeneous fixed point and stays there without stimulus", "[ring]") {
  auto p = load_params(kRing);
  p.ring->afferent.clear();
  ring r(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
  REQUIRE(r.n_units() == 100);
  run(r, 500.0, [](double, const ring&) {});
  for (std::size_t i = 0; i < r.n_units(); ++i) {
    CHECK(r.rates_exc_Hz()[i] == Approx(r.rest_rate_exc_Hz()).epsilon(1e-4));
    CHECK(std::fabs(r.vsdi_percent()[i]) < 1e-3);
  }
  CHECK(r.diverged() == 0);
}

TEST_CASE("the response is symmetric about the stimulus position", "[ring]") {
  // Stimulus centred on unit 50 (18 mm of 36 mm, 100 units): units 50 +- j see mirror-image inputs. They may
  // differ only by float rounding (sums taken in a different order): 1e-4 relative.
  const auto p = load_params(kRing);
  ring r(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
  double worst = 0, centre_peak = 0, far_peak = 0;
  run(r, 800.0, [&](double, const ring& x) {
    const auto e = x.rates_exc_Hz();
    for (std::size_t j = 1; j < 50; ++j)
      worst = std::max(worst, static_cast<double>(std::fabs(e[50 + j] - e[50 - j]) / std::max(1.0f, e[50 + j])));
    centre_peak = std::max(centre_peak, e[50] - x.rest_rate_exc_Hz());
    far_peak = std::max(far_peak, e[0] - x.rest_rate_exc_Hz());
  });
  CHECK(worst < 1e-4);
  // ...and the stimulus did something (a symmetric ring at rest would pass the check above): the centre rose
  // more than 10 Hz above its rest (88.7 Hz measured) and 10x more than the unit opposite it (0.44 Hz).
  // Break tried: the afferent stimulus removed (p.ring->afferent.clear() before building the ring) -> both
  // checks fail; the rest-rate check they replace, rest_rate_exc_Hz() > 0.5, passed without any stimulus.
  INFO("centre peak " << centre_peak << " Hz above rest, opposite unit " << far_peak << " Hz");
  CHECK(centre_peak > 10.0);
  CHECK(centre_peak > 10.0 * std::max(far_peak, 0.0));
}

TEST_CASE("onset at distance d lags by about d / 300 mm/s", "[ring]") {
  // A brief, narrow afferent pulse at 18 mm; the excitatory kernel (sd 5 mm, cut at 15 mm) reaches every
  // tested distance directly, so the first response at d comes after d / v (rounded to the 0.5 ms step).
  // Onset: first time the rate is 1e-5 Hz above rest (float resolution there: ~2e-7 Hz; a higher threshold
  // is crossed later where the kernel is weaker). Tolerance: one ring step plus one unit's delay
  // rounding (0.5 + 0.6 ms) on the lag relative to the centre.
  auto p = load_params(kRing);
  auto& a = p.ring->afferent.at(0);
  a.width_mm = 0.3;
  a.rise_ms = 1.0;
  a.decay_ms = 2.0;
  a.peak_ms = 20.0;
  ring r(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
  const std::vector<std::size_t> offsets = {0, 10, 20, 30};  // units: 0, 3.6, 7.2, 10.8 mm
  std::vector<double> onset(offsets.size(), -1.0);
  run(r, 200.0, [&](double t, const ring& x) {
    for (std::size_t k = 0; k < offsets.size(); ++k)
      if (onset[k] < 0 && x.rates_exc_Hz()[50 + offsets[k]] > x.rest_rate_exc_Hz() + 1e-5) onset[k] = t;
  });
  for (std::size_t k = 1; k < offsets.size(); ++k) {
    const double d_mm = static_cast<double>(offsets[k]) * r.unit_spacing_mm();
    const double expected_ms = d_mm / 300.0 * 1000.0;
    INFO("distance " << d_mm << " mm: onset " << onset[k] << " ms, centre " << onset[0] << " ms, expected lag "
                     << expected_ms << " ms");
    REQUIRE(onset[k] > 0);
    CHECK(std::fabs((onset[k] - onset[0]) - expected_ms) <= 1.1);
  }
}

TEST_CASE("population rate grows linearly with the afferent amplitude, the VSDi peak sublinearly", "[ring]") {
  // Population rate: mean over the ring of the excitatory rate above rest, integrated over time. Linear: the
  // response per Hz of amplitude stays within 3% of the least-squares slope across 2.5-15 Hz (kLinearTolerance
  // below). VSDi: the peak (over space and time) at
  // 15 Hz is less than half what proportionality to the 2.5 Hz peak would give (the paper: "strongly
  // sublinear").
  const auto p = load_params(kRing);
  std::vector<double> amplitudes = {2.5, 5.0, 7.5, 10.0, 12.5, 15.0}, pop, vsdi;
  for (const double amp : amplitudes) {
    auto rp = *p.ring;
    rp.afferent.at(0).amplitude_Hz = amp;
    ring r(rp, *p.meanfield, p.network, p.simulation.dt_ms);
    double integral = 0, peak = 0;
    run(r, 1000.0, [&](double, const ring& x) {
      double mean = 0;
      for (const float e : x.rates_exc_Hz()) mean += e - x.rest_rate_exc_Hz();
      integral += mean / static_cast<double>(x.n_units()) * x.dt_ms() / 1000.0;
      peak = std::max(peak, static_cast<double>(*std::max_element(x.vsdi_percent().begin(), x.vsdi_percent().end())));
    });
    pop.push_back(integral);
    vsdi.push_back(peak);
  }
  // Measured: every point within 1.94% of the line (deterministic); tolerance 3%. Break tried: the afferent amplitude
  // passed as amp (1 + amp / 60) (a 25% curvature over the range) -> 3 of the 6 points fail.
  constexpr double kLinearTolerance = 0.03;
  // The slope of the least-squares line through the origin over all six amplitudes (it was the last point's own
  // ratio, which the loop then compared with itself).
  double sum_ap = 0, sum_aa = 0;
  for (std::size_t k = 0; k < amplitudes.size(); ++k) sum_ap += amplitudes[k] * pop[k], sum_aa += amplitudes[k] * amplitudes[k];
  const double slope = sum_ap / sum_aa;
  for (std::size_t k = 0; k < amplitudes.size(); ++k) {
    INFO("amplitude " << amplitudes[k] << " Hz: population response " << pop[k] << " Hz s (" << pop[k] / amplitudes[k] / slope - 1
                      << " off the line), VSDi peak " << vsdi[k] << " %");
    CHECK(pop[k] / amplitudes[k] == Approx(slope).epsilon(kLinearTolerance));
    if (k > 0) CHECK(vsdi[k] > vsdi[k - 1]);
  }
  CHECK(vsdi.back() / vsdi.front() < 0.5 * amplitudes.back() / amplitudes.front());
}

TEST_CASE("a 1000-unit ring gives the 100-unit ring's response", "[ring]") {
  // The fine ring sums its lateral inputs over boxes of units (ring.cpp): its centre response must match
  // the exact sum of the coarse ring at the same positions within 2%.
  const auto p = load_params(kRing);
  auto fine_p = *p.ring;
  fine_p.n_units = 1000;
  ring coarse(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms), fine(fine_p, *p.meanfield, p.network, p.simulation.dt_ms);
  double peak_c = 0, peak_f = 0, peak_c6 = 0, peak_f6 = 0;
  run(coarse, 800.0, [&](double, const ring& x) {
    peak_c = std::max(peak_c, static_cast<double>(x.rates_exc_Hz()[50]));
    peak_c6 = std::max(peak_c6, static_cast<double>(x.rates_exc_Hz()[50 + 20]));
  });
  run(fine, 800.0, [&](double, const ring& x) {
    peak_f = std::max(peak_f, static_cast<double>(x.rates_exc_Hz()[500]));
    peak_f6 = std::max(peak_f6, static_cast<double>(x.rates_exc_Hz()[500 + 200]));
  });
  CHECK(peak_f == Approx(peak_c).epsilon(0.02));
  CHECK(peak_f6 == Approx(peak_c6).epsilon(0.02));
}

TEST_CASE("the [ring] section is read strictly", "[ring][config]") {
  const auto p = load_params(kRing);
  REQUIRE(p.ring.has_value());
  CHECK(p.ring->n_units == 100);
  CHECK(p.ring->velocity_mm_per_s == 300.0);
  CHECK_FALSE(p.ring->with_network);
  REQUIRE(p.ring->afferent.size() == 1);
  CHECK(p.ring->afferent[0].rise_ms == 50.0);
  using Catch::Contains;
  CHECK_THROWS_WITH(load_params(kRing, {"ring.dt_ms=0.25"}), Contains("ring.dt_ms") && Contains("whole number"));
  CHECK_THROWS_WITH(load_params(kRing, {"ring.dt_ms=0.3"}), Contains("ring.dt_ms"));
  CHECK_THROWS_WITH(load_params(kRing, {"ring.n_units=0"}), Contains("ring.n_units"));
  CHECK_THROWS_WITH(load_params(kRing, {"ring.network=maybe"}), Contains("ring.network"));
  CHECK_THROWS_WITH(load_params(kRing, {"ring.l_exc=5"}), Contains("ring.l_exc") && Contains("unknown key"));
  CHECK_THROWS_WITH(load_params(kRing, {"ring.afferent.0.rise_ms=1"}), Contains("ring.afferent"));
  // Positions on the ring in [0, length), as the device's sites and sensing: the afferent's took 36 mm on a 36 mm
  // ring (an outside audit, 2026-12-07; break tried: the closed range as before -> loads).
  CHECK_THROWS_WITH(load_params(kRing, {"ring.afferent[0].position_mm=36"}), Contains("allowed [0, 36)"));
  CHECK_NOTHROW(load_params(kRing, {"ring.afferent[0].position_mm=35.9"}));
  // A ring needs the transfer functions of a [meanfield] section.
  CHECK_THROWS_WITH(load_params("configs/zerlaut2018_network.toml", {"ring.n_units=10"}),
                    Contains("ring") && Contains("[meanfield]"));
}

TEST_CASE("the engine steps the ring in the same tick as the network", "[ring][engine]") {
  // configs/default.toml: network and ring together. Each tick's readout carries the ring's per-unit rates
  // and VSDi averaged over the tick's ring steps; they equal a ring stepped on its own.
  const auto p = load_params("configs/default.toml");
  REQUIRE(p.ring.has_value());
  REQUIRE(p.ring->with_network);
  engine eng(p);
  REQUIRE(eng.ring() != nullptr);
  ring alone(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
  const int ring_steps_per_tick = static_cast<int>(std::lround(p.simulation.tick_ms / p.ring->dt_ms));
  tick_readout r;
  double network_spikes = 0, worst = 0;
  for (int tick = 0; tick < 400; ++tick) {
    // A SetDriveRate reaches the ring as well as the network (docs/protocol.md: "network and ring alike"); break
    // tried (a mutation audit, 2026-12-05): engine::set_drive_rate_Hz not passing it on -> worst 0.64, fails.
    if (tick == 200) {
      eng.set_drive_rate_Hz(1.5 * p.network.drive.rate_Hz);
      alone.set_drive_rate_Hz(1.5 * p.network.drive.rate_Hz);
    }
    eng.tick(r);
    std::vector<double> mean(alone.n_units(), 0.0);
    for (int k = 0; k < ring_steps_per_tick; ++k) {
      alone.step((tick * ring_steps_per_tick + k) * alone.dt_ms());
      for (std::size_t i = 0; i < alone.n_units(); ++i) mean[i] += alone.rates_exc_Hz()[i] / ring_steps_per_tick;
    }
    REQUIRE(r.ring_rates_exc_Hz.size() == alone.n_units());
    REQUIRE(r.vsdi_percent.size() == alone.n_units());
    for (std::size_t i = 0; i < alone.n_units(); ++i)
      worst = std::max(worst, std::fabs(r.ring_rates_exc_Hz[i] - mean[i]) / std::max(1.0, mean[i]));
    network_spikes += static_cast<double>(r.exc.spikes + r.inh.spikes);
  }
  CHECK(worst < 1e-5);
  CHECK(network_spikes > 0);
  // At 400 ms the afferent (peak 300 ms) has driven the centre well above rest.
  CHECK(r.ring_rates_exc_Hz[50] > 5.0 * eng.ring()->rest_rate_exc_Hz());
}

// The VSDi of a unit from its populations' mean potentials (docs/meanfield.md, after Zerlaut et al. 2018 Sec. 2.6):
// 100 [0.8 (mu_e - rest_e) / |rest_e| + 0.2 (mu_i - rest_i) / |rest_i|]. Reference: that formula by hand, with the
// two populations moved in opposite directions so that each weight shows. Break tried (a mutation audit,
// 2026-12-05): the weights swapped (0.2 / 0.8) -> -6 instead of +6, fails.
TEST_CASE("the VSDi weighs the excitatory population's depolarisation 0.8 and the inhibitory one's 0.2", "[ring]") {
  const float mu_e[] = {-54.0f, -60.0f}, mu_i[] = {-55.0f, -45.0f};
  float out[2];
  vsdi_from_mu_v(mu_e, mu_i, -60.0f, -50.0f, out, 2);
  CHECK(out[0] == Approx(0.8 * 10.0 + 0.2 * -10.0).margin(1e-5));  // exc +6 mV of 60 = +10 %, inh -5 of 50 = -10 %
  CHECK(out[1] == Approx(0.8 * 0.0 + 0.2 * 10.0).margin(1e-5));
}

TEST_CASE("a ring-alone config does not step the network", "[ring][engine]") {
  const auto p = load_params(kRing);
  engine eng(p);
  tick_readout r;
  std::int64_t spikes = 0;
  for (int tick = 0; tick < 50; ++tick) {
    eng.tick(r);
    spikes += r.exc.spikes + r.inh.spikes;
  }
  CHECK(spikes == 0);
  CHECK_FALSE(eng.runs_network());
  CHECK(r.ring_rates_exc_Hz.size() == 100);
}

TEST_CASE("an electrical current at a position depolarises the ring around it", "[ring]") {
  // [[ring.current]]: 100 pA on both populations at 9 mm (unit 25), Gaussian spread 1 mm, from 50 to 250 ms.
  // mu_V rises by ~I/mu_G at the site: the VSDi there must exceed that 3 mm away, which exceeds that at the
  // antipode, and be symmetric about the site.
  auto p = load_params(kRing);
  p.ring->afferent.clear();
  p.ring->currents.push_back({100.0, 9.0, 1.0, 50.0, 250.0, current_target::both});
  ring r(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
  double at_site = 0, near = 0, far = 0, asym = 0;
  run(r, 200.0, [&](double, const ring& x) {
    const auto v = x.vsdi_percent();
    at_site = v[25], near = v[25 + 8], far = v[75];
    asym = std::max(asym, static_cast<double>(std::fabs(v[25 + 8] - v[25 - 8])));
  });
  INFO("VSDi at the site " << at_site << " %, 2.9 mm away " << near << " %, antipode " << far << " %");
  CHECK(at_site > 0.5);  // ~1% here: recurrent inhibition and W take back most of the ~I/mu_G shift
  CHECK(at_site > near);
  CHECK(near > far);
  CHECK(asym < 1e-3);
}

// Reference: the physical argument that a more hyperpolarised cell cannot fire faster than at rest. -10 nA on both
// populations at 9 mm (unit 25, spread 1 mm) from 100 to 150 ms takes the units there to mu_V of several hundred mV
// below E_inh, far outside the transfer function's fitted domain; before the rate was held at the domain's edge
// there (transfer_function.hpp) the inhibitory unit at the centre fired 60.2 Hz at 120 ms (rest 8.8 Hz) and the
// excitatory one up to 29.8 Hz, silently (an outside audit). Now both stay below rest there, and the ring counts
// the unit steps read outside (unit_steps_below_e_inh: ~12 units x 100 steps); the paper's own stimulus (the config's
// afferent, no current) reads none. Break tried: the hold removed from rate_Hz_batch (mu_fit = mu_v) -> inh 60.6 Hz
// at the centre, fails; the count removed from ring::step -> unit_steps_below_e_inh 0, fails.
TEST_CASE("a strong hyperpolarising current silences the ring's units (no fast firing outside the fitted domain)",
          "[ring][domain]") {
  auto p = load_params(kRing);
  {
    ring r(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
    run(r, 1000.0, [](double, const ring&) {});
    CHECK(r.unit_steps_below_e_inh() == 0);  // the paper's afferent: inside the fitted domain throughout
    CHECK(r.unit_steps_above_fit_max() == 0);  // (its largest exc mu_V is -44.4 mV, the edge -33 mV)
  }
  p.ring->afferent.clear();
  p.ring->currents.push_back({-10000.0, 9.0, 1.0, 100.0, 150.0, current_target::both});
  ring r(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
  double max_exc = 0, max_inh = 0, at_120_exc = -1, at_120_inh = -1;
  run(r, 150.0, [&](double t, const ring& x) {
    if (t <= 100.0) return;
    max_exc = std::max(max_exc, static_cast<double>(x.rates_exc_Hz()[25]));
    max_inh = std::max(max_inh, static_cast<double>(x.rates_inh_Hz()[25]));
    if (std::fabs(t - 120.0) < 1e-9) at_120_exc = x.rates_exc_Hz()[25], at_120_inh = x.rates_inh_Hz()[25];
  });
  INFO("centre at 120 ms: exc " << at_120_exc << " Hz, inh " << at_120_inh << " Hz (rest " << r.rest_rate_exc_Hz()
                                << ", " << r.rest_rate_inh_Hz() << " Hz); max over 100-150 ms: " << max_exc << ", "
                                << max_inh << " Hz; below E_inh " << r.unit_steps_below_e_inh() << "; mu_V,e "
                                << r.mu_v_exc_mV()[25] << " mV");
  CHECK(at_120_inh < 0.1 * r.rest_rate_inh_Hz());
  CHECK(at_120_exc < 0.1 * r.rest_rate_exc_Hz());
  CHECK(max_exc <= r.rest_rate_exc_Hz() * 1.001);
  CHECK(max_inh <= r.rest_rate_inh_Hz() * 1.001);
  CHECK(r.mu_v_exc_mV()[25] < -200.0);  // the case is far outside the domain
  CHECK(r.unit_steps_below_e_inh() > 500);
  CHECK(r.unit_steps_below_e_inh() <= 100 * 50 / r.dt_ms());  // only while the current is on (and only near it)
}

// Reference: the kernel's definition (ring_coupling.hpp): r^lat(x) = sum_y k(x - y) r(y), k a Gaussian, symmetric in
// x - y and normalised to sum 1. So an impulse of 1 at unit c gives a lateral input mirror-symmetric about c
// (out[c + j] = out[c - j]) that sums to 1 over the ring (conservation), largest at c. On the fine ring of 1000 units
// (36 mm) the sources are box averages of stride units (17 for l = 5 mm, 3 for l = 1 mm), which must be centred on
// their unit to keep the symmetry. Conduction delays off (1e12 mm/s: every distance 0 pushes). Double precision;
// tolerance 1e-12 absolute on each mirror pair and on the sum (rounding of ~100 terms of order 1e-2). Checked at
// unit 500 and at unit 0 (across the ring's seam), and on the 100-unit ring (stride 1). Break tried: push()'s box
// average taken over [i, i + stride) (sum started over j = 0 .. 2h, updated with at(i + 2h + 1) - at(i), a shift by
// stride / 2) -> mirror pairs differ by 2e-4 (l = 5 mm) and 9e-4 (l = 1 mm) on the 1000-unit ring, fails.
TEST_CASE("ring_coupling: an impulse's lateral input is symmetric about it and sums to the impulse", "[ring]") {
  struct case_t {
    std::size_t n;
    double l_mm;
  };
  for (const case_t k : {case_t{1000, 5.0}, case_t{1000, 1.0}, case_t{100, 5.0}, case_t{100, 1.0}}) {
    ring_coupling<double> rc(k.n, 36.0, k.l_mm, 3.0, 1e12, 0.5, 1);
    const auto w = rc.weights();
    double w_sum = w[0];
    for (std::size_t j = 1; j < w.size(); ++j) w_sum += 2.0 * w[j];
    CHECK(w_sum == Approx(1.0).margin(1e-12));
    for (const std::size_t c : {k.n / 2, std::size_t{0}}) {
      CAPTURE(k.n, k.l_mm, c);
      std::vector<double> rates(k.n, 0.0), out(k.n, -1.0);
      rates[c] = 1.0;
      rc.push(rates);
      rc.lateral(1, out);
      double sum = 0.0, worst = 0.0;
      for (const double x : out) sum += x;
      for (std::size_t j = 1; j < k.n / 2; ++j)
        worst = std::max(worst, std::fabs(out[(c + j) % k.n] - out[(c + k.n - j) % k.n]));
      CHECK(worst < 1e-12);
      CHECK(sum == Approx(1.0).margin(1e-12));
      CHECK(*std::max_element(out.begin(), out.end()) == out[c]);
      CHECK(out[c] > 0.0);
    }
  }
}

// A kernel far narrower than the unit spacing couples each unit to itself alone: weight 1 at distance 0, so the ring
// receives its own rates (the kernel still sums to 1), for any sd > 0. Reference: sd 1e-3 mm on units 0.36 mm apart
// (the neighbours' weight exp(-0.5 360^2) is 0 in double), and the ring with it over 200 ms: sd 1e-160 and 1e-300 mm
// must give the same readouts, bit for bit. ring.l_exc_mm = 1e-160 dropped the excitatory coupling instead (sd^2
// underflowed to 0; VSDi -36.7 % from the first tick: an outside audit, 2026-12-06). Fails with the kernel computed
// as exp(-0.5 x^2 / l^2) again (tried: the weight at distance 0 is NaN).
TEST_CASE("a lateral kernel narrower than the unit spacing leaves each unit its own rate whatever its sd", "[ring]") {
  for (const double l_mm : {1e-3, 1e-160, 1e-300}) {
    CAPTURE(l_mm);
    ring_coupling<double> rc(100, 36.0, l_mm, 3.0, 300.0, 0.5, 1);
    const auto w = rc.weights();
    REQUIRE(w[0] == 1.0);
    for (std::size_t j = 1; j < w.size(); ++j) CHECK(w[j] == 0.0);
  }
  auto vsdi_of = [](const char* l) {
    std::string exc = "ring.l_exc_mm=", inh = "ring.l_inh_mm=";
    exc += l;
    inh += l;
    const auto p = load_params(kRing, {exc, inh});
    ring r(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
    std::vector<std::vector<float>> out;
    run(r, 200.0, [&](double, const ring& x) { out.emplace_back(x.vsdi_percent().begin(), x.vsdi_percent().end()); });
    return out;
  };
  const auto resolved = vsdi_of("1e-3");
  CHECK(vsdi_of("1e-160") == resolved);
  CHECK(vsdi_of("1e-300") == resolved);
}

namespace {
// The Brian2 network's response to a DC on both populations (tests/reference/brian2_network.py --stimulus
// dc:exc:A:1000:1500 --stimulus dc:inh:A:1000:1500, seeds 1-5; each file's "command" made it): the mean over the
// seeds and their sample SD, of the rates over the main window ("exc_Hz") or an extra one ("extra_windows"), and of
// the RS cells' mean w at release ("w_exc_pA"). Returned: the drive's entry, with the main window copied into it.
struct brian2_value {
  double mean, sd;
};
nlohmann::json brian2_ring_protocol(const std::string& name, double amplitude_pA) {
  const auto ref = cortexloop::testing::load_json("tests/reference/data/" + name + "_rates.json");
  REQUIRE(ref.at("config").get<std::string>() == "configs/zerlaut2018_network.toml");
  REQUIRE(ref.at("seeds").size() >= 5);
  REQUIRE(ref.at("stimuli").size() == 2);
  for (const auto& st : ref.at("stimuli")) {  // the protocol the test runs the ring under (current 200-700 ms)
    REQUIRE(st.at("amplitude_pA").get<double>() == amplitude_pA);
    REQUIRE(st.at("start_ms").get<double>() == 1000.0);
    REQUIRE(st.at("stop_ms").get<double>() == 1500.0);
  }
  auto d = ref.at("drives").at("4");
  d["window_s"] = ref.at("window_s");
  return d;
}
brian2_value brian2_of(const nlohmann::json& d, const std::string& key) {
  return {d.at(key).get<double>(), d.at(key + "_sd").get<double>()};
}
// |ring - Brian2's mean| within the measured gap (the ring is a mean field, not the network) plus 3 seed SDs of
// Brian2's network.
void check_ring_near_brian2(const char* what, double ring_value, brian2_value b, double measured_gap) {
  const double bound = measured_gap + 3.0 * b.sd;
  std::printf("%s: ring %.4g, Brian2 %.4g (seed SD %.3g): gap %.3g, bound %.3g\n", what, ring_value, b.mean, b.sd,
              std::fabs(ring_value - b.mean), bound);
  INFO(what << ": ring " << ring_value << ", Brian2 " << b.mean << " +- " << b.sd << " (seed SD); bound " << bound);
  CHECK(std::fabs(ring_value - b.mean) <= bound);
}

}  // namespace

// The rebound after a strong hyperpolarising current is the AdEx model's own (docs/meanfield.md, "Outside the fitted
// domain"): the ring's W follows a (mu_V - E_L) with the units' own mu_V far below E_inh, as each AdEx cell's w
// follows a (V - E_L). Reference: Brian2's AdEx network (the network of configs/zerlaut2018_network.toml, the
// ring's; tests/reference/data/brian2_network_ring_rebound_10nA_rates.json, seeds 1-5, its "command" inside) under a
// DC of -10 nA on both populations over 1000-1500 ms: the RS cells' mean w at release, and the rates over 10-50 and
// 100-200 ms after it; the ring (spread 10 m: homogeneous) under the same current over 200-700 ms, centre unit.
// Measured (2026-12-07; Brian2 mean +- seed SD): W -1190.6 pA against -1192.0 +- 0.3; 10-50 ms after, exc 61.86
// against 60.37 +- 0.84 Hz, inh 78.25 against 73.53 +- 0.78; 100-200 ms after, exc 39.79 against 41.87 +- 1.10, inh
// 58.31 against 59.55 +- 1.08 (the engine's own network, seed 1, which the test held before: -1186 pA, 59.2 / 72.6,
// 41.4 / 59.1 Hz). Bound: that gap (rounded up: 1.4 pA; 1.5, 4.8, 2.1, 1.3 Hz) + 3 seed SDs of Brian2
// (check_ring_near_brian2). With adaptation off (a = b = 0) neither rebounds: Brian2's network
// (brian2_network_ring_rebound_10nA_no_adaptation_rates.json) reads 1.74 / 5.22 Hz 10-50 ms after and 5.42 / 13.94
// Hz 100-200 ms after (its rest, the engine's network: 5.1 / 13.6), the ring 6.0 / 15.0 Hz 10-50 ms after (rest
// 5.3 / 13.9): the ring's own rest bounds it. Breaks tried: mu_V held at E_inh in the ring's W equation (the
// candidate fix) -> W -18 pA at release, exc 6.8 Hz after, fails; the ring's tau_w x 1.05 (engine/meanfield/ring.cpp)
// -> W -1213 pA, 20.8 pA off against a bound of 2.3, fails.
TEST_CASE("after a long hyperpolarising current the ring rebounds as the AdEx network does (adaptation's own)",
          "[ring][domain]") {
  for (const bool adaptation : {true, false}) {
    auto p = load_params(kRing);
    p.ring->afferent.clear();
    p.ring->currents.push_back({-10000.0, 18.0, 10000.0, 200.0, 700.0, current_target::both});
    if (!adaptation) p.meanfield->adaptation = false, p.network.exc.a_nS = 0.0, p.network.exc.b_pA = 0.0;
    ring r(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
    double w_release = 0, exc_early = 0, inh_early = 0, exc_late = 0, inh_late = 0;
    run(r, 900.0, [&](double t, const ring& x) {
      if (std::fabs(t - 700.0) < 1e-9) w_release = x.w_exc_pA()[50];
      if (t > 710.0 && t <= 750.0) exc_early += x.rates_exc_Hz()[50] / 80.0, inh_early += x.rates_inh_Hz()[50] / 80.0;
      if (t > 800.0 && t <= 900.0) exc_late += x.rates_exc_Hz()[50] / 200.0, inh_late += x.rates_inh_Hz()[50] / 200.0;
    });
    INFO((adaptation ? "adaptation" : "no adaptation") << ": W at release " << w_release << " pA; 10-50 ms after: exc "
                                                        << exc_early << ", inh " << inh_early << " Hz; 100-200 ms: "
                                                        << exc_late << ", " << inh_late << " Hz; rest "
                                                        << r.rest_rate_exc_Hz() << ", " << r.rest_rate_inh_Hz());
    if (adaptation) {
      const auto b = brian2_ring_protocol("brian2_network_ring_rebound_10nA", -10000.0);
      const auto& late = b.at("extra_windows").at(0);
      REQUIRE(b.at("window_s") == nlohmann::json::array({1.51, 1.55}));  // 10-50 ms after release
      REQUIRE(late.at("window_s") == nlohmann::json::array({1.6, 1.7}));  // 100-200 ms after
      REQUIRE(b.at("w_exc_at_s").get<double>() == 1.5);
      check_ring_near_brian2("-10 nA: W at release (pA)", w_release, brian2_of(b, "w_exc_pA"), 1.4);
      check_ring_near_brian2("-10 nA: exc 10-50 ms after (Hz)", exc_early, brian2_of(b, "exc_Hz"), 1.5);
      check_ring_near_brian2("-10 nA: inh 10-50 ms after (Hz)", inh_early, brian2_of(b, "inh_Hz"), 4.8);
      check_ring_near_brian2("-10 nA: exc 100-200 ms after (Hz)", exc_late, brian2_of(late, "exc_Hz"), 2.1);
      check_ring_near_brian2("-10 nA: inh 100-200 ms after (Hz)", inh_late, brian2_of(late, "inh_Hz"), 1.3);
    } else {
      CHECK(exc_early < 1.5 * r.rest_rate_exc_Hz());
      CHECK(inh_early < 1.5 * r.rest_rate_inh_Hz());
    }
  }
}

// The upper side of the fitted domain (docs/meanfield.md, "Outside the fitted domain"). Reference: Brian2's AdEx
// network (as above; tests/reference/data/brian2_network_ring_depolarised_10nA_rates.json and
// brian2_network_ring_rebound_100nA_rates.json, seeds 1-5, their "command" inside) under a DC on both populations
// over 1000-1500 ms: at +10 nA per cell the rates over 100-500 ms of the current (near 1/t_ref: an AdEx cell has no
// depolarisation block), and 100-200 ms after a -100 nA current its rebound (W ~ -12.6 nA). Before the rate was held
// at the upper edge (-33 mV) the ring was silent in both (0.0 / 0.0 Hz; 0.0 / 5.8 Hz after release: mu_V ~ +245 mV,
// past the erfc's peak). Measured (2026-12-07): +10 nA, ring 191.27 / 191.29 Hz against Brian2's 186.51 +- 0.02 /
// 195.93 +- 0.03; -100 nA, ring 191.25 / 190.58 against 197.58 +- 0.07 / 198.16 +- 0.19 (the engine's network, seed
// 1, held before: 186.5 / 196.0 and 196.7 / 198.0). Bound: that gap (rounded up: 4.8, 4.7; 6.4, 7.6 Hz) + 3 seed SDs
// of Brian2. The ring's rate
// there is the held ceiling 1/tau_V(edge) = 1/(tau_syn + C/mu_G) at its own recurrent input, which sits near the
// network's 1/t_ref partly by coincidence (tau_syn = t_ref = 5 ms): this checks that the ring is not silent where
// the network fires and that the ceiling is the network's within that gap, not the cells' f-I curve
// (docs/meanfield.md). Breaks tried: the upper hold removed from rate_Hz_batch -> ~1e-11 Hz during the current,
// fails (1.5e-11 / 7.0e-11 Hz; 2.4e-38 / 5.8 Hz after -100 nA); the count removed from ring::step ->
// unit_steps_above_fit_max 0, fails.
TEST_CASE("a strong depolarising current drives the ring's units as fast as the AdEx network, not silent",
          "[ring][domain]") {
  struct case_t {
    double current_pA, from_ms, to_ms;
    const char *reference, *what;
    double gap_exc_Hz, gap_inh_Hz;
  };
  // Current 200-700 ms; windows 100-500 ms into the current, and 100-200 ms after its end.
  for (const case_t c : {case_t{10000.0, 300.0, 700.0, "brian2_network_ring_depolarised_10nA",
                                "+10 nA, 100-500 ms into it", 4.8, 4.7},
                         case_t{-100000.0, 800.0, 900.0, "brian2_network_ring_rebound_100nA",
                                "-100 nA, 100-200 ms after it", 6.4, 7.6}}) {
    auto p = load_params(kRing);
    p.ring->afferent.clear();
    p.ring->currents.push_back({c.current_pA, 18.0, 10000.0, 200.0, 700.0, current_target::both});
    ring r(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
    double exc = 0, inh = 0;
    const double n = (c.to_ms - c.from_ms) / r.dt_ms();
    run(r, c.to_ms, [&](double t, const ring& x) {
      if (t > c.from_ms && t <= c.to_ms) exc += x.rates_exc_Hz()[50] / n, inh += x.rates_inh_Hz()[50] / n;
    });
    const auto b = brian2_ring_protocol(c.reference, c.current_pA);
    // The Brian2 window over which the rates are compared: the main one at +10 nA, the extra one at -100 nA.
    const auto& w = c.current_pA > 0 ? b : b.at("extra_windows").at(0);
    const double from_s = (c.from_ms - 200.0 + 1000.0) / 1000.0, to_s = (c.to_ms - 200.0 + 1000.0) / 1000.0;
    REQUIRE(w.at("window_s").at(0).get<double>() == Approx(from_s).margin(1e-12));
    REQUIRE(w.at("window_s").at(1).get<double>() == Approx(to_s).margin(1e-12));
    INFO(c.what << ": unit steps above " << r.unit_steps_above_fit_max());
    check_ring_near_brian2((std::string(c.what) + ": exc (Hz)").c_str(), exc, brian2_of(w, "exc_Hz"), c.gap_exc_Hz);
    check_ring_near_brian2((std::string(c.what) + ": inh (Hz)").c_str(), inh, brian2_of(w, "inh_Hz"), c.gap_inh_Hz);
    CHECK(r.unit_steps_above_fit_max() > 1000);
  }
}

// How T enters the ring units' update (Zerlaut et al. 2018, Sec. 2.6: first-order units, T dnu/dt = F - nu). With
// p_connect = 0 (no lateral or recurrent input: K_e = K_i = 0) and no adaptation, each unit's F depends on the drive
// and its current alone, so after a current switched on over the whole ring F jumps to a constant and the analytic
// solution is nu(t) - F = (nu(t1) - F) exp(-(t - t1)/T). Measured: tau = -(t2 - t1) / ln((nu(t2) - F)/(nu(t1) - F))
// with t1 = 1 ms after the switch, t2 = t1 + T, F the rate 60 T after it; forward Euler at the ring's step dt gives
// T - dt/2 + O(dt^2/T) (in float), so the bound is T - dt <= tau <= T, at T = 5 and 10 ms, ring dt 0.1 ms. Break
// tried: dt/(2T) in place of dt/T in ring::step (engine/meanfield/ring.cpp) -> tau = 2T - dt/2, fails.
TEST_CASE("a ring unit relaxes toward a constant F with time constant T", "[ring][analytic]") {
  for (const double t_ms : {5.0, 10.0}) {
    auto p = load_params(kRing, {"ring.dt_ms=0.1"});
    p.ring->afferent.clear();
    p.network.p_connect = 0.0;
    p.network.drive.rate_Hz = 1.0;  // rest 0.9 / 1.0 Hz; with the current 13.0 / 14.8 Hz (mu_V -54 -> -50 mV)
    p.meanfield->adaptation = false;
    p.meanfield->t_ms = t_ms;
    const double t_on = 20.0, t1 = t_on + 1.0, t2 = t1 + t_ms, t_end = t_on + 60.0 * t_ms;
    p.ring->currents.push_back({50.0, 18.0, 10000.0, t_on, t_end + 1.0, current_target::both});
    ring r(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
    double e1 = 0, i1 = 0, e2 = 0, i2 = 0;
    run(r, t_end, [&](double t, const ring& x) {
      if (std::fabs(t - t1) < 1e-9) e1 = x.rates_exc_Hz()[50], i1 = x.rates_inh_Hz()[50];
      if (std::fabs(t - t2) < 1e-9) e2 = x.rates_exc_Hz()[50], i2 = x.rates_inh_Hz()[50];
    });
    const double fe = r.rates_exc_Hz()[50], fi = r.rates_inh_Hz()[50];
    const double tau_e = -(t2 - t1) / std::log((e2 - fe) / (e1 - fe));
    const double tau_i = -(t2 - t1) / std::log((i2 - fi) / (i1 - fi));
    INFO("T " << t_ms << " ms: rest " << r.rest_rate_exc_Hz() << ", " << r.rest_rate_inh_Hz() << " Hz; F " << fe
              << ", " << fi << " Hz; at t1 " << e1 << ", " << i1 << "; tau_e " << tau_e << ", tau_i " << tau_i);
    REQUIRE(fe - r.rest_rate_exc_Hz() > 5.0);
    REQUIRE(fi - r.rest_rate_inh_Hz() > 5.0);
    CHECK(tau_e <= t_ms);
    CHECK(tau_e >= t_ms - r.dt_ms());
    CHECK(tau_i <= t_ms);
    CHECK(tau_i >= t_ms - r.dt_ms());
  }
}

// Reference: conservation (ring_coupling.hpp): the kernel sums to 1, so a uniform, steady ring receives its own rate,
// r^lat(x) = r at every unit, whatever the coarse-graining. The box averages of push() must therefore divide the sum
// of the units they take by the number they take: an odd stride s, a box of s units centred on its unit. The kernel
// sd is swept so that the raw stride floor(l / (8 dx)) takes every value 1..20 on 1000 units over 36 mm (dx =
// 0.036 mm; l = (raw + 0.5) 8 dx, e.g. l = 0.72 mm gives raw 2, stride 1). The box actually used (the first nonzero
// distance) must be odd, and with the whole history pushed uniform (every delay reads a boxed row) lateral() must be
// r at every unit to 1e-12 relative (double; the box sums of a uniform ring are exact, the kernel's weights sum to 1
// to rounding). Break seen to fail: stride_for keeping an even raw stride (`return s;`) -> a box of s + 1 units
// (-s/2 .. s/2) divided by s: lateral = r (s + 1) / s at every unit (1.5 r at raw stride 2, 1.05 r at 20), fails.
TEST_CASE("ring_coupling: a uniform ring receives its own rate at every coarse-graining stride", "[ring]") {
  const std::size_t n = 1000;
  const double length_mm = 36.0, dx_mm = length_mm / static_cast<double>(n);
  const double r = 7.25;
  for (int raw = 1; raw <= 20; ++raw) {
    const double l_mm = (raw + 0.5) * 8.0 * dx_mm;
    CAPTURE(raw, l_mm);
    ring_coupling<double> rc(n, length_mm, l_mm, 3.0, 300.0, 0.5, 1);
    const auto d = rc.distances_units();
    REQUIRE(d.size() >= 2);
    CHECK(d[1] % 2 == 1);    // a centred box
    CHECK(d[1] >= raw - 1);  // the coarse-graining is used, not dropped to stride 1
    CHECK(d[1] <= raw);
    std::vector<double> rates(n, r), out(n, -1.0);
    for (std::size_t k = 0; k < rc.history_pushes(); ++k) rc.push(rates);
    rc.lateral(1, out);
    double worst = 0.0;
    for (const double x : out) worst = std::max(worst, std::fabs(x / r - 1.0));
    CHECK(worst < 1e-12);
  }
}

// Reference: the delay definition (ring_coupling.hpp): r^lat(x, t) reads r(y) |x - y| / v earlier, the delay rounded
// to whole pushes (nearest). An impulse of rate at unit c, pushed once between zeros, reaches the unit d away exactly
// round(d dx / (v dt)) pushes later and at no other push. 100 units on 36 mm (dx = 0.36 mm, stride 1), v = 300 mm/s,
// dt = 0.5 ms: 2.4 pushes per unit, so the fractional parts .4, .8, .2, .6, 0 all occur (d = 2: 4.8 -> 5). Each
// distance is checked for d = 0 .. the kernel's radius (l = 5 mm, 3 sd: 42 units), on both sides of c. Break seen to
// fail: the delay rounded down (std::floor for std::lround in the constructor) -> d = 2 arrives after 4 pushes, fails
// (test_aln_ring caught it alone before).
TEST_CASE("ring_coupling: an impulse reaches distance d exactly round(d / (v dt)) pushes later", "[ring]") {
  const std::size_t n = 100, c = 50;
  const double length_mm = 36.0, dx_mm = 0.36, v_mm_per_s = 300.0, dt_ms = 0.5;
  ring_coupling<float> rc(n, length_mm, 5.0, 3.0, v_mm_per_s, dt_ms, 1);
  const auto radius = static_cast<std::int64_t>(rc.radius_units());
  REQUIRE(radius == 42);
  REQUIRE(rc.distances_units()[1] == 1);
  std::vector<std::int64_t> arrival(static_cast<std::size_t>(radius) + 1, -1);
  int extra_hits = 0;  // nonzero input at a push other than the first arrival, or asymmetric
  std::vector<float> rates(n, 0.0f), out(n);
  rates[c] = 1.0f;
  const double pushes_per_unit = dx_mm / (v_mm_per_s * 1e-3 * dt_ms);  // 2.4
  const auto max_delay = static_cast<std::int64_t>(std::lround(static_cast<double>(radius) * pushes_per_unit));
  for (std::int64_t k = 0; k <= max_delay + 3; ++k) {
    rc.push(rates);  // k = 0: the impulse; then zeros
    std::fill(rates.begin(), rates.end(), 0.0f);
    rc.lateral(1, out);
    for (std::int64_t dd = 0; dd <= radius; ++dd) {
      const float plus = out[c + static_cast<std::size_t>(dd)], minus = out[c - static_cast<std::size_t>(dd)];
      if (plus != minus) ++extra_hits;
      if (plus == 0.0f) continue;
      if (arrival[static_cast<std::size_t>(dd)] < 0) arrival[static_cast<std::size_t>(dd)] = k;
      else ++extra_hits;
    }
  }
  CHECK(extra_hits == 0);
  for (std::int64_t dd = 0; dd <= radius; ++dd) {
    CAPTURE(dd);
    const double expected = std::round(static_cast<double>(dd) * pushes_per_unit);
    CHECK(arrival[static_cast<std::size_t>(dd)] == static_cast<std::int64_t>(expected));
  }
}
