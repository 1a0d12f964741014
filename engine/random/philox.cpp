#include "engine/random/philox.hpp"

#include "engine/random/philox_lanes.hpp"

namespace cortexloop::engine {

void philox_fill_groups(philox_key key, std::uint32_t first_group, std::size_t n_groups, std::uint64_t step,
                        random_stream stream, std::uint16_t* out) noexcept {
  const philox_round_keys rk(key);
  const auto step_lo = static_cast<std::uint32_t>(step), step_hi = static_cast<std::uint32_t>(step >> 32);
  for (std::size_t g = 0; g < n_groups; ++g) {
    const philox_lanes r =
        philox16(rk, (first_group + static_cast<std::uint32_t>(g)) * 16u, step_lo, step_hi, static_cast<std::uint32_t>(stream));
    for (unsigned j = 0; j < 8; ++j)
      lanes::store(out + g * kPhiloxGroup + 16 * j, __builtin_convertvector(philox_draws16(r, j), lanes::vu16));
  }
}

}  // namespace cortexloop::engine
