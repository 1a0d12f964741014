// `record`'s count of lost ticks against a decimated stream (tools/record_gaps.hpp). Reference: the arithmetic of
// a stream that publishes every k-th tick (stream.readout_every = k, docs/protocol.md): a step of s ticks between
// two readouts holds min(s, k) - 1 decimated ticks and, past k, s - k lost ones in one gap. Break tried: the steps
// before the stride is learnt judged at stride 1 (as record did) -> the first section fails.
#include <catch2/catch.hpp>

#include "tools/record_gaps.hpp"

using cortexloop::tools::readout_gaps;

TEST_CASE("steps before the stride is learnt are judged by the stride learnt", "[record][gaps]") {
  SECTION("from a Status, which gives the stride they were taken at") {
    readout_gaps g;
    for (const int step : {10, 10, 10, 30}) g.readout_after(step);
    CHECK(g.gaps == 0);  // waiting
    g.set_readout_every(10, false);
    CHECK(g.gaps == 1);
    CHECK(g.missing_ticks == 20);
    CHECK(g.decimated_ticks == 36);
    g.readout_after(10);
    CHECK(g.decimated_ticks == 45);
    CHECK(g.gaps == 1);
  }
  SECTION("from an applied SetParameter, whose value is the new stride: the old one is their most frequent step") {
    readout_gaps g;
    for (const int step : {10, 10, 20}) g.readout_after(step);
    g.set_readout_every(3, true);  // 10 -> 3
    CHECK(g.gaps == 1);
    CHECK(g.missing_ticks == 10);
    CHECK(g.decimated_ticks == 27);
    g.readout_after(7);  // the first step after the change may span the old stride
    CHECK(g.gaps == 1);
    g.readout_after(7);  // the next may not
    CHECK(g.gaps == 2);
    CHECK(g.missing_ticks == 14);
  }
  SECTION("never learnt: every step past the next tick is a loss, as the default stride 1 says") {
    readout_gaps g;
    g.readout_after(1);
    g.readout_after(4);
    g.finish();
    CHECK(g.gaps == 1);
    CHECK(g.missing_ticks == 3);
    CHECK(g.decimated_ticks == 0);
  }
}

TEST_CASE("a change of stride allows the step after it the larger stride, once", "[record][gaps]") {
  readout_gaps g;
  g.set_readout_every(50, false);
  g.readout_after(50);
  g.set_readout_every(3, true);
  g.readout_after(38);  // due under 50, it came before 50 ticks
  CHECK(g.gaps == 0);
  g.readout_after(3);
  g.readout_after(4);
  CHECK(g.gaps == 1);
  CHECK(g.missing_ticks == 1);
  CHECK(g.decimated_ticks == 49 + 37 + 2 + 2);
}
