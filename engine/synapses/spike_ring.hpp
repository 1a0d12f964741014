#pragma once
// Transmission delays as a ring of the last D steps' spikes (D = longest delay + 1): the spikes of step k are kept
// until step k + D - 1, and a pathway with a delay of d steps (d < D) delivers, in step j, the spikes of step j - d.
// Why spikes and not arrival counts per future step: a ring of counts (D slots x cells) is megabytes, and each
// spike's ~1000 increments landed in a slot last touched D steps earlier, out of the caches; here the counts are one
// array for the coming step, which stays in cache, and the ring holds only ids (tens per step). Sized once (a slot
// holds all N cells' spikes); recording and reading allocate nothing.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cortexloop::engine {

class spike_ring {
 public:
  spike_ring() = default;
  spike_ring(std::uint32_t slots, std::uint32_t capacity)
      : slots_(slots), capacity_(capacity), ids_(static_cast<std::size_t>(slots) * capacity),
        sizes_(slots, 0), steps_(slots, -1) {}

  std::uint32_t slots() const noexcept { return slots_; }
  // Starts the record of step k, replacing that of step k - D.
  void start(std::int64_t step) noexcept {
    const std::uint32_t slot = slot_of(step);
    sizes_[slot] = 0;
    steps_[slot] = step;
  }
  // Appends spikes of the step last started (ascending ids, after those appended before).
  void append(std::int64_t step, std::span<const std::uint32_t> spikes) noexcept {
    const std::uint32_t slot = slot_of(step);
    std::uint32_t* out = ids_.data() + static_cast<std::size_t>(slot) * capacity_ + sizes_[slot];
    for (const std::uint32_t id : spikes) *out++ = id;
    sizes_[slot] += static_cast<std::uint32_t>(spikes.size());
  }
  // The spikes of step k, empty if k was not recorded or has left the ring (k < 0, k <= last step - D).
  std::span<const std::uint32_t> at(std::int64_t step) const noexcept {
    if (step < 0) return {};
    const std::uint32_t slot = slot_of(step);
    if (steps_[slot] != step) return {};
    return {ids_.data() + static_cast<std::size_t>(slot) * capacity_, sizes_[slot]};
  }

 private:
  std::uint32_t slot_of(std::int64_t step) const noexcept {
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(step) % slots_);
  }
  std::uint32_t slots_ = 0, capacity_ = 0;
  std::vector<std::uint32_t> ids_;     // slot s: ids_[s capacity, s capacity + sizes_[s])
  std::vector<std::uint32_t> sizes_;
  std::vector<std::int64_t> steps_;    // the step each slot holds, -1 none
};

}  // namespace cortexloop::engine
