#include "engine/noise/philox_normal.hpp"

#include "engine/lanes16.hpp"
#include "engine/philox_lanes.hpp"

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
  // 64 neurons at a time: the 16 Philox blocks (first_quad + 0..15) in the lanes of four registers
  // (engine/philox_lanes.hpp), word w of lane l being neuron 4 l + w's; Box-Muller on the register pairs (words 0, 1)
  // and (2, 3); then a 4 x 16 transpose puts the normals in neuron order, n[w][l] -> out[4 l + w].
  using lanes::vf;
  using lanes::vi;
  const philox_round_keys keys(key);
  const auto step_lo = static_cast<std::uint32_t>(step), step_hi = static_cast<std::uint32_t>(step >> 32);
  const auto word3 = static_cast<std::uint32_t>(stream);
  const std::size_t n_quarters = n_groups * (kPhiloxGroup / 64);
  const std::uint32_t first_quad = first_group * static_cast<std::uint32_t>(kPhiloxGroup / 4);
  // Shuffle indices into the concatenation of two vectors (0..15 the first, 16..31 the second).
  const vi pairs_lo{0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23};
  const vi pairs_hi = pairs_lo + 8;
  const vi quads_lo{0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23};
  const vi quads_hi = quads_lo + 8;
  for (std::size_t q = 0; q < n_quarters; ++q) {
    const philox_lanes r = philox16(keys, first_quad + 16u * static_cast<std::uint32_t>(q), step_lo, step_hi, word3);
    vf n[4];
    philox_normal_detail::box_muller(r.x[0], r.x[1], n[0], n[1]);
    philox_normal_detail::box_muller(r.x[2], r.x[3], n[2], n[3]);
    // a = (n0[l], n1[l]) for l = 0..7 and 8..15, b the same of n2, n3; then (a pair, b pair) for four l at a time.
    const vf a_lo = lanes::permute2(n[0], n[1], pairs_lo), a_hi = lanes::permute2(n[0], n[1], pairs_hi);
    const vf b_lo = lanes::permute2(n[2], n[3], pairs_lo), b_hi = lanes::permute2(n[2], n[3], pairs_hi);
    float* o = out + 64 * q;
    lanes::store(o, lanes::permute2(a_lo, b_lo, quads_lo));       // neurons 0..15 (l = 0..3)
    lanes::store(o + 16, lanes::permute2(a_lo, b_lo, quads_hi));  // 16..31 (l = 4..7)
    lanes::store(o + 32, lanes::permute2(a_hi, b_hi, quads_lo));  // 32..47
    lanes::store(o + 48, lanes::permute2(a_hi, b_hi, quads_hi));  // 48..63
  }
}

}  // namespace cortexloop::engine
