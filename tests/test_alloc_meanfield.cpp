// Stepping the mean-field models allocates nothing (the real-time thread steps the ring): the master
// equation (both orders) and the ring (100 and 1000 units, with an afferent stimulus, a configured current
// and an external current) under the counting allocator of alloc_counter.cpp.
#include <vector>

#include <catch2/catch.hpp>

#include "alloc_counter.hpp"
#include "engine/meanfield/master_equation.hpp"
#include "engine/meanfield/ring.hpp"
#include "test_support.hpp"

using namespace cortexloop::engine;
using namespace cortexloop::engine::meanfield;

TEST_CASE("master equation steps allocate nothing", "[alloc][meanfield]") {
  const auto p = cortexloop::testing::load_params("configs/zerlaut2018_meanfield.toml");
  for (const int order : {1, 2}) {
    meanfield_params mf = *p.meanfield;
    mf.order = order;
    master_equation me(mf, p.network, p.simulation.dt_ms);
    meanfield_inputs in;
    in.drive_Hz = 4.0;
    in.afferent_Hz = 1.0;
    cortexloop::testing::allocation_scope scope;
    for (int k = 0; k < 2000; ++k) me.step(0.1, in);
    const auto r = me.readout(in);
    CHECK(scope.allocations() == 0);
    CHECK(r.nu_e_Hz > 0.0);
  }
}

TEST_CASE("ring steps and tick averages allocate nothing", "[alloc][ring]") {
  for (const char* units : {"ring.n_units=100", "ring.n_units=1000"}) {
    auto p = cortexloop::testing::load_params("configs/zerlaut2018_ring.toml", {units});
    p.ring->currents.push_back({50.0, 10.0, 0.5, 100.0, 200.0, current_target::both});
    ring r(*p.ring, *p.meanfield, p.network, p.simulation.dt_ms);
    const std::vector<float> external(r.n_units(), 5.0f);
    cortexloop::testing::allocation_scope scope;
    for (int k = 0; k < 1000; ++k) {
      r.step(k * r.dt_ms(), external, external);
      if (k % 2 == 1) r.finish_average();
    }
    CHECK(scope.allocations() == 0);
  }
}
