#include "engine/random/philox_normal.hpp"

#include "engine/cpu/lanes16.hpp"
#include "engine/random/philox_lanes.hpp"

// As in lanes16.hpp: the 64-byte vectors below live in always-inlined code and local variables only.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace cortexloop::engine {

void philox_normal4(philox_key key, std::uint32_t quad, std::uint64_t step, random_stream stream, float out[4]) noexcept {
  const philox_block r = philox4x32(
      {{quad, static_cast<std::uint32_t>(step), static_cast<std::uint32_t>(step >> 32), static_cast<std::uint32_t>(stream)}},
      key);
  philox_normal_detail::box_muller(r.x[0], r.x[1], out[0], out[1]);
  philox_normal_detail::box_muller(r.x[2], r.x[3], out[2], out[3]);
}

float philox_normal(philox_key key, std::uint32_t neuron, std::uint64_t step, random_stream stream) noexcept {
  float four[4];
  philox_normal4(key, neuron / 4u, step, stream, four);
  return four[neuron % 4u];
}

void philox_fill_normals(philox_key key, std::uint32_t first_group, std::size_t n_groups, std::uint64_t step,
                         random_stream stream, float* __restrict out) noexcept {
  // 64 neurons at a time (philox_normals64), in 16-lane vectors.
  const philox_round_keys keys(key);
  const auto step_lo = static_cast<std::uint32_t>(step), step_hi = static_cast<std::uint32_t>(step >> 32);
  const auto word3 = static_cast<std::uint32_t>(stream);
  const std::size_t n_quarters = n_groups * (kPhiloxGroup / 64);
  const std::uint32_t first_quad = first_group * static_cast<std::uint32_t>(kPhiloxGroup / 4);
  for (std::size_t q = 0; q < n_quarters; ++q) {
    lanes::vf n[4];
    philox_normals64(keys, first_quad + 16u * static_cast<std::uint32_t>(q), step_lo, step_hi, word3, n);
    for (unsigned k = 0; k < 4; ++k) lanes::store(out + 64 * q + 16 * k, n[k]);
  }
}

}  // namespace cortexloop::engine
