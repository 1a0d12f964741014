#pragma once
// A fixed-size histogram of durations for percentiles on the real-time thread: 1 us bins up to 2 ms,
// 100 us bins up to 100 ms, one overflow bin; the exact maximum is kept aside. record() and the queries
// are noexcept and allocation-free.
#include <algorithm>
#include <array>
#include <cstdint>

namespace cortexloop::io {

class latency_histogram {
 public:
  void record(std::int64_t ns) noexcept {
    if (ns < 0) ns = 0;
    ++counts_[bin(ns)];
    ++n_;
    max_ns_ = std::max(max_ns_, ns);
  }
  void clear() noexcept {
    counts_.fill(0);
    n_ = 0;
    max_ns_ = 0;
  }
  std::uint64_t count() const noexcept { return n_; }
  double max_us() const noexcept { return static_cast<double>(max_ns_) / 1e3; }
  // Upper edge of the bin holding the q-quantile (0 < q <= 1), in us; the maximum if it is in the overflow.
  double percentile_us(double q) const noexcept {
    if (n_ == 0) return 0.0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(n_) + 0.5);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBins; ++i) {
      seen += counts_[i];
      if (seen >= std::max<std::uint64_t>(rank, 1)) return std::min(upper_us(i), max_us());
    }
    return max_us();
  }

 private:
  static constexpr std::int64_t kFineLimit_ns = 2'000'000, kCoarseLimit_ns = 100'000'000;
  static constexpr std::size_t kFine = 2000, kCoarse = 980, kBins = kFine + kCoarse + 1;
  static std::size_t bin(std::int64_t ns) noexcept {
    if (ns < kFineLimit_ns) return static_cast<std::size_t>(ns / 1000);
    if (ns < kCoarseLimit_ns) return kFine + static_cast<std::size_t>((ns - kFineLimit_ns) / 100'000);
    return kBins - 1;
  }
  static double upper_us(std::size_t i) noexcept {
    if (i < kFine) return static_cast<double>(i + 1);
    if (i < kFine + kCoarse) return 2000.0 + 100.0 * static_cast<double>(i - kFine + 1);
    return 1e300;
  }
  std::array<std::uint64_t, kBins> counts_{};
  std::uint64_t n_ = 0;
  std::int64_t max_ns_ = 0;
};

}  // namespace cortexloop::io
