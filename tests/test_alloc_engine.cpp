// The real-time contract of the engine: after construction, ticking allocates nothing. Counted by the
// replaced global operator new of alloc_counter.cpp, which would see any allocation from the step path.
#include <catch2/catch.hpp>

#include "alloc_counter.hpp"
#include "alloc_ticks.hpp"
#include "test_support.hpp"

using namespace cortexloop;

TEST_CASE("ticking the engine makes zero heap allocations", "[alloc][realtime]") {
  auto p = testing::load_params("configs/default.toml");
  p.stimuli.push_back({engine::stimulus_kind::sine, engine::population::exc, 20.0, 0.0, 1e9, 8.0});
  engine::engine eng(p);
  const auto counted = testing::count_tick_allocations(eng, 500, [&](int k) { eng.set_drive_rate_Hz(k < 250 ? 4.0 : 6.0); });
  CHECK(counted.allocations == 0);
  CHECK(counted.spikes > 0);  // the loop did real work
}

TEST_CASE("ticking the fraction-synapse network (Cakan 2020) makes zero heap allocations", "[alloc][realtime]") {
  auto p = testing::load_params("configs/cakan2020/network.toml", {"network.n_neurons=4000"});
  p.stimuli.push_back({engine::stimulus_kind::sine, engine::population::exc, 40.0, 0.0, 1e9, 3.0});
  engine::engine eng(p);
  const auto counted = testing::count_tick_allocations(eng, 500);
  CHECK(counted.allocations == 0);
  CHECK(counted.spikes > 0);
}

TEST_CASE("the conductance network with delays and white noise makes zero heap allocations", "[alloc][realtime]") {
  auto p = testing::load_params("configs/zerlaut2018_network.toml",
                                {"network.delay_exc_ms=1.5", "network.delay_inh_ms=0.5",
                                 "network.input.sigma_exc_mV_per_sqrt_ms=1.0", "network.input.sigma_inh_mV_per_sqrt_ms=1.0"});
  engine::engine eng(p);
  const auto counted = testing::count_tick_allocations(eng, 500);
  CHECK(counted.allocations == 0);
  CHECK(counted.spikes > 0);
}

TEST_CASE("the allocation counter sees allocations", "[alloc]") {
  testing::allocation_scope scope;
  auto* v = new std::vector<int>(100);
  asm volatile("" : : "r"(v) : "memory");  // keep the allocation from being elided
  delete v;
  CHECK(scope.allocations() >= 1);
}
