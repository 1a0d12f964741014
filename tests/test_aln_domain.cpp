// The device's model_domain check on ALN units (docs/device.md, "Domains of validity"): the ALN's rates hold inside
// its cascade table's (mu, sigma) grid, and a step that reads outside gets the grid edge's rates. The device flags
// an excursion of the [aln] node and of a ring of ALN units with one safety event each, as it does for the Zerlaut
// ring's mu_V, and the readouts count what is outside (aln.out_of_table, ring_out_of_table,
// ring_units_out_of_domain).
//
// Reference (analytic): a unit's total E input is mu_E = J_EE s_EE + J_EI s_EI + mu_ext,E + I / C with fractions
// s in [0, 1], J_EI < 0 and no adaptation at A1 (a = b = 0), so mu_E <= J_EE + mu_ext,E + I / C. At A1
// (mu_ext,E = 1.2 mV/ms, J_EE = 2.43 mV/ms, C = 200 pF) a current of -1000 pA onto E gives mu_E <= -1.37 mV/ms,
// below the grid's mu_min = -1 mV/ms: the filtered input mu_f,E relaxes to below the grid, and every step then
// reads outside it. Without the current the node rests inside the grid (the model's own count is 0 there).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "firmware_sim/device.hpp"
#include "io/aln_cache/engine_table.hpp"
#include "io/config/config_loader.hpp"
#include "device_dc.hpp"
#include "test_support.hpp"

using namespace cortexloop;
namespace fw = firmware_sim;

namespace {

constexpr double kCurrent_pA = -1000.0;  // = -max_direct_pA: mu_E <= 1.2 + 2.43 - 5 = -1.37 mV/ms (see above)
constexpr int kSettle_ms = 150;           // mu_f follows mu within a few tau_mu (tens of ms at most in the grid)

// The analytic bound of the header, from the config's own parameters (so that it tracks them).
double mu_e_upper_bound(const engine::engine_params& p, double current_pA) {
  const engine::aln::aln_params& m = p.aln->model;
  REQUIRE(m.a_nS == 0.0);  // no adaptation: mu_eff,E = mu_f,E
  REQUIRE(m.b_pA == 0.0);
  REQUIRE(m.j_ei_mV_per_ms < 0.0);
  return m.j_ee_mV_per_ms + m.mu_ext_e_mV_per_ms + current_pA / p.aln->table->neuron.c_pF;
}

// A DC program of kCurrent_pA onto every E cell / unit from start_ms for duration_ms.
void load_dc(fw::device& dev, std::size_t channel, int start_ms, int duration_ms) {
  testing::load_population_dc(dev, channel, kCurrent_pA, start_ms, duration_ms);
}

struct tick_record {
  engine::tick_readout r;
  fw::device_readout d;
};

std::vector<fw::safety_event> domain_events(const fw::device_readout& d) {
  std::vector<fw::safety_event> out;
  for (std::uint32_t i = 0; i < d.n_events; ++i)
    if (d.events[i].verdict.limit == fw::safety_limit::model_domain) out.push_back(d.events[i]);
  return out;
}

std::string reason_of(const fw::safety_verdict& v) {
  fw::reason_text buffer{};
  return std::string(fw::format_reason(v, buffer));
}

}  // namespace

// Two excursions of the node (two current pulses, 300 ms each, 300 ms apart): one event each, at the first step the
// model counts outside the grid, reporting mu_E below mu_min; every step outside once mu_f has settled; none before,
// between (after settling back) or at rest.
// Seen to fail: with device::observe not calling check_aln_node_domain, no event (0 against 2); with the excursion
// flag never set (domain_edge not storing was_out), one event per step outside (5,234 against 2: at most 8 a tick).
TEST_CASE("the device flags each excursion of the ALN node out of its cascade table's grid once",
          "[aln][device][domain]") {
  engine::engine_params p = testing::load_params("configs/cakan2020/aln_a1.toml");
  io::attach_aln_table(p, true);
  const double bound = mu_e_upper_bound(p, kCurrent_pA);
  const engine::aln::cascade_grid& grid = p.aln->table->grid;
  INFO("analytic bound on mu_E under the current: " << bound << " mV/ms; grid mu_min " << grid.mu_min_mV_per_ms);
  REQUIRE(bound < grid.mu_min_mV_per_ms);

  fw::device dev(io::load_device_config(testing::source_path("configs/cakan2020/aln_a1.toml"), {}, p));
  engine::engine eng(p);
  eng.set_external_current(&dev);
  load_dc(dev, 0, 200, 300);
  load_dc(dev, 1, 800, 300);

  std::vector<fw::safety_event> events;
  std::vector<std::int64_t> first_out_step;  // per excursion: the first step of the first tick counting one outside
  bool was_out = false;
  for (int t = 0; t < 1400; ++t) {
    tick_record k;
    eng.tick(k.r);
    dev.finish_tick(k.d);
    REQUIRE(k.r.aln.present);
    for (const fw::safety_event& e : domain_events(k.d)) events.push_back(e);
    const bool stimulated = (t >= 200 && t < 500) || (t >= 800 && t < 1100);
    const bool settled_on = (t >= 200 + kSettle_ms && t < 500) || (t >= 800 + kSettle_ms && t < 1100);
    const bool settled_off = t < 200 || (t >= 500 + kSettle_ms && t < 800) || t >= 1100 + kSettle_ms;
    INFO("tick " << t);
    if (settled_on) REQUIRE(k.r.aln.out_of_table == 10);  // every step of the tick
    if (settled_off) REQUIRE(k.r.aln.out_of_table == 0);
    if (!stimulated && !was_out) REQUIRE(k.r.aln.out_of_table == 0);  // it leaves only under the current
    if (k.r.aln.out_of_table > 0 && !was_out) first_out_step.push_back(eng.step_index() - 10);
    was_out = k.r.aln.out_of_table > 0;
    REQUIRE(k.d.ring_units_out_of_domain == 0);  // no ring here
  }
  REQUIRE(first_out_step.size() == 2);
  REQUIRE(events.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const fw::safety_verdict& v = events[i].verdict;
    INFO("event " << i << ": " << reason_of(v));
    CHECK(events[i].step >= first_out_step[i]);
    CHECK(events[i].step < first_out_step[i] + 10);  // within the tick the engine counted first
    CHECK(v.domain == fw::domain_quantity::aln_mu_exc);
    CHECK(v.unit == -1);
    CHECK(v.bound == grid.mu_min_mV_per_ms);
    CHECK(v.value < v.bound);
    CHECK_THAT(reason_of(v), Catch::Contains("ALN node") && Catch::Contains("E input mu = ") &&
                                 Catch::Contains("< -1 mV/ms") && Catch::Contains("cascade table"));
  }
}

// A ring of ALN units (configs/cakan2020/aln_ring.toml: 100 units at A1, ring step 0.1 ms) under a population
// current onto E, which reaches every unit: after settling all 100 units are outside at every ring step, so the
// tick's ring_out_of_table is 100 units x 10 ring steps and ring_units_out_of_domain is 100; one event for the ring
// (naming a unit) and one for the [aln] node, which receives the same population current; back to 0 after.
// Seen to fail: with device::observe not calling check_aln_ring_domain, ring_units_out_of_domain stays 0 and the
// ring's event is missing; with engine::tick not adding the ring's count, ring_out_of_table is 0 against 1000.
TEST_CASE("the device flags a ring of ALN units outside its cascade table, and the readout counts its steps there",
          "[aln][ring][device][domain]") {
  engine::engine_params p = testing::load_params("configs/cakan2020/aln_ring.toml");
  io::attach_aln_table(p, true);
  REQUIRE(p.ring);
  REQUIRE(p.ring->dt_ms == p.simulation.dt_ms);  // 10 ring steps per 1 ms tick
  // The config's own [[ring.current]] (60 pA, 100-600 ms) adds at most 0.3 mV/ms: the current here starts after it.
  REQUIRE(mu_e_upper_bound(p, kCurrent_pA) < p.aln->table->grid.mu_min_mV_per_ms);
  const std::size_t n_units = p.ring->n_units;

  fw::device dev(io::load_device_config(testing::source_path("configs/cakan2020/aln_ring.toml"), {}, p));
  engine::engine eng(p);
  REQUIRE(eng.aln_ring() != nullptr);
  eng.set_external_current(&dev);
  load_dc(dev, 0, 700, 300);

  std::vector<fw::safety_event> events;
  for (int t = 0; t < 1300; ++t) {
    tick_record k;
    eng.tick(k.r);
    dev.finish_tick(k.d);
    for (const fw::safety_event& e : domain_events(k.d)) events.push_back(e);
    INFO("tick " << t);
    if (t < 700 || t >= 1000 + kSettle_ms) {
      REQUIRE(k.r.ring_out_of_table == 0);
      REQUIRE(k.d.ring_units_out_of_domain == 0);
    }
    if (t >= 700 + kSettle_ms && t < 1000) {
      REQUIRE(k.r.ring_out_of_table == static_cast<std::int64_t>(n_units) * 10);
      REQUIRE(k.d.ring_units_out_of_domain == n_units);
      REQUIRE(k.d.ring_max_mu_v_mV == 0.0);  // a Zerlaut quantity
    }
  }
  REQUIRE(eng.aln_ring()->out_of_table() >= static_cast<std::int64_t>(n_units) * 10 * (300 - kSettle_ms));
  REQUIRE(events.size() == 2);
  const fw::safety_event& node = events[0].verdict.unit < 0 ? events[0] : events[1];
  const fw::safety_event& ring = events[0].verdict.unit < 0 ? events[1] : events[0];
  INFO(reason_of(node.verdict) << "\n" << reason_of(ring.verdict));
  CHECK(node.verdict.unit == -1);
  CHECK(ring.verdict.unit >= 0);
  CHECK(ring.verdict.unit < static_cast<std::int32_t>(n_units));
  for (const fw::safety_event* e : {&node, &ring}) {
    CHECK(e->step >= 7000);
    CHECK(e->step < 7000 + 10 * kSettle_ms);
    CHECK(e->verdict.domain == fw::domain_quantity::aln_mu_exc);
    CHECK(e->verdict.value < e->verdict.bound);
  }
  CHECK_THAT(reason_of(ring.verdict), Catch::Contains("ALN ring unit "));
}
