#pragma once
// A line on stderr before a large network's set-up and one after it: drawing and sorting 10^8 synapses takes
// seconds (bench/README.md, "Set-up on every usable CPU"), which a silent terminal does not explain. Smaller
// networks start within a second and stay silent.
#include <chrono>
#include <cstdio>

#include "engine/params.hpp"

namespace cortexloop::tools {

class setup_notice {
 public:
  // From this many synapses the set-up takes about a second or more (100k cells at in-degree 500: 0.85-1.25 s).
  static constexpr double kMinSynapses = 5e7;
  setup_notice(const char* name, const engine::network_params& p, bool quiet)
      : name_(name), shown_(!quiet && p.n_neurons > 0 && p.expected_synapses() >= kMinSynapses) {
    if (!shown_) return;
    std::fprintf(stderr, "%s: building %lld cells and ~%.3g synapses (set-up takes seconds at this size)\n", name_,
                 static_cast<long long>(p.n_neurons), p.expected_synapses());
    std::fflush(stderr);
  }
  void done() {
    if (!shown_) return;
    std::fprintf(stderr, "%s: set-up took %.2f s\n", name_,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    shown_ = false;
  }

 private:
  const char* name_;
  bool shown_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace cortexloop::tools
