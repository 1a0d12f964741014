#pragma once
// Transmission delays as a ring of arrival counts: for each of D slots, each channel (presynaptic population) and
// each local cell, how many spikes arrive at that cell in the step the slot stands for. A spike emitted at step k
// with a delay of d steps (d < D) is counted in slot (k + d) mod D; in step k the counts of slot k mod D are
// applied and cleared. The ring is sized once (D = longest delay + 1); adding and applying allocate nothing.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cortexloop::engine {

class delay_ring {
 public:
  delay_ring() = default;
  delay_ring(std::uint32_t slots, std::uint32_t channels, std::uint32_t cells)
      : slots_(slots), channels_(channels), cells_(cells),
        counts_(static_cast<std::size_t>(slots) * channels * cells, 0) {}

  std::uint32_t slots() const noexcept { return slots_; }
  std::uint32_t slot_of(std::int64_t step) const noexcept {
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(step) % slots_);
  }
  // The counts of one slot and channel, one per local cell.
  std::uint16_t* row(std::uint32_t slot, std::uint32_t channel) noexcept {
    return counts_.data() + (static_cast<std::size_t>(slot) * channels_ + channel) * cells_;
  }
  bool empty() const noexcept { return slots_ == 0; }

 private:
  std::uint32_t slots_ = 0, channels_ = 0, cells_ = 0;
  // uint16: a cell's arrivals from one population in one step are at most its in-degree, checked at load < 65536.
  std::vector<std::uint16_t> counts_;
};

}  // namespace cortexloop::engine
