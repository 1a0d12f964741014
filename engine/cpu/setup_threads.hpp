#pragma once
// Set-up work shared among threads (never used while stepping: the steps' threads are engine/network/workers.hpp).
#include <thread>
#include <vector>

namespace cortexloop::engine {

// Runs job(t) for t = 0 .. threads - 1, job(0) on the calling thread, and returns when all have.
template <class Job>
void run_threads(unsigned threads, Job job) {
  std::vector<std::jthread> others;
  others.reserve(threads > 0 ? threads - 1 : 0);
  for (unsigned t = 1; t < threads; ++t) others.emplace_back(job, t);
  job(0u);
}

}  // namespace cortexloop::engine
