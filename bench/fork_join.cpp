// What does one phase hand-out and barrier of the worker pool cost with nothing to do? worker_pool::run of an empty
// task, 2 workers, 200,000 times after 100,000 to warm up; p50 / p90 / p99 of each call's wall time. A 100k tick
// has 12 such phases (10 steps, the settle and the readout sums; bench/README.md, "100k, sixth pass").
//
//   chrt -f 10 build/bench/fork_join
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "engine/network/workers.hpp"

int main(int argc, char** argv) {
  if (argc > 1) {  // it takes no options: say so rather than run on what was asked
    std::printf("fork_join: no options. What one empty phase of a 2-worker pool costs: p50 / p90 / p99 of 200,000 "
                "calls (bench/README.md, \"100k, sixth pass\"); run e.g. `chrt -f 10 build/bench/fork_join`\n");
    return std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ? 0 : 2;
  }
  using cortexloop::engine::worker_pool;
  worker_pool pool(2);
  auto empty = [](void*, unsigned) noexcept {};
  for (int i = 0; i < 100000; ++i) pool.run(empty, nullptr);
  std::vector<double> ns;
  ns.reserve(200000);
  for (int i = 0; i < 200000; ++i) {
    const auto start = std::chrono::steady_clock::now();
    pool.run(empty, nullptr);
    ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ns.begin(), ns.end());
  std::printf("run(empty) p50 %.0f ns p90 %.0f p99 %.0f\n", ns[ns.size() / 2], ns[ns.size() * 9 / 10],
              ns[ns.size() * 99 / 100]);
  return 0;
}
