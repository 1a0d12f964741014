// The conductance network's deliver phase (engine/network/partition.cpp, deliver_conductance): after a list of spikes,
// each target's G_e and G_i must be exactly the float sums of q_exc / q_inh over its sources in the list, added in
// ascending source order. The reference is computed here from each target's own source list (draw_sources, the
// definition of the connectivity, engine/synapses/connectivity.hpp), not from the partition's rows by source, whichever
// form of those rows the partition picked: gaps of one byte or of 16 bits per synapse with escaped long gaps, or 32-bit
// targets. Tolerance: none (bit-identical), since the engine's results must not depend on the row form.
// Breaks tried, each failing here: the byte rows built with the partition split at half its size
// (delta_rows(synapses_, (end_ - begin_) / 2), so deliver's part 0 stops half-way: the two byte-row cases fail, the
// 32-bit case passes); the byte rows' targets shifted by one (g[local + 1] += q: the byte cases fail); the 32-bit
// rows adding q * 1.0001f (the 32-bit case fails). For the 16-bit rows: an escape that skips one word too few
// (p += kEscapeWords - 1 in delta_rows.hpp, shared by both gap widths: the 16-bit case with escapes fails, and the
// two byte cases, which have escapes, crash; the 16-bit case without escapes and the 32-bit case pass).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/network/partition.hpp"
#include "engine/random/philox.hpp"
#include "engine/synapses/connectivity.hpp"

using namespace cortexloop;

namespace {
using row_form = engine::partition::row_form;
struct deliver_case {
  std::uint32_t n, begin;
  double p;
  row_form form;  // the row form the partition is expected to pick for this density
  std::uint32_t min_additions_per_target;
};
// How many of the partition's gaps (between consecutive targets of a row) are too long for a byte / 16 bits.
struct long_gaps {
  std::uint64_t over8 = 0, over16 = 0;
};

long_gaps check_against_sources(const deliver_case& c) {
  constexpr std::uint64_t kSeed = 21;
  const std::uint32_t n_exc = c.n * 4 / 5;
  engine::partition part(engine::incoming_synapses(c.n, c.begin, c.n, c.p, kSeed));
  part.host_conductance(engine::network_model{});
  REQUIRE(part.conductance_rows() == c.form);

  engine::network_model m;
  m.n = c.n;
  m.n_exc = n_exc;
  m.q_exc_nS = 0.1f;  // not a power of two: repeated float additions round, so their order shows
  m.q_inh_nS = 0.3f;
  engine::network_state s;
  s.g_exc_nS.assign(c.n, 0.0f);
  s.g_inh_nS.assign(c.n, 0.0f);
  // Every third neuron spikes (ascending, as the exchange lists them): each target gets tens of additions.
  std::vector<std::uint32_t> spikes;
  std::vector<bool> spiked(c.n, false);
  for (std::uint32_t i = 0; i < c.n; i += 3) {
    spikes.push_back(i);
    spiked[i] = true;
  }
  part.deliver(m, s, spikes, 0);

  const engine::philox_key key = engine::philox_key::from_seed(kSeed);
  std::vector<std::uint32_t> sources;
  std::uint64_t additions = 0;
  for (std::uint32_t t = c.begin; t < c.n; ++t) {
    sources.clear();
    engine::draw_sources(c.n, c.p, key, t, sources);  // ascending
    float g_exc = 0.0f, g_inh = 0.0f;
    for (const std::uint32_t pre : sources) {
      if (!spiked[pre]) continue;
      ++additions;
      if (pre < n_exc)
        g_exc += m.q_exc_nS;
      else
        g_inh += m.q_inh_nS;
    }
    INFO("target " << t);
    REQUIRE(std::memcmp(&s.g_exc_nS[t], &g_exc, sizeof g_exc) == 0);
    REQUIRE(std::memcmp(&s.g_inh_nS[t], &g_inh, sizeof g_inh) == 0);
  }
  CHECK(additions > std::uint64_t{c.min_additions_per_target} * (c.n - c.begin));  // many additions per target
  // Cells outside the partition are not touched.
  for (std::uint32_t t = 0; t < c.begin; ++t) REQUIRE((s.g_exc_nS[t] == 0.0f && s.g_inh_nS[t] == 0.0f));
  long_gaps gaps;
  for (std::uint32_t pre = 0; pre < c.n; ++pre) {
    std::int64_t prev = -1;
    part.for_each_target(pre, [&](std::uint32_t t) {
      gaps.over8 += static_cast<std::int64_t>(t) - prev >= 256;
      gaps.over16 += static_cast<std::int64_t>(t) - prev >= 65536;
      prev = t;
    });
  }
  return gaps;
}
}  // namespace

TEST_CASE("delivery through byte rows adds each source's q to its targets in ascending order", "[partition][deliver]") {
  // Mean gap 20 cells: about 1 gap in 500,000 needs an escape; the partition starts at 256 (local != global index).
  check_against_sources({4000, 256, 0.05, row_form::gaps8, 10});
}

TEST_CASE("delivery through byte rows with escaped gaps (>= 256 cells) adds to the right targets",
          "[partition][deliver]") {
  // p = 0.03: P(gap >= 256) = 0.97^255 ~ 4e-4 of ~470k synapses, ~200 escapes, under the 1 in 1000 that keeps the
  // byte rows.
  CHECK(check_against_sources({4000, 0, 0.03, row_form::gaps8, 10}).over8 > 50);
}

TEST_CASE("delivery through 16-bit rows when gaps of 256 cells or more are common", "[partition][deliver]") {
  // p = 0.005: mean gap 200 (as at 100k cells and in-degree 500), a quarter of the gaps would need a byte row's
  // escape: the partition takes 16-bit gaps, none of which escapes here (the partition is under 65,536 cells).
  const long_gaps gaps = check_against_sources({8000, 128, 0.005, row_form::gaps16, 10});
  CHECK(gaps.over8 > gaps.over16 + 10000);
}

TEST_CASE("delivery through 16-bit rows with escaped gaps (>= 65,536 cells) adds to the right targets",
          "[partition][deliver]") {
  // 100k cells at p = 1.2e-4: P(gap >= 65,536) = (1 - p)^65535 ~ 4e-4 of ~1.2M synapses, ~500 escapes, under the 1 in
  // 1000 that keeps the 16-bit rows; in-degree 12, so every third cell spiking gives ~4 additions per target.
  CHECK(check_against_sources({100000, 0, 1.2e-4, row_form::gaps16, 3}).over16 > 50);
}

TEST_CASE("delivery through 32-bit rows when even 16-bit gaps would often escape", "[partition][deliver]") {
  // 150k cells at p = 2e-5: mean gap 50,000, about a quarter of the gaps are 65,536 or more: the partition keeps
  // the 32-bit rows. In-degree 3: ~1 addition per target.
  check_against_sources({150000, 0, 2e-5, row_form::targets32, 0});
}
