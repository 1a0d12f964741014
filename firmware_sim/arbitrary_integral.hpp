#pragma once
// The charge of an arbitrary program over any interval in O(1) after an O(n_samples) set-up, for the static
// net-charge check (safety.cpp), which needs the charges of thousands of blocks of one program: integrated
// sample by sample (program_charge), 1 us samples made validate cost 0.1-0.4 s at the default 1 s window and
// seconds at a 60 s one, on the server's I/O thread (fuzz/README.md).
//
// How: the samples repeat with period n, so sums of s_j and of j s_j over any run of sample indices follow from
// prefix sums over one period; inside a piece where the ramp envelope is linear (between its knots),
// env(t) = e_a + beta (t - a) and the integral of s(t) env(t) is e_a-weighted and beta-weighted sums of those,
// taken relative to the piece's start so that no large time is squared. Equal to program_charge up to
// rounding (tests/test_device_safety.cpp compares them on random programs). noexcept, allocation-free.
#include <array>
#include <cstdint>

#include "firmware_sim/program.hpp"

namespace cortexloop::firmware_sim {

class arbitrary_integral {
 public:
  // p must be an arbitrary program and outlive this object.
  explicit arbitrary_integral(const program& p) noexcept;
  // program_charge(p, t0_us, t1_us), up to rounding.
  double charge(std::int64_t t0_us, std::int64_t t1_us) const noexcept;

 private:
  double sum0(std::int64_t x) const noexcept;  // sum over j in [0, x) of s_(j mod n)
  double sum1(std::int64_t x) const noexcept;  // sum over j in [0, x) of j s_(j mod n)
  // Integral of s(t) env(t) over [a, b) with env(t) = e_a + beta (t - a) there (0 <= a < b).
  double linear_piece(std::int64_t a, std::int64_t b, double e_a, double beta) const noexcept;

  const program& p_;
  std::int64_t n_ = 0, ts_ = 0;
  std::array<double, kMaxWaveformSamples + 1> prefix0_{}, prefix1_{};  // sums over j < r of s_j and j s_j
};

}  // namespace cortexloop::firmware_sim
