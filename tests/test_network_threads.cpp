// The partitioned, multi-threaded network: one seed gives the same spikes and readouts, bit for bit, with 1, 2 and
// 3 worker threads (3 on this 2-core machine oversubscribes, which the barrier's yield must survive); stepping
// allocates nothing on any worker; partition bounds; the threads key of the config.
// Breaks tried, each failing here: the drive's Philox counter from the partition-local group index (spikes, readouts,
// V and w differ at 2 and 3 threads); a helper that grows a thread_local vector while stepping (8 allocations);
// worker 0 doing every partition (helper busy 0.28 ms against 18.6 ms); no range check on simulation.threads
// ("0" accepted). Not caught, and rightly: delivering the partitions' spikes in reverse order, since every
// synapse of a type has the same q (the order of equal float additions cannot change a sum); with heterogeneous
// weights the ascending order of deliver() is what keeps the sums bit-identical.
#include <catch2/catch.hpp>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <limits>
#include <thread>
#include <tuple>
#include <vector>

#include "alloc_counter.hpp"
#include "io/mpi/node_share.hpp"
#include "alloc_ticks.hpp"
#include "engine/network/workers.hpp"
#include "test_support.hpp"

using namespace cortexloop;

namespace {
struct run_record {
  std::vector<std::pair<std::int64_t, std::uint32_t>> spikes;
  std::vector<double> readouts;  // every double of every readout, in order
  std::vector<float> v_mV, w_pA;
  std::vector<float> s_exc, s_inh;  // fraction network only
};

// N = 2003: the exc/inh boundary (1602) and the end are not multiples of the SIMD block or of 64.
run_record run(unsigned threads, int ticks, std::vector<std::string> overrides = {},
               const char* config = "configs/zerlaut2018_network.toml") {
  overrides.emplace_back("network.n_neurons=2003");
  auto p = testing::load_params(config, overrides);
  p.simulation.threads = threads;  // the config would refuse 3 on a 2-core machine; the engine takes any count
  p.stimuli.push_back({engine::stimulus_kind::sine, engine::population::exc, 30.0, 0.0, 1e9, 9.0});
  engine::engine eng(p);
  REQUIRE(eng.net().n_partitions() == threads);
  eng.set_record_spikes(true);
  run_record out;
  engine::tick_readout r;
  for (int k = 0; k < ticks; ++k) {
    eng.tick(r);
    for (std::size_t i = 0; i < r.spike_steps.size(); ++i) out.spikes.emplace_back(r.spike_steps[i], r.spike_neurons[i]);
    for (const double x : {r.exc.rate_Hz, r.exc.mean_v_mV, r.exc.mean_w_pA, r.inh.rate_Hz, r.inh.mean_v_mV,
                           r.inh.mean_w_pA, r.lfp_proxy_nA, static_cast<double>(r.diverged)})
      out.readouts.push_back(x);
  }
  out.v_mV.assign(eng.net().v_mV().begin(), eng.net().v_mV().end());
  out.w_pA.assign(eng.net().w_pA().begin(), eng.net().w_pA().end());
  out.s_exc.assign(eng.net().s_exc().begin(), eng.net().s_exc().end());
  out.s_inh.assign(eng.net().s_inh().begin(), eng.net().s_inh().end());
  return out;
}

// Empty arrays (s_exc, s_inh outside the fraction network) are equal without memcmp, whose pointers may not be null
// even for 0 bytes (UBSan, CI run 96).
template <class T>
bool bit_identical(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}
// 200 ticks of the config with 1, then 2 and 3 threads: spikes, readouts and every state array the network has
// (w is 0 in a network of HH cells, s_exc and s_inh are empty outside the fraction network) equal to the bit.
void check_bit_identical_across_threads(const char* config) {
  const run_record one = run(1, 200, {}, config);
  REQUIRE(one.spikes.size() > 300);
  for (const unsigned threads : {2u, 3u}) {
    INFO(threads << " threads");
    const run_record many = run(threads, 200, {}, config);
    CHECK(many.spikes == one.spikes);
    CHECK(bit_identical(many.readouts, one.readouts));
    CHECK(bit_identical(many.v_mV, one.v_mV));
    CHECK(bit_identical(many.w_pA, one.w_pA));
    CHECK(bit_identical(many.s_exc, one.s_exc));
    CHECK(bit_identical(many.s_inh, one.s_inh));
  }
}
// 300 ticks of 4000 cells of the config on 2 workers: no allocation on any thread, and spikes.
void check_no_allocation_with_2_workers(const char* config) {
  auto p = testing::load_params(config, {"network.n_neurons=4000"});
  p.simulation.threads = 2;
  engine::engine eng(p);
  const auto counted = testing::count_tick_allocations(eng, 300);
  CHECK(counted.allocations == 0);
  CHECK(counted.spikes > 0);
}
}  // namespace

TEST_CASE("one seed gives bit-identical spikes and readouts with 1, 2 and 3 threads", "[network][threads]") {
  check_bit_identical_across_threads("configs/zerlaut2018_network.toml");
}

// The fraction-synapse network (Cakan & Obermayer 2020): delays, fraction synapses and white noise, with adaptation
// (B3 of configs/cakan2020/network_adapt.toml; A1 has no w to compare). N = 2003: n_exc = 1002, partition ends off the
// SIMD blocks. Breaks tried: the noise counter from the partition-local cell index ((begin - begin_) in the fill):
// spikes, readouts, V, w and both s differ at 2 and 3 threads; before the fraction kernels were compiled with
// -ffp-contract=off, V and the readouts differed at 3 threads (a cell in a vector body or a scalar remainder).
TEST_CASE("the fraction network is bit-identical with 1, 2 and 3 threads", "[network][threads][fraction]") {
  check_bit_identical_across_threads("configs/cakan2020/network_adapt.toml");
}

// The network of Hodgkin-Huxley cells (Carlu et al. 2020, configs/carlu2020/network.toml): its own kernel
// (engine/network/hh_update.cpp) in whole and partial blocks, the drive's draws a chunk at a time. N = 2003 as above.
// Break tried: the drive's draws filled from the chunk's partition-local group (chunk - begin instead of chunk):
// spikes, readouts and V differ at 2 and 3 threads.
TEST_CASE("the HH network is bit-identical with 1, 2 and 3 threads", "[network][threads][hh]") {
  check_bit_identical_across_threads("configs/carlu2020/network.toml");
}

// Break tried: a thread_local vector grown once per update in hh_update_cells (16 allocations counted).
TEST_CASE("stepping the HH network with 2 workers allocates nothing", "[alloc][threads][hh]") {
  check_no_allocation_with_2_workers("configs/carlu2020/network.toml");
}

// The one-barrier step (engine/network/network.hpp, step()): a step's spikes reach the conductances in the next step's
// phase or in settle(). Reference for settle(): Brian2's on_pre rule g += q, applied here by hand from the synapse
// table's rows to a copy of G taken before settle(), one float addition per synapse in ascending source order, as
// deliver() adds them: each cell's G must match to the bit. And settling after every step must change no later spike, V
// or w (the next step would otherwise deliver the same spikes again). Breaks tried, each failing at the G comparison:
// settle() leaving its delivery pending (the second, no-op settle() delivers the spikes again); settle() reading
// the other spike buffer (the step before's spikes).
TEST_CASE("settle() delivers the last step's spikes once, as g += q per synapse, and changes no later step",
          "[network][threads]") {
  auto p = testing::load_params("configs/zerlaut2018_network.toml", {"network.n_neurons=2003"});
  auto run_net = [&](bool settle_each_step) {
    engine::network net(p.network, p.simulation.dt_ms, p.simulation.seed, 2);
    engine::network_counts counts;
    std::vector<std::uint32_t> spikes;
    std::int64_t checked_steps = 0, checked_exc_steps = 0;
    for (std::int64_t k = 0; k < 3000; ++k) {
      net.step(k, 0.0f, 0.0f, counts);
      std::vector<std::uint32_t> now;
      net.for_each_new_spike([&](std::int64_t, std::uint32_t i) { now.push_back(i); });
      spikes.insert(spikes.end(), now.begin(), now.end());
      if (!settle_each_step) continue;
      auto copy = [](std::span<const float> g) { return std::vector<float>(g.begin(), g.end()); };
      std::vector<float> g[2] = {copy(net.g_exc_nS()), copy(net.g_inh_nS())};
      const float q[2] = {static_cast<float>(p.network.q_exc_nS), static_cast<float>(p.network.q_inh_nS)};
      for (const engine::partition& part : net.partitions())
        for (const std::uint32_t pre : now)
          part.for_each_target(pre, [&](std::uint32_t local) {
            g[pre < net.n_exc() ? 0 : 1][part.begin() + local] += q[pre < net.n_exc() ? 0 : 1];
          });
      const bool exc_spike = !now.empty() && now.front() < net.n_exc();
      const bool changed = g[0] != copy(net.g_exc_nS()) || g[1] != copy(net.g_inh_nS());
      net.settle();
      net.settle();  // nothing left to deliver: a no-op
      if (now.empty()) continue;
      ++checked_steps;
      checked_exc_steps += exc_spike;
      INFO("step " << k);
      REQUIRE(changed);
      REQUIRE(bit_identical(copy(net.g_exc_nS()), g[0]));
      REQUIRE(bit_identical(copy(net.g_inh_nS()), g[1]));
    }
    if (settle_each_step) CHECK((checked_steps > 100 && checked_exc_steps > 30));
    return std::make_tuple(spikes, std::vector<float>(net.v_mV().begin(), net.v_mV().end()),
                           std::vector<float>(net.w_pA().begin(), net.w_pA().end()));
  };
  const auto plain = run_net(false), settled = run_net(true);
  REQUIRE(std::get<0>(plain).size() > 100);
  CHECK(std::get<0>(settled) == std::get<0>(plain));
  CHECK(bit_identical(std::get<1>(settled), std::get<1>(plain)));
  CHECK(bit_identical(std::get<2>(settled), std::get<2>(plain)));
}

TEST_CASE("stepping the fraction network with 2 workers allocates nothing", "[alloc][threads][fraction]") {
  check_no_allocation_with_2_workers("configs/cakan2020/network_adapt.toml");
}

TEST_CASE("the afferent stream is bit-identical across thread counts too", "[network][threads]") {
  auto run_afferent = [](unsigned threads) {
    auto p = testing::load_params("configs/zerlaut2018_network.toml", {"network.n_neurons=2003"});
    p.simulation.threads = threads;
    engine::network net(p.network, p.simulation.dt_ms, p.simulation.seed, threads);
    net.set_afferent_rate_Hz(3.0);
    engine::network_counts counts;
    std::vector<std::uint32_t> spikes;
    for (std::int64_t k = 0; k < 3000; ++k) {
      net.step(k, 0.0f, 0.0f, counts);
      net.for_each_new_spike([&](std::int64_t, std::uint32_t i) { spikes.push_back(i); });
    }
    return std::make_pair(spikes, std::vector<float>(net.v_mV().begin(), net.v_mV().end()));
  };
  const auto one = run_afferent(1), two = run_afferent(2);
  REQUIRE(one.first.size() > 100);
  CHECK(two.first == one.first);
  CHECK(bit_identical(two.second, one.second));
}

TEST_CASE("stepping with 2 workers allocates nothing on any thread, and both workers step", "[alloc][threads]") {
  auto p = testing::load_params("configs/default.toml");
  p.simulation.threads = 2;
  engine::engine eng(p);
  eng.set_record_spikes(true);
  engine::tick_readout r;
  eng.tick(r);  // the first tick is part of start-up
  auto& workers = const_cast<engine::network&>(eng.net()).workers();
  workers.reset_busy();
  testing::allocation_scope scope;  // counts the allocations of every thread of the process
  std::int64_t spikes = 0;
  for (int k = 0; k < 300; ++k) {
    eng.tick(r);
    eng.set_drive_rate_Hz(k < 150 ? 4.0 : 6.0);
    spikes += static_cast<std::int64_t>(r.spike_neurons.size());
  }
  CHECK(scope.allocations() == 0);
  CHECK(spikes > 0);
  // Each worker did its share: 5000 of the 10000 cells, so its busy time is well above zero.
  CHECK(workers.busy_ns(0) > 0);
  CHECK(workers.busy_ns(1) > workers.busy_ns(0) / 4);
}

TEST_CASE("parked helpers block until unpark, then run every phase again", "[threads]") {
  // An idle helper would block by itself after its yields: here it never does, so only park() can block it.
  // Break tried: park() a no-op (helpers keep spinning and yielding) -> no helper is ever seen blocked.
  engine::worker_pool pool(2, -1, std::numeric_limits<int>::max() / 2);
  struct marks {
    std::atomic<int> seen[2] = {0, 0};
  } m;
  auto mark = [](void* context, unsigned w) noexcept { static_cast<marks*>(context)->seen[w].fetch_add(1); };
  pool.run(mark, &m);
  pool.park();
  bool blocked = false;
  for (int k = 0; k < 2000 && !blocked; ++k) {  // up to 2 s on a loaded machine
    blocked = pool.blocked_helpers() == 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(blocked);
  pool.unpark();
  CHECK(pool.blocked_helpers() == 0);
  pool.run(mark, &m);
  CHECK(m.seen[0] == 2);
  CHECK(m.seen[1] == 2);
}

TEST_CASE("a caller that pins itself first still gets its helper on the next CPU", "[threads]") {
  // simulate pins worker 0 (its own thread) and places the helpers; with the pinning first, the CPUs read from the
  // caller's affinity were only its own, and the helper went onto worker 0's CPU (seen under clang, which evaluated
  // the two calls in that order). Reference: the kernel's affinity of each thread (sched_getaffinity).
  // Break tried: place() reading the calling thread's affinity again -> the helper reports cpus[0].
  cpu_set_t before;
  REQUIRE(sched_getaffinity(0, sizeof before, &before) == 0);
  const std::vector<int> cpus = engine::allowed_cpus();
  if (cpus.size() < 2) {  // one usable CPU: nothing to keep apart; said, not passed silently
    WARN("skipped: one usable CPU, no helper CPU to check");
    return;
  }
  engine::worker_pool pool(2);
  cpu_set_t only_first;
  CPU_ZERO(&only_first);
  CPU_SET(cpus[0], &only_first);
  REQUIRE(sched_setaffinity(0, sizeof only_first, &only_first) == 0);
  CHECK(pool.place(cpus[0]) == 0);
  struct seen {
    int helper_cpus = -1;  // the helper's single allowed CPU, or -2 for more than one
  } s;
  pool.run(
      [](void* context, unsigned w) noexcept {
        if (w != 1) return;
        cpu_set_t mine;
        CPU_ZERO(&mine);
        if (sched_getaffinity(0, sizeof mine, &mine) != 0) return;
        for (int c = 0; c < CPU_SETSIZE; ++c)
          if (CPU_ISSET(c, &mine)) static_cast<seen*>(context)->helper_cpus = CPU_COUNT(&mine) == 1 ? c : -2;
      },
      &s);
  REQUIRE(sched_setaffinity(0, sizeof before, &before) == 0);  // the rest of the tests run unpinned
  CHECK(s.helper_cpus == cpus[1]);
}

TEST_CASE("a pool made on a thread that narrowed its affinity places its helpers as one made on the main thread",
          "[threads]") {
  // serve builds a Reset's engine on a thread kept off the real-time thread's CPU (io_thread.cpp); its pool read
  // its CPUs from that thread, so the new engine's helper went elsewhere than the first engine's. Reference: the
  // kernel's affinity of the helper (sched_getaffinity), against the placement of a pool made on this thread.
  // Break tried: cpus_ from allowed_cpus() (the calling thread's) -> the helper reports cpus[0], not cpus[1].
  const std::vector<int> cpus = engine::allowed_cpus();
  if (cpus.size() < 2) {
    WARN("skipped: one usable CPU, no helper CPU to check");
    return;
  }
  int helper_cpu = -1;
  std::thread narrowed([&] {
    cpu_set_t only_first;
    CPU_ZERO(&only_first);
    CPU_SET(cpus[0], &only_first);
    if (sched_setaffinity(0, sizeof only_first, &only_first) != 0) return;
    engine::worker_pool pool(2);
    if (pool.place(cpus[0]) != 0) return;
    pool.run(
        [](void* context, unsigned w) noexcept {
          cpu_set_t mine;
          CPU_ZERO(&mine);
          if (w != 1 || sched_getaffinity(0, sizeof mine, &mine) != 0 || CPU_COUNT(&mine) != 1) return;
          for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &mine)) *static_cast<int*>(context) = c;
        },
        &helper_cpu);
  });
  narrowed.join();
  CHECK(helper_cpu == cpus[1]);
}

TEST_CASE("partition bounds are aligned and cover the network in near-equal parts", "[network][threads]") {
  for (const std::uint32_t n : {0u, 1u, 100u, 2003u, 10000u, 100000u})
    for (const unsigned parts : {1u, 2u, 3u, 4u}) {
      INFO(n << " cells, " << parts << " parts");
      const auto b = engine::partition_bounds(n, parts);
      REQUIRE(b.size() == parts + 1);
      CHECK(b.front() == 0);
      CHECK(b.back() == n);
      for (unsigned k = 0; k < parts; ++k) {
        CHECK(b[k] <= b[k + 1]);
        if (b[k + 1] != n) CHECK(b[k + 1] % engine::kPartitionAlign == 0);
        CHECK(b[k + 1] - b[k] <= n / parts + engine::kPartitionAlign);
      }
    }
}

TEST_CASE("simulation.threads is refused below 1 and above the usable CPUs, naming the key", "[config][threads]") {
  const auto cpus = engine::usable_cpus();
  for (const std::string& bad : std::vector<std::string>{"0", "-1", std::to_string(cpus + 1), "1.5", "\"two\""}) {
    INFO("threads = " << bad);
    try {
      testing::load_params("configs/zerlaut2018_network.toml", {"simulation.threads=" + bad});
      FAIL("accepted");
    } catch (const io::config_error& e) {
      CHECK_THAT(e.what(), Catch::Contains("simulation.threads"));
    }
  }
  CHECK(testing::load_params("configs/zerlaut2018_network.toml", {"simulation.threads=" + std::to_string(cpus)})
            .simulation.threads == cpus);
  // Optional: configs and recordings from before the key load with one worker.
  std::string text = io::resolved_config_text(testing::source_path("configs/zerlaut2018_network.toml"));
  const auto line = text.find("threads");
  REQUIRE(line != std::string::npos);
  text.erase(line, text.find('\n', line) - line);
  CHECK(io::parse_config(text, "without threads").simulation.threads == 1);
}

// mpirun's ranks on one machine that may use the same CPUs share them (tools/simulate_command.cpp, mpi_placement: rank
// i of a set of K takes its workers from the (i x threads)-th CPU of the set on). This 2-core machine's mpirun binds
// can only give every rank all CPUs (--bind-to none) or one each (--bind-to core), so the grouping is checked on
// masks written here. Reference: the masks' own sets, counted by hand. Breaks tried: every rank counted in the set
// (the mask comparison removed) -> the --bind-to core and socket cases fail; the index counting ranks after this one
// -> the index checks fail.
TEST_CASE("node_share groups the ranks allowed the same CPUs, in rank order", "[threads][mpi]") {
  using cortexloop::io::node_share;
  using cortexloop::io::share_among;
  const auto share = [](std::vector<std::uint64_t> masks, std::size_t words, int rank) {
    const node_share s = share_among(masks, words, rank);
    return std::pair{s.same_set_ranks, s.same_set_index};
  };
  // --bind-to none: three ranks, each allowed CPUs 0 and 1.
  for (int r = 0; r < 3; ++r) CHECK(share({0b11, 0b11, 0b11}, 1, r) == std::pair{3, r});
  // --bind-to core: a CPU each.
  CHECK(share({0b01, 0b10}, 1, 0) == std::pair{1, 0});
  CHECK(share({0b01, 0b10}, 1, 1) == std::pair{1, 0});
  // --bind-to socket, ranks placed round-robin on two sockets of two CPUs: sets {0, 2} and {1, 3}.
  const std::vector<std::uint64_t> sockets = {0b0011, 0b1100, 0b0011, 0b1100};
  CHECK(share(sockets, 1, 0) == std::pair{2, 0});
  CHECK(share(sockets, 1, 1) == std::pair{2, 0});
  CHECK(share(sockets, 1, 2) == std::pair{2, 1});
  CHECK(share(sockets, 1, 3) == std::pair{2, 1});
  // Masks of two words that differ only in the second (CPU 64 against CPU 65): not the same set.
  CHECK(share({1, 1, 1, 2}, 2, 1) == std::pair{1, 0});
  CHECK(share({1, 1, 1, 1}, 2, 1) == std::pair{2, 1});
}
