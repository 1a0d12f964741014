// The ALN node inside the engine's tick (engine_params::aln): a config of the node alone and one with the Cakan
// network next to it, the schedule's and an external (commanded) current reaching it, the units of that current,
// determinism, and the start-up refusals. The model itself is checked in test_aln_model.cpp; here the reference for
// the node's trajectory is that model stepped directly with the same currents, and for the stimulation the paper's
// Fig 4a with test_aln_model's criteria.
#include <algorithm>
#include <span>
#include <vector>

#include <catch2/catch.hpp>

#include "aln_test_support.hpp"
#include "engine/aln/aln_states.hpp"
#include "engine/engine.hpp"
#include "engine/inputs/external_current.hpp"
#include "io/aln_cache/engine_table.hpp"
#include "test_support.hpp"

using namespace cortexloop;

namespace {

engine::engine_params aln_params_of(const char* config, std::vector<std::string> overrides = {}) {
  engine::engine_params p = testing::load_params(config, overrides);
  io::attach_aln_table(p, true);
  return p;
}

// A stand-in for the commanded stimulator (firmware_sim's device): a DC current onto E between two steps.
class dc_source final : public engine::external_current_source {
 public:
  dc_source(double amplitude_pA, std::int64_t from_step, std::int64_t to_step)
      : amplitude_pA_(static_cast<float>(amplitude_pA)), from_(from_step), to_(to_step) {}
  engine::population_currents currents_pA(std::int64_t step) noexcept override {
    return {step >= from_ && step < to_ ? amplitude_pA_ : 0.0f, 0.0f};
  }

 private:
  float amplitude_pA_;
  std::int64_t from_, to_;
};

std::vector<float> aln_rates_e(engine::engine& eng, int ticks) {
  std::vector<float> rate;
  engine::tick_readout r;
  for (int k = 0; k < ticks; ++k) {
    eng.tick(r);
    REQUIRE(r.aln.present);
    rate.push_back(static_cast<float>(r.aln.rate_e_Hz));
  }
  return rate;
}

// The criteria of test_aln_model's "a 60 pA step at A1 starts the E-I oscillation and removing it stops it" (the
// paper's Fig 4a): flat before, a sustained cycle above 15 Hz during the step (1-2 s), flat after.
void check_a1_step_response(const std::vector<float>& rate) {
  REQUIRE(rate.size() == 3000);
  auto swing = [&](int from_ms, int to_ms) {
    const auto [lo, hi] = std::minmax_element(rate.begin() + from_ms, rate.begin() + to_ms);
    return static_cast<double>(*hi - *lo);
  };
  CHECK(swing(500, 1000) < 0.01);
  CHECK(swing(1500, 2000) > 5.0);
  CHECK(swing(1500, 2000) > 0.9 * swing(1000, 1500));
  double f = 0, power = 0;
  engine::aln::dominant_frequency(std::span<const float>(rate).subspan(1000, 1000), 1.0, 70.0, f, power);
  CHECK(f > 15.0);
  CHECK(swing(2500, 3000) < 0.01);
}

}  // namespace

// Reference: Cakan & Obermayer 2020 Fig 4a (60 pA = 0.3 mV/ms x C onto E at A1 for 1 s), test_aln_model's criteria.
// The current comes once from the config's [[stimulus]] (fig4_a1.toml) and once from an external source, the path
// of serve's stimulation commands (engine::external_current_source).
// Seen to fail: with the ALN's step in engine::tick given 0 instead of i_exc, both sections stay flat during the step
// (swing(1500, 2000) = 0, f = 0); so they do with i_exc / 200 (mV/ms instead of pA).
TEST_CASE("in the engine, a 60 pA step at A1 starts the ALN oscillation and removing it stops it",
          "[aln][engine][stimulus]") {
  SECTION("from the config's stimulus schedule") {
    engine::engine eng(aln_params_of("configs/cakan2020/fig4_a1.toml"));
    check_a1_step_response(aln_rates_e(eng, 3000));
  }
  SECTION("from an external (commanded) current source") {
    engine::engine eng(aln_params_of("configs/cakan2020/aln_a1.toml"));
    dc_source step(60.0, 10'000, 20'000);  // steps of 0.1 ms: 1 s to 2 s
    eng.set_external_current(&step);
    check_a1_step_response(aln_rates_e(eng, 3000));
  }
}

// Reference: the ALN model stepped directly (engine/aln/aln_model.hpp, checked against the paper in
// test_aln_model.cpp) with the same per-step currents: the engine must add nothing and drop nothing. The schedule
// (a sine onto E) and an external DC onto E add up; a DC onto I reaches I. Exact: the same operations in the same order.
// Seen to fail: with the I current left out of the ALN's step in engine::tick (aln_->step(i_exc, 0)), the first
// differing tick is 1001 (the I stimulus starts at 1 s).
TEST_CASE("the engine's ALN node steps exactly as the model stepped alone with the same currents", "[aln][engine]") {
  engine::engine_params p = aln_params_of("configs/cakan2020/aln_a2.toml");
  p.stimuli.push_back({engine::stimulus_kind::sine, engine::population::exc, 20.0, 0.0, 1e9, 7.0});
  p.stimuli.push_back({engine::stimulus_kind::dc, engine::population::inh, 30.0, 1000.0, 1500.0, 0.0});
  engine::engine eng(p);
  dc_source extra(15.0, 5'000, 25'000);
  eng.set_external_current(&extra);

  engine::aln::aln_model alone(p.aln->model, *p.aln->table, p.simulation.dt_ms);
  const engine::stimulus_schedule schedule(p.stimuli, p.simulation.dt_ms);
  engine::tick_readout r;
  std::int64_t step = 0;
  for (int tick = 0; tick < 3000; ++tick) {
    eng.tick(r);
    double rate_e = 0, rate_i = 0;
    for (int k = 0; k < 10; ++k, ++step) {
      const double t_ms = static_cast<double>(step) * p.simulation.dt_ms;
      float i_e = schedule.current_pA(engine::population::exc, t_ms);
      const float i_i = schedule.current_pA(engine::population::inh, t_ms);
      i_e += extra.currents_pA(step).exc_pA;
      alone.step(i_e, i_i);
      rate_e += alone.rate_e_Hz();
      rate_i += alone.rate_i_Hz();
    }
    INFO("tick " << tick);
    REQUIRE(r.aln.rate_e_Hz == rate_e * (1.0 / 10));
    REQUIRE(r.aln.rate_i_Hz == rate_i * (1.0 / 10));
  }
  CHECK(r.aln.diverged == 0);
}

// Reference: the ALN's input is mu = J s + mu_ext + I / C (Cakan & Obermayer 2020, Methods; C = 200 pF), so a DC
// current of I pA onto E is the same as raising mu_ext,E by I / C mV/ms. At A1 + 20 pA (a fixed point between A1 and
// LC_EI, 0.556 Hz): the E rate of the last second of a 3 s run, with the current, against the run with
// mu_ext,E + 20 / 200. Tolerance 1e-9 relative (the two add the same number in another order); a pA / mV-per-ms slip
// or a missing 1/C moves the rate to A1's 0.31 Hz.
// Seen to fail: with the engine handing the ALN i_exc / 200 (mV/ms instead of pA), 0.3136 Hz
// with the current against 0.5557 Hz with mu_ext.
TEST_CASE("a current onto the engine's ALN node acts as mu_ext + I / C", "[aln][engine][units]") {
  engine::engine_params with_current = aln_params_of("configs/cakan2020/aln_a1.toml");
  with_current.stimuli.push_back({engine::stimulus_kind::dc, engine::population::exc, 20.0, 0.0, 1e9, 0.0});
  engine::engine_params with_mu = aln_params_of("configs/cakan2020/aln_a1.toml");
  with_mu.aln->model.mu_ext_e_mV_per_ms += 20.0 / with_mu.aln->table->neuron.c_pF;
  REQUIRE(with_mu.aln->table->neuron.c_pF == 200.0);
  engine::engine a(with_current), b(with_mu);
  const std::vector<float> ra = aln_rates_e(a, 3000), rb = aln_rates_e(b, 3000);
  double mean_a = 0, mean_b = 0;
  for (int k = 2000; k < 3000; ++k) mean_a += ra[k] / 1000.0, mean_b += rb[k] / 1000.0;
  INFO("with the current " << mean_a << " Hz, with mu_ext " << mean_b << " Hz");
  CHECK(mean_a > 0.5);  // above A1's 0.31 Hz: the current acted
  CHECK(std::abs(mean_a - mean_b) <= 1e-9 * mean_b + 1e-12);
}

// The network and the node side by side (configs/cakan2020/live_a1.toml, 2,000 cells here to keep the test short):
// one tick advances both, both receive the same commanded current, readouts carry both, and the same seed gives the
// same readouts (determinism). Reference for the shared current: the external source's value, 60 pA onto E.
// Seen to fail: with the ALN stepped only when the network is not (`if (aln_ && !run_network_)` in engine::tick),
// r.aln.present held but the node's rate stayed at its initial 0 (aln_rate > 0 failed in both runs).
TEST_CASE("the Cakan network and the ALN node run side by side in one engine", "[aln][engine]") {
  const engine::engine_params p = aln_params_of("configs/cakan2020/live_a1.toml", {"network.n_neurons=2000"});
  REQUIRE(p.aln);
  REQUIRE(p.network.n_neurons == 2000);
  auto run = [&](std::vector<double>& trace) {
    engine::engine eng(p);
    dc_source step(60.0, 5'000, 10'000);
    eng.set_external_current(&step);
    engine::tick_readout r;
    double net_spikes = 0, aln_rate = 0;
    for (int k = 0; k < 1000; ++k) {
      eng.tick(r);
      trace.insert(trace.end(), {r.exc.rate_Hz, r.inh.rate_Hz, r.aln.rate_e_Hz, r.aln.rate_i_Hz});
      net_spikes += static_cast<double>(r.exc.spikes + r.inh.spikes);
      aln_rate += r.aln.rate_e_Hz;
      if (k == 700) {
        CHECK(r.exc.i_stim_pA == 60.0);  // the network's cells and the node get the same current
        CHECK(r.aln.present);
      }
    }
    CHECK(net_spikes > 0);
    CHECK(aln_rate > 0);
  };
  std::vector<double> first, second;
  run(first);
  run(second);
  CHECK(first == second);
}

// Start-up refusals name what is wrong (the engine does no I/O: the table is loaded before it is built).
// Seen to fail: with the engine's neuron check disabled (`if (false && ...)`), no exception for another neuron's table.
TEST_CASE("an engine with an [aln] node refuses to start without its table or with another neuron's",
          "[aln][engine][config]") {
  using Catch::Matchers::Contains;
  engine::engine_params p = testing::load_params("configs/cakan2020/aln_a1.toml");
  CHECK_THROWS_WITH(engine::engine(p), Contains("[aln]") && Contains("cascade table"));
  io::attach_aln_table(p, true);
  p.aln->neuron.t_ref_ms = 2.0;
  CHECK_THROWS_WITH(engine::engine(p), Contains("another neuron"));
  // A config of the node alone has no network; a [ring] still needs its [network].
  CHECK(testing::load_params("configs/cakan2020/aln_a1.toml").network.n_neurons == 0);
  CHECK_THROWS_WITH(testing::load_params("configs/cakan2020/aln_a1.toml", {"ring.n_units=10"}), Contains("network"));
}
