// Stepping the ALN model allocates nothing (it is meant for the real-time thread like the ring's units): 20,000
// steps through a stimulus step, with adaptation, under the counting allocator of alloc_counter.cpp.
// Seen to fail: with the delay lines as a std::vector copied per step (a local copy in step()) the count is 20,000.
#include <catch2/catch.hpp>

#include "alloc_counter.hpp"
#include "aln_test_support.hpp"

using namespace cortexloop::engine::aln;

TEST_CASE("ALN model steps allocate nothing", "[alloc][aln]") {
  const cascade_table& table = cortexloop::testing::default_aln_table();
  aln_model m(cortexloop::testing::aln_point(4.0, 1.8, true), table, 0.1);
  double sum = 0;
  cortexloop::testing::allocation_scope scope;
  for (int k = 0; k < 20000; ++k) {
    m.step(k > 5000 && k < 10000 ? 60.0 : 0.0);
    sum += m.rate_e_Hz();
  }
  CHECK(scope.allocations() == 0);
  CHECK(sum > 0.0);
}
