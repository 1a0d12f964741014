#pragma once
// The lateral coupling of a ring of units (Zerlaut et al. 2018, Sec. 2.6): what unit x receives from one source
// population is the kernel-weighted, delayed rate of its neighbours,
//   r^lat(x, t) = sum_y k(x - y) r(y, t - back - |x - y| / v),   k Gaussian (sd l), cut at extent_sd sd and at
//                 half the ring, normalised to sum 1 (so a uniform, steady ring receives its own rate),
// with the distance delays |x - y| / v rounded to whole pushes (steps of the ring) and `back` a delay common to
// every distance (0 for the Zerlaut ring; the ALN units' own synaptic delay for the ring of ALN units). One
// object per source population. The ring's models use it: engine/meanfield/ring.hpp (Zerlaut units, float) and
// engine/aln/aln_ring.hpp (ALN units, double, so that a unit without neighbours is bit for bit the ALN node).
//
// The history is one padded row of rates per push (wrapped copies in the pads), so every distance is one
// vectorisable pass. On rings with more than eight units per kernel sd, the sources are box averages of a few units
// (ring_coupling.cpp, kMaxSpacingPerSd). Construction allocates everything; push() and lateral() are noexcept and
// allocation-free.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cortexloop::engine::meanfield {

template <class T>
class ring_coupling {
 public:
  // max_back: the largest `back` lateral() will be asked for (>= 1; the history keeps max_back + the largest
  // distance delay pushes). dt_ms: the time between pushes.
  ring_coupling(std::size_t n_units, double length_mm, double l_mm, double extent_sd, double velocity_mm_per_s,
                double dt_ms, std::int64_t max_back);

  // Fills the whole history with one rate (the past before the first push).
  void fill(T rate) noexcept;
  // This step's rates of the source population (n_units of them) become the latest entry of the history.
  void push(std::span<const T> rates) noexcept;
  // out[x] = sum_d k(d) [r(x + d) + r(x - d)] (d = 0 once), r read `back + delay(d)` pushes ago (back = 1: the
  // latest push). 1 <= back <= max_back.
  void lateral(std::int64_t back, std::span<T> out) const noexcept;

  std::size_t radius_units() const noexcept { return static_cast<std::size_t>(distance_.back()); }
  std::size_t terms() const noexcept { return weight_.size(); }
  std::size_t history_pushes() const noexcept { return history_; }
  std::span<const T> weights() const noexcept { return weight_; }
  std::span<const std::int32_t> distances_units() const noexcept { return distance_; }
  std::span<const std::int32_t> delays_steps() const noexcept { return delay_; }

 private:
  std::size_t slot(std::int64_t back) const noexcept;

  std::size_t n_;
  std::vector<T> weight_;
  std::vector<std::int32_t> distance_;  // units
  std::vector<std::int32_t> delay_;     // pushes
  std::size_t stride_ = 1;              // box width of the sources
  std::size_t pad_, row_, history_;     // history rows: [history_][row_ = n + 2 pad]
  std::vector<T> hist_;
  std::int64_t pushes_ = 0;
};

extern template class ring_coupling<float>;
extern template class ring_coupling<double>;

}  // namespace cortexloop::engine::meanfield
