#include "engine/noise/philox_normal.hpp"

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
                         random_stream stream, std::uint32_t* __restrict words, float* __restrict out) noexcept {
  const std::size_t n = n_groups * kPhiloxGroup;
  const std::uint32_t first_quad = first_group * static_cast<std::uint32_t>(kPhiloxGroup / 4);
  // Pass 1: the Philox words, word w of block j is neuron 4 j + w's.
  for (std::size_t j = 0; j < n / 4; ++j) {
    const philox_block r = philox4x32({{first_quad + static_cast<std::uint32_t>(j), static_cast<std::uint32_t>(step),
                                        static_cast<std::uint32_t>(step >> 32), static_cast<std::uint32_t>(stream)}},
                                      key);
    for (int w = 0; w < 4; ++w) words[4 * j + static_cast<std::size_t>(w)] = r.x[w];
  }
  // Pass 2: Box-Muller on pairs of words.
#pragma omp simd
  for (std::size_t p = 0; p < n / 2; ++p) philox_normal_detail::box_muller(words[2 * p], words[2 * p + 1], out[2 * p], out[2 * p + 1]);
}

}  // namespace cortexloop::engine
