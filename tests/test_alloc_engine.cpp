// The real-time contract of the engine: after construction, ticking allocates nothing. Counted by the
// replaced global operator new of alloc_counter.cpp, which would see any allocation from the step path.
#include <catch2/catch.hpp>

#include "alloc_counter.hpp"
#include "test_support.hpp"

using namespace cortexloop;

TEST_CASE("ticking the engine makes zero heap allocations", "[alloc][realtime]") {
  auto p = testing::load_params("configs/default.toml");
  p.stimuli.push_back({engine::stimulus_kind::sine, engine::population::exc, 20.0, 0.0, 1e9, 8.0});
  engine::engine eng(p);
  eng.set_record_spikes(true);
  engine::tick_readout r;
  eng.tick(r);  // the first tick is part of start-up
  testing::allocation_scope scope;
  std::int64_t spikes = 0;
  for (int k = 0; k < 500; ++k) {
    eng.tick(r);
    eng.set_drive_rate_Hz(k < 250 ? 4.0 : 6.0);
    spikes += static_cast<std::int64_t>(r.spike_neurons.size());
  }
  CHECK(scope.allocations() == 0);
  CHECK(spikes > 0);  // the loop did real work
}

TEST_CASE("ticking the fraction-synapse network (Cakan 2020) makes zero heap allocations", "[alloc][realtime]") {
  auto p = testing::load_params("configs/cakan2020/network.toml", {"network.n_neurons=4000"});
  p.stimuli.push_back({engine::stimulus_kind::sine, engine::population::exc, 40.0, 0.0, 1e9, 3.0});
  engine::engine eng(p);
  eng.set_record_spikes(true);
  engine::tick_readout r;
  eng.tick(r);
  testing::allocation_scope scope;
  std::int64_t spikes = 0;
  for (int k = 0; k < 500; ++k) {
    eng.tick(r);
    spikes += static_cast<std::int64_t>(r.spike_neurons.size());
  }
  CHECK(scope.allocations() == 0);
  CHECK(spikes > 0);
}

TEST_CASE("the allocation counter sees allocations", "[alloc]") {
  testing::allocation_scope scope;
  auto* v = new std::vector<int>(100);
  asm volatile("" : : "r"(v) : "memory");  // keep the allocation from being elided
  delete v;
  CHECK(scope.allocations() >= 1);
}
