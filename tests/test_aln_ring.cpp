// The ring of ALN units (engine/aln/aln_ring.hpp, [ring] model = "aln"). References: the ALN node stepped alone
// (aln_model, checked against the paper in test_aln_model.cpp) for a ring without coupling and for a uniform ring;
// the conduction delays |x - y| / v for how far a local stimulus has reached at each step; the engine's readouts
// against the ring stepped directly.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "aln_test_support.hpp"
#include "engine/aln/aln_ring.hpp"
#include "engine/engine.hpp"
#include "io/aln_cache/engine_table.hpp"
#include "test_support.hpp"

using namespace cortexloop;
using engine::aln::aln_model;
using engine::aln::aln_ring;

namespace {

constexpr double kDt_ms = 0.1;  // the authors' Euler step, as configs/cakan2020/aln.toml

// The ring of configs/cakan2020/aln_ring.toml's geometry: 100 units on 36 mm, kernels of 5 mm (E) and 1 mm (I) sd
// cut at 3 sd, 300 mm/s.
engine::meanfield::ring_params ring_geometry() {
  engine::meanfield::ring_params r;
  r.model = engine::meanfield::ring_model::aln;
  r.n_units = 100;
  r.length_mm = 36.0;
  r.l_exc_mm = 5.0;
  r.l_inh_mm = 1.0;
  r.kernel_extent_sd = 3.0;
  r.velocity_mm_per_s = 300.0;
  r.dt_ms = kDt_ms;
  r.with_network = false;
  return r;
}

// A1 of Cakan & Obermayer 2020 (down, left of LC_EI; a 60 pA step onto E starts the E-I cycle).
engine::aln::aln_params a1() { return testing::aln_point(1.2, 1.2); }

}  // namespace

// Reference: the ALN node stepped alone from the ring's initial state with each unit's currents. With kernels far
// narrower than the spacing (sd 1e-3 mm, spacing 0.36 mm: the neighbours' weight exp(-0.5 360^2) is 0 in double),
// every unit's synapses see its own rate at its own delay, so each unit is the node, bit for bit, whatever its
// current: here E currents from 0 to 79.2 pA across the ring (both sides of the A1 cycle's onset) and 10 pA onto I
// on every third unit, for 300 ms.
// Seen to fail: with the units reading their lateral E rates one step further back (back_e_ = delay + 2 in
// aln_ring.cpp), unit 1 differs from its node at step 42 (0.3156276 against 0.3156272 Hz).
TEST_CASE("an ALN ring without lateral coupling is, unit by unit, the ALN node with that unit's current",
          "[aln][ring]") {
  engine::meanfield::ring_params r = ring_geometry();
  r.l_exc_mm = r.l_inh_mm = 1e-3;
  const engine::aln::cascade_table& table = testing::default_aln_table();
  aln_ring ring(r, a1(), table);
  REQUIRE(ring.coupling_exc().weights()[0] == 1.0);

  const std::size_t n = ring.n_units();
  std::vector<float> i_e(n), i_i(n);
  std::vector<aln_model> nodes;
  nodes.reserve(n);
  for (std::size_t x = 0; x < n; ++x) {
    i_e[x] = 0.8f * static_cast<float>(x);
    i_i[x] = x % 3 == 0 ? 10.0f : 0.0f;
    nodes.emplace_back(a1(), table, kDt_ms, ring.initial());
  }
  for (int k = 0; k < 3000; ++k) {
    ring.step(k * kDt_ms, i_e, i_i);
    for (std::size_t x = 0; x < n; ++x) {
      nodes[x].step(i_e[x], i_i[x]);
      INFO("step " << k << ", unit " << x);
      REQUIRE(ring.unit(x).rate_e_Hz() == nodes[x].rate_e_Hz());
      REQUIRE(ring.unit(x).rate_i_Hz() == nodes[x].rate_i_Hz());
      REQUIRE(ring.unit(x).v_mean_e_mV() == nodes[x].v_mean_e_mV());
    }
  }
  // ...and the currents did something: the high-current units cycle, the low ones rest.
  CHECK(nodes[99].rate_e_Hz() != nodes[0].rate_e_Hz());
  CHECK(ring.diverged() == 0);
}

// The identity: on a uniform ring, r^lat(x, t) = sum_y k(x - y) r(t - d - |x - y| / v). With every distance delay 0
// (v so large that |x - y| / v rounds to 0 steps) this is r(t - d) sum_y k = r(t - d): the lateral coupling folds into
// the node's own recurrent input unchanged (the same K_E, K_I and c, since the kernel sums to 1), so every unit is the
// node. The sum is taken in floating point (1 - sum k ~ 1e-16), so the units match the node to 1e-9 relative over
// 500 ms of the E-I cycle (A1 + 60 pA), and each other exactly (they add the same numbers in the same order).
// With v = 300 mm/s the delays differ with distance: the transient differs, the fixed point does not (A1 + 20 pA,
// a fixed point: the last 100 ms of 3 s within 1e-6 relative of the node's).
// Seen to fail: with ring_coupling's weights left unnormalised (x instead of x / sum), the units' E rate is off the
// node's by 100 % (first section) and 99 % (second); measured here with the sums as they are: difference 0 in both.
TEST_CASE("a uniform ALN ring under a uniform current stays uniform and is the ALN node", "[aln][ring]") {
  const engine::aln::cascade_table& table = testing::default_aln_table();
  auto run = [&](double velocity_mm_per_s, float current_pA, int steps, int compare_from, double tolerance) {
    engine::meanfield::ring_params r = ring_geometry();
    r.velocity_mm_per_s = velocity_mm_per_s;
    aln_ring ring(r, a1(), table);
    aln_model node(a1(), table, kDt_ms, ring.initial());
    const std::vector<float> i_e(ring.n_units(), current_pA);
    double worst = 0, swing_lo = 1e9, swing_hi = -1e9;
    for (int k = 0; k < steps; ++k) {
      ring.step(k * kDt_ms, i_e, {});
      node.step(current_pA, 0.0);
      const auto rates = ring.rates_exc_Hz();
      const auto [lo, hi] = std::minmax_element(rates.begin(), rates.end());
      INFO("step " << k);
      REQUIRE(*lo == *hi);  // uniform
      if (k < compare_from) continue;
      const double ref = node.rate_e_Hz();
      worst = std::max(worst, std::fabs(ring.unit(17).rate_e_Hz() - ref) / std::max(ref, 1e-3));
      swing_lo = std::min(swing_lo, ref);
      swing_hi = std::max(swing_hi, ref);
    }
    CHECK(worst < tolerance);
    return swing_hi - swing_lo;
  };
  SECTION("no distance delays: the E-I cycle of A1 + 60 pA") {
    const double swing = run(1e12, 60.0f, 5000, 0, 1e-9);
    CHECK(swing > 5.0);  // it did cycle (test_aln_engine: > 5 Hz)
  }
  SECTION("300 mm/s: the fixed point of A1 + 20 pA") { run(300.0, 20.0f, 30000, 29000, 1e-6); }
}

// Reference: the conduction delays. A current onto E of one unit only (unit 50) from step s0 changes that unit's
// filtered input at the end of step s0 and its rate from step s0 + 1; unit 50 + j reads unit 50's E rate through
// the E kernel d_E / dt + 1 steps (the ALN's own synaptic delay) plus round(j dx / v / dt) steps (the distance) after
// it was computed. So the first step at which unit 50 +- j leaves the unstimulated ring's trajectory (compared bit
// for bit with a second ring run without the current) is
//   n*(j) = s0 + 1 + (d_E / dt + 1) + round(j dx / v / dt),
// exact, for every j within the E kernel (indirect paths add another synaptic delay: never earlier). 300 mm/s and
// dx = 0.36 mm: the front moves one unit per 12 steps (1.2 ms).
// Seen to fail: with the distance delays of ring_coupling rounded down to whole ms (floor(steps / 10) * 10), n*(1) is
// 1052 against 1054 and n*(2) 1062 against 1066.
TEST_CASE("a local stimulus reaches each ALN unit after the synaptic plus the conduction delay", "[aln][ring]") {
  const engine::aln::cascade_table& table = testing::default_aln_table();
  const engine::meanfield::ring_params r = ring_geometry();
  aln_ring stimulated(r, a1(), table), quiet(r, a1(), table);
  const std::size_t n = stimulated.n_units();
  const std::size_t radius = stimulated.coupling_exc().radius_units();
  REQUIRE(radius == 42);  // ceil(3 x 5 mm / 0.36 mm)
  constexpr int kS0 = 1000;
  std::vector<float> i_e(n, 0.0f);
  const std::vector<float> none(n, 0.0f);
  std::vector<std::int64_t> first_change(n, -1);
  auto differs = [&](std::size_t x) {
    const aln_model &a = stimulated.unit(x), &b = quiet.unit(x);
    return a.rate_e_Hz() != b.rate_e_Hz() || a.rate_i_Hz() != b.rate_i_Hz() ||
           a.state().s_ee != b.state().s_ee || a.state().mu_f_e_mV_per_ms != b.state().mu_f_e_mV_per_ms;
  };
  for (int k = 0; k < kS0 + 800; ++k) {
    i_e[50] = k >= kS0 ? 60.0f : 0.0f;
    stimulated.step(k * kDt_ms, i_e, {});
    quiet.step(k * kDt_ms, none, {});
    for (std::size_t x = 0; x < n; ++x)
      if (first_change[x] < 0 && differs(x)) first_change[x] = k;
  }
  const int synaptic = static_cast<int>(std::lround(a1().delay_e_ms / kDt_ms)) + 1;
  CHECK(first_change[50] == kS0);  // its own mu_f, at the end of step s0
  for (std::size_t j = 1; j <= radius; ++j) {
    const double dx_mm = r.length_mm / static_cast<double>(n);
    const auto conduction = std::lround(static_cast<double>(j) * dx_mm / (r.velocity_mm_per_s / 1000.0) / kDt_ms);
    const std::int64_t expected = kS0 + 1 + synaptic + conduction;
    INFO("j = " << j << ": expected step " << expected);
    CHECK(first_change[50 + j] == expected);
    CHECK(first_change[50 - j] == expected);
  }
}

// The engine steps a [ring] of ALN units (configs/cakan2020/aln_ring.toml) and reports it in the ring readouts, the
// same fields as a Zerlaut ring's; its [[ring.current]] reaches the units; deterministic. Reference: the ring
// stepped directly with the config's parameters (averaged over the tick's 10 steps as the engine does).
// Seen to fail: with engine::tick not calling aln_ring_->finish_average(), the readouts stay at the initial state:
// the VSDi of unit 30 is 0 against 3.3e-6 % at tick 100, when the current starts. (The commanded per-unit currents
// are not checked here: the config's current is the ring's own.)
TEST_CASE("the engine steps a ring of ALN units from the config and reports it as the ring", "[aln][ring][engine]") {
  engine::engine_params p = testing::load_params("configs/cakan2020/aln_ring.toml", {"simulation.duration_s=0.3"});
  io::attach_aln_table(p, true);
  REQUIRE(p.ring);
  REQUIRE(p.ring->model == engine::meanfield::ring_model::aln);
  engine::engine eng(p), again(p);
  REQUIRE(eng.aln_ring() != nullptr);
  REQUIRE(eng.ring() == nullptr);
  aln_ring direct(*p.ring, p.aln->model, *p.aln->table);
  const std::size_t n = direct.n_units();
  std::vector<double> sum_e(n), sum_v(n);
  engine::tick_readout r, r2;
  std::int64_t step = 0;
  double peak_centre = 0, rest_far = 0;
  for (int tick = 0; tick < 300; ++tick) {
    eng.tick(r);
    again.tick(r2);
    std::fill(sum_e.begin(), sum_e.end(), 0.0);
    std::fill(sum_v.begin(), sum_v.end(), 0.0);
    for (int k = 0; k < 10; ++k, ++step) {
      direct.step(static_cast<double>(step) * p.simulation.dt_ms);
      for (std::size_t x = 0; x < n; ++x) {
        sum_e[x] += direct.rates_exc_Hz()[x];
        sum_v[x] += direct.vsdi_percent()[x];
      }
    }
    REQUIRE(r.ring_rates_exc_Hz.size() == n);
    REQUIRE(r.vsdi_percent.size() == n);
    for (std::size_t x = 0; x < n; ++x) {
      INFO("tick " << tick << ", unit " << x);
      REQUIRE(r.ring_rates_exc_Hz[x] == Approx(sum_e[x] / 10).epsilon(1e-6));
      REQUIRE(r.vsdi_percent[x] == Approx(sum_v[x] / 10).epsilon(1e-5).margin(1e-6));
      REQUIRE(r.ring_rates_exc_Hz[x] == r2.ring_rates_exc_Hz[x]);  // deterministic
    }
    peak_centre = std::max(peak_centre, static_cast<double>(r.vsdi_percent[50]));
    rest_far = std::max(rest_far, std::fabs(static_cast<double>(r.vsdi_percent[0])));
  }
  CHECK(peak_centre > 1.0);  // the current at 18 mm depolarises the units there...
  CHECK(rest_far < 0.1 * peak_centre);  // ...and not the far side within 300 ms
}
