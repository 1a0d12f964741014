// The parts of the fraction-synapse network (Cakan & Obermayer 2020; engine/network/fraction_network.hpp) against
// analytic results: delays (a spike at step k moves s at the end of step k + d), the closed form of k fraction jumps
// and the exponential decay of s, the white-noise input (normal draws; the free membrane as an Ornstein-Uhlenbeck
// process with its stationary mean and variance), the order of the Heun integrator on a linear ODE, and the config's
// checks. Breaks tried, each failing here: every delay one step longer (delay_steps + 1: the arrival check and the 20
// decay checks fail); fraction_jump with (1 - c)^(k+1) (27 closed-form checks and the arrival check); the noise
// increment sigma dt instead of sigma sqrt(dt) (the OU variance); the Heun corrector using the start slope twice, i.e.
// Euler (error ratios 2 instead of 4); the range check of k_xy removed (the config test); the byte rows' escape not
// skipping its 4 bytes (both parts of source 9 wrong); the spike ring not emptying a reused slot (step 4 saw step 0's
// spikes); the noise fill's transpose storing neurons 0..15 twice instead of 16..31 (262144 draws differ from the
// scalar); the fused update's straddling block giving lane n_exc the E constants (`<=` for `<`: V and w of the fused
// pass differ from the array kernel's); the kernel's arrivals as 1 - (1 - s)(1 - c)^n through the (1 - c)^n table (the
// n = 0 checks of s's bits fail); the gain table's entries from n + 1 (the closed-form checks fail); the 16-target
// source draws taking each lane's words from the next block (index + 1: every target differs); the huge-page
// allocator aligning to 4 KiB instead of 2 MiB (both alignment checks). The integrator is
// network.fraction.integrator: "euler" (the authors' effective scheme, the config's default) or "heun".
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <vector>

#include "engine/cells/adex_heun.hpp"
#include "engine/cells/adex_heun_lanes.hpp"
#include "engine/cpu/huge_pages.hpp"
#include "engine/network/fraction_update.hpp"
#include "engine/random/philox_normal.hpp"
#include "engine/synapses/delta_rows.hpp"
#include "engine/synapses/fixed_indegree.hpp"
#include "engine/synapses/fraction_synapse.hpp"
#include "engine/synapses/spike_ring.hpp"
#include "test_support.hpp"

using namespace cortexloop;

namespace {
const char* kConfig = "configs/cakan2020/network.toml";

// A network with only E -> I synapses: every E cell starts at rest with the same strong mean input and no noise,
// so all E cells spike in the same step; the I cells get no input but the E spikes, k_ie of them each.
engine::engine_params sync_pulse_params(const std::string& integrator) {
  return testing::load_params(kConfig, {"network.n_neurons=512", "network.v_init_mode=rest",
                                        "network.fraction.integrator=" + integrator,
                                        "network.fraction.k_ee=0", "network.fraction.k_ei=0",
                                        "network.fraction.k_ii=0", "network.fraction.k_ie=10",
                                        "network.input.mu_exc_mV_per_ms=3.0", "network.input.mu_inh_mV_per_ms=0.0",
                                        "network.input.sigma_exc_mV_per_sqrt_ms=0.0",
                                        "network.input.sigma_inh_mV_per_sqrt_ms=0.0"});
}
}  // namespace

TEST_CASE("a spike at step k moves its targets' s in the update of step k + delay + 1, by the closed form, then s "
          "decays exponentially (heun) or by the Euler factor (euler)", "[fraction][delay]") {
  const std::string integrator = GENERATE(std::string("heun"), std::string("euler"));
  INFO("integrator " << integrator);
  const auto p = sync_pulse_params(integrator);
  const double dt = p.simulation.dt_ms;
  const auto delay_steps = static_cast<std::int64_t>(std::lround(p.network.fraction.path[1][0].delay_ms / dt));
  REQUIRE(delay_steps == 40);  // 4 ms from E
  engine::network net(p.network, dt, p.simulation.seed, 1);
  const std::uint32_t n_exc = net.n_exc(), inh = n_exc + 7;  // any I cell
  engine::network_counts counts;
  std::int64_t k = 0, spike_step = -1;
  for (; k < 2000 && spike_step < 0; ++k) {
    const std::int64_t before = counts.spikes_exc;
    net.step(k, 0.0f, 0.0f, counts);
    if (counts.spikes_exc > before) {
      REQUIRE(counts.spikes_exc - before == n_exc);  // all E cells in the same step
      spike_step = k;
    }
  }
  REQUIRE(spike_step > 0);
  // Through step spike_step + d nothing has moved s: the spikes are counted for step spike_step + d and the update
  // of step spike_step + d + 1 applies them before integrating (engine/network/fraction_network.hpp).
  for (; k <= spike_step + delay_steps; ++k) {
    net.step(k, 0.0f, 0.0f, counts);
    REQUIRE(net.s_exc()[inh] == 0.0f);
  }
  // Reference: the jumps one after the other, s += (1 - s) c, c = c_ie / |J_ie| (the authors' rescaling), in double;
  // then the decay over the steps since, exp(-m dt / tau_se) (heun) or Euler's (1 - dt/tau_se)^m (euler), m >= 1
  // (the I cell does not spike: no input but s, which stays below threshold).
  const double c = p.network.fraction.path[1][0].c_mV_per_ms / std::fabs(p.network.fraction.path[1][0].j_mV_per_ms);
  double s_ref = 0;
  for (int j = 0; j < 10; ++j) s_ref += (1 - s_ref) * c;
  const double h = dt / p.network.fraction.tau_s_exc_ms;
  for (int m = 1; m <= 20; ++m) {
    net.step(k++, 0.0f, 0.0f, counts);
    INFO("step " << m << " after the arrival");
    const double expected = integrator == "heun" ? s_ref * std::exp(-m * h) : s_ref * std::pow(1 - h, m);
    CHECK(net.s_exc()[inh] == Approx(expected).epsilon(2e-6));
  }
  CHECK(counts.spikes_inh == 0);
}

TEST_CASE("byte rows give every target of every source, split at the first inhibitory cell, including gaps of 256 "
          "and more (escaped)", "[fraction][synapses]") {
  // Reference: the 32-bit rows themselves (incoming_synapses). Sources 0..9, targets 0..999 of one partition
  // starting at cell 100; source s < 9 reaches every (s + 1)-th target, source 9 six targets far apart.
  constexpr std::uint32_t n = 1100, begin = 100, end = 1100, first_inh_local = 600;
  std::vector<std::uint32_t> sources;
  std::vector<std::uint64_t> first_source;
  std::vector<std::vector<std::uint32_t>> expected(n);
  for (std::uint32_t t = 0; t < end - begin; ++t) {
    first_source.push_back(sources.size());
    for (std::uint32_t s = 0; s < 10; ++s)
      if (s < 9 ? t % (s + 1) == 0 : (t == 0 || t == 255 || t == 511 || t == 599 || t == 600 || t == 999)) {
        sources.push_back(s);
        expected[s].push_back(t);
      }
  }
  first_source.push_back(sources.size());
  const engine::incoming_synapses rows(n, begin, end, sources, first_source);
  const engine::delta_rows bytes(rows, first_inh_local);
  for (std::uint32_t s = 0; s < 10; ++s) {
    REQUIRE(std::vector<std::uint32_t>(rows.local_targets_of(s).begin(), rows.local_targets_of(s).end()) ==
            expected[s]);
    std::vector<std::uint32_t> part[2];
    for (int k = 0; k < 2; ++k) bytes.for_each(s, k, [&](std::uint32_t t) { part[k].push_back(t); });
    std::vector<std::uint32_t> exc, inh;
    for (const std::uint32_t t : expected[s]) (t < first_inh_local ? exc : inh).push_back(t);
    INFO("source " << s);
    CHECK(part[0] == exc);
    CHECK(part[1] == inh);
  }
  // Source 9's targets 0, 255, 511, 599 | 600, 999: gaps 1, 255, 256 (escaped), 88 | 1 (from 599), 399 (escaped).
  CHECK(bytes.part_bytes(9, 0) == 1 + 1 + 5 + 1);
  CHECK(bytes.part_bytes(9, 1) == 1 + 5);
}

TEST_CASE("huge_page_allocator: blocks of 2 MiB or more start on a 2 MiB boundary and keep their contents as they "
          "grow, and smaller ones are ordinary", "[fraction][synapses]") {
  // Reference: the allocator's contract (engine/cpu/huge_pages.hpp): a huge page is 2 MiB on x86-64, and THP can only
  // back a block that covers whole, aligned huge pages. Contents: the values written, 0, 1, 2, ... (exact).
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  std::vector<std::uint32_t, engine::huge_page_allocator<std::uint32_t>> big(3 * kHuge / 4);  // 3 MiB
  std::iota(big.begin(), big.end(), 0u);
  CHECK(reinterpret_cast<std::uintptr_t>(big.data()) % kHuge == 0);
  for (std::uint32_t k = 0; k < 1000; ++k) big.push_back(static_cast<std::uint32_t>(3 * kHuge / 4) + k);  // regrows
  CHECK(reinterpret_cast<std::uintptr_t>(big.data()) % kHuge == 0);
  std::size_t wrong = 0;
  for (std::size_t k = 0; k < big.size(); ++k) wrong += big[k] != k;
  CHECK(wrong == 0);
  std::vector<std::uint8_t, engine::huge_page_allocator<std::uint8_t>> small(100, 7);
  CHECK(small.size() == 100);
  CHECK(std::count(small.begin(), small.end(), 7) == 100);
}

TEST_CASE("the spike ring returns a step's spikes for D - 1 steps, then nothing", "[fraction][delay]") {
  engine::spike_ring ring(4, 8);
  const std::uint32_t a[] = {1, 5}, b[] = {7};
  CHECK(ring.at(0).empty());  // never recorded
  CHECK(ring.at(-1).empty());
  ring.start(0);
  ring.append(0, a);
  ring.append(0, b);
  for (std::int64_t k = 1; k <= 3; ++k) {
    ring.start(k);
    REQUIRE(ring.at(0).size() == 3);  // steps 0 .. 3 share the ring of 4 slots
    CHECK(ring.at(0)[2] == 7);
  }
  ring.start(4);  // replaces step 0
  CHECK(ring.at(0).empty());
  CHECK(ring.at(4).empty());
}

TEST_CASE("k arrivals in one step compose to 1 - (1 - s)(1 - c)^k", "[fraction]") {
  for (const double c : {0.3 / 2.43, 0.5 / 3.3, 1.0}) {
    const engine::fraction_jump jump(c, 800);
    for (const float s0 : {0.0f, 0.2f, 0.9f})
      for (const std::uint32_t k : {0u, 1u, 2u, 7u, 100u, 800u}) {
        double s = s0;  // the jumps in sequence, in double
        for (std::uint32_t j = 0; j < k; ++j) s += (1 - s) * c;
        INFO("c " << c << " s0 " << s0 << " k " << k);
        CHECK(jump.after(s0, k) == Approx(s).margin(2e-7));
      }
  }
}

TEST_CASE("normal draws: the vectorised log and sincos match std, and the draws have mean 0 and variance 1",
          "[fraction][noise]") {
  using namespace engine::philox_normal_detail;
  double worst_log = 0, worst_trig = 0;
  for (int i = 1; i <= 100000; ++i) {
    const float u = static_cast<float>(i) / 100000.0f;
    worst_log = std::max(worst_log, std::fabs(log_unit(u) - std::log(static_cast<double>(u))) /
                                        std::max(1e-30, std::fabs(std::log(static_cast<double>(u)))));
    // The power of two taken in the exponent: the same value as of u itself.
    CHECK(log_unit(u * 0x1.0p32f, 32) == log_unit(u));
  }
  // Angles 2 pi (word >> 8) 2^-24 over the whole turn, and either side of every octant's edge (where the quadrant
  // and the sign of r change).
  std::vector<std::uint32_t> words;
  for (std::uint64_t i = 0; i < 100000; ++i) words.push_back(static_cast<std::uint32_t>((i << 32) / 100000));
  for (std::uint32_t k = 0; k < 8; ++k)
    for (const std::uint32_t d : {0u, 0xFFu, 0x100u, 0xFFFFFF00u}) words.push_back((k << 29) + d);
  for (const std::uint32_t word : words) {
    float co, si;
    sincos_turn_bits(word, co, si);
    const double angle = 2 * M_PI * std::ldexp(static_cast<double>(word >> 8), -24);
    worst_trig = std::max({worst_trig, std::fabs(co - std::cos(angle)), std::fabs(si - std::sin(angle))});
  }
  CHECK(worst_log < 1e-6);   // relative; u = 1 (log 0) excluded by the max with 1e-30 only where log is 0 exactly
  CHECK(worst_trig < 1e-6);  // absolute
  // Mean and variance of 2^20 draws: standard errors 1e-3 and 1.4e-3; bounds at 5 of them.
  const auto key = engine::philox_key::from_seed(7);
  std::vector<float> out(1024 * 4);
  double sum = 0, sum2 = 0, n = 0;
  std::size_t differ = 0;
  for (std::uint64_t step = 0; step < 256; ++step) {
    engine::philox_fill_normals(key, 3, 32, step, engine::kWhiteNoiseStream, out.data());
    for (std::size_t i = 0; i < out.size(); ++i) {
      sum += out[i];
      sum2 += static_cast<double>(out[i]) * out[i];
      n += 1;
      // The 16-lane fill (Philox blocks in lanes, then a transpose into neuron order) and the scalar draw of each
      // neuron (one Philox block, scalar Box-Muller) agree bit for bit: a draw is a function of (seed, neuron, step).
      differ += out[i] != engine::philox_normal(key, 3 * 128 + static_cast<std::uint32_t>(i), step,
                                                engine::kWhiteNoiseStream);
    }
  }
  CHECK(differ == 0);
  const double mean = sum / n, var = sum2 / n - mean * mean;
  CHECK(std::fabs(mean) < 5e-3);
  CHECK(std::fabs(var - 1) < 7e-3);
}

TEST_CASE("normal draws: tail probabilities and the fourth moment are the standard normal's", "[fraction][noise]") {
  // Reference: the analytic standard normal, P(|X| > t) = erfc(t / sqrt 2) and E X^4 = 3. 2^20 draws (philox_fill_normals,
  // the vector path the network uses). Tolerances: 5 standard errors of the estimate at this sample size, i.e. of a
  // binomial count, sqrt(p (1 - p) / n) (t = 4: p = 6.3e-5, ~66 draws expected, bound +-41), and of the mean of X^4,
  // sqrt((E X^8 - 9) / n) = sqrt(96 / n) = 0.0096. The largest |X| Box-Muller gives from 24-bit u1 is
  // sqrt(-2 ln 2^-25) = 5.89, so no draw may exceed it.
  const auto key = engine::philox_key::from_seed(11);
  std::vector<float> out(1024 * 4);
  const double thresholds[] = {1, 2, 3, 4};
  double beyond[4] = {}, sum4 = 0, n = 0, largest = 0;
  for (std::uint64_t step = 0; step < 256; ++step) {
    engine::philox_fill_normals(key, 0, 32, step, engine::kWhiteNoiseStream, out.data());
    for (const float x : out) {
      const double a = std::fabs(static_cast<double>(x));
      for (int k = 0; k < 4; ++k) beyond[k] += a > thresholds[k];
      sum4 += a * a * a * a;
      largest = std::max(largest, a);
      n += 1;
    }
  }
  for (int k = 0; k < 4; ++k) {
    const double p = std::erfc(thresholds[k] / std::sqrt(2.0));
    INFO("P(|X| > " << thresholds[k] << "): " << beyond[k] / n << " against " << p);
    CHECK(std::fabs(beyond[k] / n - p) < 5 * std::sqrt(p * (1 - p) / n));
  }
  CHECK(std::fabs(sum4 / n - 3) < 5 * std::sqrt(96 / n));
  CHECK(largest <= std::sqrt(-2 * std::log(std::ldexp(1.0, -25))) + 1e-5);
}

TEST_CASE("fixed in-degree synapses drawn 16 targets at a time are each target's own scalar draws",
          "[fraction][connectivity]") {
  // Reference: draw_fixed_indegree_sources, one target at a time from the scalar Philox (engine/random/philox.hpp),
  // against the table fixed_indegree_synapses builds with 16 targets' blocks per philox16 call: every target's sources,
  // in order, must be the same. Partitions that start and end off the 16-target groups, n_exc inside a group;
  // in-degrees 0, small, and all but one of a population (the longest rejection runs).
  engine::fixed_indegree spec;
  spec.n = 1003;
  spec.n_exc = 517;
  const std::uint32_t k_sets[2][2][2] = {{{40, 10}, {60, 0}}, {{516, 3}, {1, 485}}};
  for (const auto& k : k_sets) {
    std::memcpy(spec.k_in, k, sizeof spec.k_in);
    for (const auto& [begin, end] : {std::pair<std::uint32_t, std::uint32_t>{5, 1003}, {512, 777}, {0, 16}}) {
      INFO("k_ee " << k[0][0] << " targets [" << begin << ", " << end << ")");
      const engine::incoming_synapses syn = engine::fixed_indegree_synapses(spec, begin, end, 77);
      std::vector<std::vector<std::uint32_t>> sources(end - begin);
      for (std::uint32_t pre = 0; pre < syn.n_sources(); ++pre)
        for (const std::uint32_t local : syn.local_targets_of(pre)) sources[local].push_back(pre);
      std::vector<std::uint32_t> expected;
      std::vector<std::uint64_t> bits;
      std::size_t differ = 0;
      for (std::uint32_t t = begin; t < end; ++t) {
        expected.clear();
        engine::draw_fixed_indegree_sources(spec, engine::philox_key::from_seed(77), t, expected, bits);
        differ += sources[t - begin] != expected;
      }
      CHECK(differ == 0);
    }
  }
}

TEST_CASE("the cell kernel applies n arrivals as the closed form 1 - (1 - s)(1 - c)^n, and leaves s as it is when "
          "n = 0", "[fraction][heun]") {
  // Reference: the closed form in double (Cakan & Obermayer 2020: s += (1 - s) c per arrival, k times). Bound: 2e-7
  // absolute, a few float roundings of s <= 1 (the kernel takes (1 - c)^n from a vector exponential, relative error
  // 3e-7, times 1 - s <= 1). Refractory cells take arrivals without integrating or decaying s (Brian2's on_pre is
  // not gated), so their s after the step is the jump alone. n spans the register table (n < 32) and the
  // exponential for larger counts; n = 0 must give back s's bits (no 1 - (1 - s) rounding of a small s).
  const double c = 0.3;
  const auto p = testing::load_params(kConfig, {});
  const auto m = engine::fraction_model::from(p.network, p.simulation.dt_ms, 1);
  const float log_keep = static_cast<float>(std::log1p(-c));
  for (const std::uint16_t largest : {std::uint16_t{31}, std::uint16_t{47}}) {  // table only; table and exponential
    INFO("counts up to " << largest);
    constexpr std::size_t n = 48;
    std::vector<float> v(n, -65.0f), w(n, 0), se(n), si(n), normal(n, 0);
    std::vector<std::int32_t> ref(n, 3);
    std::vector<std::uint8_t> spiked(n, 0);
    std::vector<std::uint16_t> ce(n), ci(n);
    for (std::size_t i = 0; i < n; ++i) {
      se[i] = i % 3 == 0 ? 1e-6f * static_cast<float>(i + 1) : static_cast<float>(i) / n;
      si[i] = 0.5f * se[i];
      ce[i] = static_cast<std::uint16_t>(i % (largest + 1u));
      ci[i] = static_cast<std::uint16_t>((i * 7) % (largest + 1u));
    }
    const auto se0 = se, si0 = si;
    const auto ce0 = ce, ci0 = ci;
    const engine::adex_heun_view view{v.data(), w.data(), se.data(), si.data(), ref.data(), spiked.data(), n};
    const engine::fraction_arrivals a{ce.data(), ci.data(), log_keep, log_keep};
    engine::adex_heun_step(m.cell[0], 0.0f, normal.data(), view, &a);
    auto closed = [c](float s, unsigned k) { return 1.0 - (1.0 - s) * std::pow(1.0 - c, k); };
    for (std::size_t i = 0; i < n; ++i) {
      INFO("cell " << i << " n_e " << ce0[i] << " n_i " << ci0[i]);
      CHECK(std::fabs(se[i] - closed(se0[i], ce0[i])) < 2e-7);
      CHECK(std::fabs(si[i] - closed(si0[i], ci0[i])) < 2e-7);
      if (ce0[i] == 0) CHECK(se[i] == se0[i]);
      if (ci0[i] == 0) CHECK(si[i] == si0[i]);
      CHECK(ce[i] == 0);  // counts cleared
    }
  }
}

TEST_CASE("the fused update (draws and spike list in registers) equals the array kernel fed with each cell's scalar "
          "draw, bit for bit, across the E/I boundary and a short last block", "[fraction][noise]") {
  // Reference: philox_normal per cell (the scalar Box-Muller, itself checked against the fill above and, through the
  // fill, against the OU test below) and adex_heun_step over each population's range with a byte per cell, whose
  // events are scanned into the spike list; the fused pass must give the same state, draws, spikes and divergences.
  // Cells [128, 1000) with n_exc = 517: the 64-cell block 512..575 holds both populations (and the 16-cell block
  // 512..527 straddles them), and the last block, 992..999, is short.
  // Both configs: without adaptation (A1: both populations skip w, kAdapt = false) and with it on E (B3: E steps w,
  // I skips it, and the 64-cell block across n_exc takes the stepping that has w).
  const std::string config = GENERATE(std::string(kConfig), std::string("configs/cakan2020/network_adapt.toml"));
  const std::string integrator = GENERATE(std::string("euler"), std::string("heun"));
  INFO(config << ", integrator " << integrator);
  const auto p = testing::load_params(config, {"network.fraction.integrator=" + integrator});
  const auto m = engine::fraction_model::from(p.network, p.simulation.dt_ms, 11);
  constexpr std::uint32_t n = 1000, begin = 128, n_exc = 517;
  constexpr std::int64_t step = 123457;
  const float i_stim_exc = 35.0f, i_stim_inh = -12.5f;
  std::vector<float> v(n), w(n), se(n), si(n);
  std::vector<std::int32_t> ref(n);
  std::vector<std::uint16_t> ce(n), ci(n);
  std::uint32_t state = 12345;  // a fixed LCG: any spread of states will do, the comparison is exact
  auto next = [&state]() { return (state = state * 1664525u + 1013904223u) >> 8; };
  for (std::uint32_t i = 0; i < n; ++i) {
    v[i] = -75.0f + 37.0f * static_cast<float>(next()) * 0x1.0p-24f;  // some above V_cut = -40 mV: spikes
    // w is 0 in a population without adaptation (the network never moves it; fraction_update_cells relies on it).
    const engine::adex_params& cell = i < n_exc ? p.network.exc : p.network.inh;
    w[i] = cell.a_nS != 0.0 || cell.b_pA != 0.0 ? 100.0f * static_cast<float>(next()) * 0x1.0p-24f : 0.0f;
    se[i] = static_cast<float>(next()) * 0x1.0p-24f;
    si[i] = static_cast<float>(next()) * 0x1.0p-24f;
    ref[i] = next() % 5 == 0 ? static_cast<std::int32_t>(next() % 15) : 0;
    ce[i] = static_cast<std::uint16_t>(next() % 7 == 0 ? next() % 60 : next() % 3);  // some >= 32: the exp path
    ci[i] = static_cast<std::uint16_t>(next() % 3);
  }
  v[700] = std::nanf("");  // a diverged cell
  // The reference, on copies.
  auto rv = v, rw = w, rse = se, rsi = si;
  auto rref = ref;
  auto rce = ce, rci = ci;
  std::vector<float> normal(n);
  for (std::uint32_t i = begin; i < n; ++i)
    normal[i] = engine::philox_normal(m.noise_key, i, static_cast<std::uint64_t>(step), engine::kWhiteNoiseStream);
  std::vector<std::uint8_t> event(n, engine::kNoEvent);
  auto reference = [&](int pop, float i_stim, std::uint32_t b, std::uint32_t e) {
    const engine::adex_heun_view view{rv.data() + b, rw.data() + b, rse.data() + b, rsi.data() + b,
                                      rref.data() + b, event.data() + b, e - b};
    const engine::fraction_arrivals a{rce.data() + b, rci.data() + b, m.jump[pop][0].log_keep(),
                                      m.jump[pop][1].log_keep()};
    engine::adex_heun_step(m.cell[pop], i_stim, normal.data() + b, view, &a);
  };
  reference(0, i_stim_exc, begin, n_exc);
  reference(1, i_stim_inh, n_exc, n);
  std::vector<std::uint32_t> ref_ids;
  std::int64_t ref_exc = 0, ref_diverged = 0;
  for (std::uint32_t i = begin; i < n; ++i) {
    if (event[i] == engine::kSpiked) ref_ids.push_back(i), ref_exc += i < n_exc;
    ref_diverged += event[i] == engine::kDiverged;
  }
  // The fused pass.
  std::vector<std::uint32_t> ids(n);
  engine::update_out out{ids.data()};
  const engine::fraction_cells cells{v.data(), w.data(), se.data(), si.data(), ref.data(), ce.data(), ci.data()};
  engine::fraction_update_cells(m, n_exc, i_stim_exc, i_stim_inh, step, begin, n, cells, out);
  ids.resize(out.n_spikes);
  REQUIRE(ref_ids.size() > 10);  // the states above make spikes in both populations
  REQUIRE(ref_exc > 0);
  REQUIRE(ref_exc < static_cast<std::int64_t>(ref_ids.size()));
  CHECK(ids == ref_ids);
  CHECK(out.spikes_exc == ref_exc);
  CHECK(out.diverged == ref_diverged);
  CHECK(ref_diverged == 1);
  auto same_bits = [](const auto& a, const auto& b) {
    return std::memcmp(a.data(), b.data(), a.size() * sizeof a[0]) == 0;
  };
  CHECK(same_bits(v, rv));
  CHECK(same_bits(w, rw));
  CHECK(same_bits(se, rse));
  CHECK(same_bits(si, rsi));
  CHECK(same_bits(ref, rref));
  CHECK(same_bits(ce, rce));  // both cleared in [begin, n), untouched below
  CHECK(same_bits(ci, rci));
}

TEST_CASE("the free membrane under white noise is the Ornstein-Uhlenbeck process: stationary mean and variance",
          "[fraction][noise]") {
  // No spikes (V_T and the cut-off far above), no synapses, no adaptation: dV = ((E_L - V)/tau_m + mu) dt + sigma dW,
  // stationary mean E_L + mu tau_m and variance sigma^2 tau_m / 2 (Gardiner, Handbook of Stochastic Methods, 3.8.4).
  // The Heun scheme's stationary variance differs from it by O(dt / tau_m) = 0.5 %.
  engine::adex_params cell;
  cell.c_pF = 200;
  cell.g_l_nS = 10;  // tau_m = 20 ms
  cell.e_l_mV = -65;
  cell.v_t_mV = 100;
  cell.delta_t_mV = 1.5;
  cell.v_spike_mV = 200;
  cell.v_reset_mV = -70;
  cell.a_nS = 0;
  cell.b_pA = 0;
  cell.tau_w_ms = 200;
  cell.e_a_mV = -80;
  engine::fraction_network_params net;
  net.mu_exc_mV_per_ms = 0.25;        // mean shift 5 mV
  net.sigma_exc_mV_per_sqrt_ms = 1.5;  // the paper's sigma_ext: variance 22.5 mV^2
  const double dt = 0.1, tau_m = 20;
  const auto d = engine::adex_heun_derived::from(cell, net, engine::population::exc, dt);
  constexpr std::size_t n = 16384;
  std::vector<float> v(n, -65.0f), w(n, 0), se(n, 0), si(n, 0), normal(n);
  std::vector<std::int32_t> ref(n, 0);
  std::vector<std::uint8_t> spiked(n, 0);
  const engine::adex_heun_view view{v.data(), w.data(), se.data(), si.data(), ref.data(), spiked.data(), n};
  const auto key = engine::philox_key::from_seed(3);
  for (std::int64_t k = 0; k < 2000; ++k) {  // 200 ms = 10 tau_m: the initial condition has decayed by e^-10
    engine::philox_fill_normals(key, 0, n / 128, static_cast<std::uint64_t>(k), engine::kWhiteNoiseStream,
                                normal.data());
    engine::adex_heun_step(d, 0.0f, normal.data(), view);
  }
  double mean = 0, var = 0;
  for (const float x : v) mean += x / n;
  for (const float x : v) var += (x - mean) * (x - mean) / (n - 1);
  const double mean_ref = -65 + 0.25 * tau_m, var_ref = 1.5 * 1.5 * tau_m / 2;
  // Sampling errors over 16384 independent cells: mean 4.7 mV / 128 = 0.037 mV, variance sqrt(2/n) = 1.1 %.
  // Bounds: 4 standard errors (0.15 mV, 4.4 %) plus the scheme's 0.5 %.
  CHECK(mean == Approx(mean_ref).margin(0.15));
  CHECK(var == Approx(var_ref).epsilon(0.05));
  for (const auto flag : spiked) REQUIRE(flag == engine::kNoEvent);
}

TEST_CASE("on a linear ODE heun is second order (halving dt quarters the error) and euler first order",
          "[fraction][heun]") {
  // dV/dt = (E_L - V)/tau_m + mu, no noise, no spikes: V(t) = V_inf + (V0 - V_inf) exp(-t/tau_m), V_inf = E_L + mu
  // tau_m. tau_m = 5 ms and dt = 1, 0.5, 0.25 ms make the error far larger than float rounding.
  engine::adex_params cell;
  cell.c_pF = 50;
  cell.g_l_nS = 10;  // tau_m = 5 ms
  cell.e_l_mV = -65;
  cell.v_t_mV = 100;
  cell.v_spike_mV = 200;
  cell.delta_t_mV = 1.5;
  cell.a_nS = 0;
  cell.b_pA = 0;
  cell.e_a_mV = -80;
  engine::fraction_network_params net;
  net.mu_exc_mV_per_ms = 4.0;  // V_inf = -45 mV
  const double t_end = 8.0, v0 = -65, v_inf = -45, tau_m = 5;
  auto error_at = [&](double dt) {
    const auto d = engine::adex_heun_derived::from(cell, net, engine::population::exc, dt);
    float v = static_cast<float>(v0), w = 0, se = 0, si = 0, normal = 0;
    std::int32_t ref = 0;
    std::uint8_t spiked = 0;
    const engine::adex_heun_view view{&v, &w, &se, &si, &ref, &spiked, 1};
    for (int k = 0; k < static_cast<int>(std::lround(t_end / dt)); ++k) engine::adex_heun_step(d, 0.0f, &normal, view);
    return std::fabs(v - (v_inf + (v0 - v_inf) * std::exp(-t_end / tau_m)));
  };
  net.integrator = engine::fraction_integrator::heun;
  const double e1 = error_at(1.0), e2 = error_at(0.5), e3 = error_at(0.25);
  INFO("heun errors " << e1 << " " << e2 << " " << e3);
  CHECK(e1 / e2 == Approx(4).epsilon(0.15));
  CHECK(e2 / e3 == Approx(4).epsilon(0.15));
  net.integrator = engine::fraction_integrator::euler;
  const double f1 = error_at(1.0), f2 = error_at(0.5), f3 = error_at(0.25);
  INFO("euler errors " << f1 << " " << f2 << " " << f3);
  CHECK(f1 / f2 == Approx(2).epsilon(0.15));
  CHECK(f2 / f3 == Approx(2).epsilon(0.15));
}

TEST_CASE("fraction network configs refuse bad pathways", "[fraction][config]") {
  using Catch::Matchers::Contains;
  auto load = [](std::vector<std::string> sets) { return testing::load_params(kConfig, sets); };
  CHECK_NOTHROW(load({}));
  CHECK_THROWS_WITH(load({"network.n_neurons=1000", "network.fraction.k_ee=500"}), Contains("k_ee") && Contains("499"));
  CHECK_THROWS_WITH(load({"network.fraction.c_ei_mV_per_ms=4"}), Contains("c_ei_mV_per_ms"));
  CHECK_THROWS_WITH(load({"network.fraction.delay_ie_ms=4.05"}), Contains("delay_ie_ms") && Contains("whole number"));
  CHECK_THROWS_WITH(load({"network.fraction.k_xx=5"}), Contains("k_xx"));
  CHECK_THROWS_WITH(load({"network.fraction.integrator=rk4"}), Contains("integrator"));
  CHECK_THROWS_WITH(load({"network.p_connect=0.05"}), Contains("p_connect"));  // a conductance key: unknown here
  // e_a_mV belongs to the fraction cell only: the conductance network refuses it rather than ignore it.
  CHECK_THROWS_WITH(testing::load_params("configs/zerlaut2018_network.toml", {"network.exc.e_a_mV=-80"}),
                    Contains("e_a_mV"));
}
