#pragma once
// The simulated stimulator firmware. A fixed number of channels each run one stimulation program
// (DC, sine or pulse train) on one site: a whole population of the network, or a position on the ring of
// mean-field units (Gaussian in space). Every step the engine asks for the current of each site
// (engine::external_current_source). Programs are loaded between ticks by the real-time thread.
//
// Timing (all in integer steps; t = step * dt): a program loaded at step s0 with delay d starts at
// start = s0 + round(d / dt) and, with a duration D > 0, stops before start + round(D / dt). At a step k
// in [start, stop) the program's local time is tau = (k - start) * dt and its current is
//   DC          A
//   sine        A sin(2 pi f tau)
//   pulse train A        if (tau mod T) <  w                  (T = 1 / f; sampled at the step start)
//               -A       if biphasic and w <= (tau mod T) < 2w
//               0        otherwise
// so a pulse of width w covers round-up(w / dt) steps of each period.
// Construction allocates; everything else is noexcept and allocation-free.
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/external_current.hpp"
#include "engine/params.hpp"

namespace cortexloop::firmware_sim {

enum class waveform : std::uint8_t { dc, sine, pulse_train };
enum class site_kind : std::uint8_t { population, ring_position };

struct program {
  site_kind site = site_kind::population;
  engine::population population = engine::population::exc;
  double position_mm = 0.0;  // ring_position: centre on the ring, [0, ring length)
  double width_mm = 1.5;     // ring_position: Gaussian standard deviation
  waveform shape = waveform::dc;
  double amplitude_pA = 0.0;
  double frequency_Hz = 0.0;    // sine, pulse_train
  double pulse_width_ms = 0.0;  // pulse_train
  bool biphasic = false;        // pulse_train
  double delay_ms = 0.0;        // from the step at which the program is loaded
  double duration_ms = 0.0;     // 0: until replaced or cleared
};

// Limits the firmware accepts; the protocol documents the same numbers.
struct limits {
  static constexpr double max_abs_amplitude_pA = 5000.0;
  static constexpr double max_frequency_Hz = 1000.0;
  static constexpr double max_time_ms = 3.6e6;  // delay and duration: one hour
};

// Ring geometry the stimulator maps positions onto (n_units = 0: no ring).
struct ring_geometry {
  std::uint32_t n_units = 0;
  double length_mm = 36.0;
};

// Why a program cannot run, or an empty view when it can. The text names the field, value and range.
// `reason_buffer` holds the text (no allocation), so the result lives as long as the buffer.
using reason_buffer = std::array<char, 160>;
std::string_view validate(const program& p, const ring_geometry& ring, double dt_ms, reason_buffer& reason) noexcept;

class stimulator final : public engine::external_current_source {
 public:
  static constexpr std::size_t kChannels = 8;

  stimulator(double dt_ms, ring_geometry ring);

  // Loads a program on a channel, replacing what ran there; `now_step` is the first step the program may
  // affect (the engine's next step). The program must have passed validate().
  void load(std::size_t channel, const program& p, std::int64_t now_step) noexcept;
  void clear(std::size_t channel) noexcept;
  void clear_all() noexcept;
  bool active(std::size_t channel) const noexcept { return channels_[channel].loaded; }

  // Summed current of the population sites at this step, per cell.
  engine::population_currents currents_pA(std::int64_t step_index) noexcept override;
  // Currents of the ring's units at simulated time t_ms (sampled at the network step containing it), per unit
  // of each population (size ring.n_units; valid until the next call). A ring-position site feeds the units of
  // its `population` with its Gaussian profile; a population site feeds every unit of that population.
  engine::ring_currents ring_currents_pA(double t_ms) noexcept override;

  double dt_ms() const noexcept { return dt_ms_; }
  const ring_geometry& ring() const noexcept { return ring_; }

 private:
  struct channel_state {
    bool loaded = false;
    program p;
    std::int64_t start_step = 0, stop_step = 0;  // stop_step < 0: no end
    double period_ms = 0.0;
  };
  double value_at(const channel_state& c, std::int64_t step) const noexcept;

  double dt_ms_;
  ring_geometry ring_;
  std::array<channel_state, kChannels> channels_{};
  std::vector<float> profiles_;   // [kChannels][n_units]: Gaussian weight of each unit for ring programs
  std::vector<float> ring_exc_, ring_inh_;  // [n_units] each
};

}  // namespace cortexloop::firmware_sim
