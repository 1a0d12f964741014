// A closed loop around the ALN node (issue 11, docs/closed_loop.md): the simulated device senses the node's E rate
// (signal aln_rate_exc) and a PI clamp of firmware_sim holds it at a target with a population current. The
// references: the ALN model stepped alone, open loop, with the currents the device delivered (exact), and the
// behaviour of an integral controller on a static plant r = f(I) (steady error 0, the open-loop current f^-1(target),
// exponential approach at the rate ki f'(I*)). And the config refuses ALN signals without the node, and network
// signals with only the node.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/aln/aln_model.hpp"
#include "engine/engine.hpp"
#include "firmware_sim/device.hpp"
#include "io/aln_cache/engine_table.hpp"
#include "io/config/config_loader.hpp"
#include "test_support.hpp"

using namespace cortexloop;
namespace fw = firmware_sim;

namespace {

constexpr const char* kConfig = "configs/cakan2020/aln_closed_loop.toml";

// Forwards to the device and keeps every step's population currents: what the ALN node received.
class recording_source final : public engine::external_current_source {
 public:
  explicit recording_source(fw::device& dev) : dev_(dev) {}
  engine::population_currents currents_pA(std::int64_t step) noexcept override {
    const engine::population_currents c = dev_.currents_pA(step);
    exc_pA.push_back(c.exc_pA);  // reserved: see the test
    inh_pA.push_back(c.inh_pA);
    return c;
  }
  void observe(const engine::step_signals& s) noexcept override { dev_.observe(s); }
  std::vector<float> exc_pA, inh_pA;

 private:
  fw::device& dev_;
};

// The ALN node's E rate after 3 s of a DC current onto E, open loop (the A1 node settles within 0.5 s:
// test_aln_engine's check_a1_step_response).
double open_loop_rate_Hz(const engine::engine_params& p, double i_pA) {
  engine::aln::aln_model node(p.aln->model, *p.aln->table, p.simulation.dt_ms);
  for (int k = 0; k < 30'000; ++k) node.step(i_pA, 0.0);
  return node.rate_e_Hz();
}

}  // namespace

// Target 0.45 Hz at A1 (0.31 Hz without current, 0.556 Hz at 20 pA: test_aln_engine; at 40 pA it cycles).
// A pure integral clamp, u = ki int(target - r) dt, on a plant whose rate follows the current within tens of ms,
// while the loop's time constant 1 / (ki f'(I*)) is about 0.2 s: the plant is static for the loop, so
//   - the steady error is 0: the mean sensed rate of the last second is the target within 2 mHz (13 ADC steps of
//     0.15 mHz; the clamp dithers by a step or two);
//   - the steady current is I* = f^-1(target) of the open-loop model (bisection), within 0.05 pA (0.6 mHz of rate at
//     f'(I*) = 0.012 Hz/pA);
//   - |I - I*| decays as exp(-ki f'(I*) t): the ratio from 1.6 s to 2.0 s within 5 % of that prediction (measured
//     0.1443 against 0.1392: f is curved between I(1.6 s) = 11.27 pA and I* = 11.93 pA), and within 1.5 % of the
//     same static plant integrated without the linearisation, dI/dt = ki (target - f(I)) with f from 9 open-loop
//     points (0.1448: 0.3 % off, what is left being the plant's lag of a few ms and the 1 kHz sampling);
// and the node's every tick equals the model stepped alone with the recorded currents (exact: same operations).
// Seen to fail: with device::observe feeding the node's I rate as aln_rate_exc (above the target), the clamp sits at
// output_min = 0: sensed mean off by 3.7 Hz, I at 0 against I* = 11.93 pA, decay ratio 1; the exact replay still
// passes (it checks the path from the device to the node, not what is sensed). And with the clamp's ki 2 % low
// (392 per Hz s), which passed the earlier 10 % bound on the linear prediction: measured 0.1502, 3.7 % off the
// integrated static plant.
TEST_CASE("a PI clamp on the sensed ALN E rate holds it at its target with the open-loop current f^-1(target)",
          "[aln][device][closed_loop]") {
  engine::engine_params p = testing::load_params(kConfig);
  io::attach_aln_table(p, true);
  fw::device_params d = io::load_device_config(testing::source_path(kConfig), {}, p);
  REQUIRE(d.sensing.size() == 2);
  REQUIRE(d.sensing[0].signal == fw::signal_kind::aln_rate_exc);
  fw::device dev(d);
  engine::engine eng(p);
  recording_source rec(dev);
  constexpr int kTicks = 5000;  // ms
  rec.exc_pA.reserve(kTicks * 10);
  rec.inh_pA.reserve(kTicks * 10);
  eng.set_external_current(&rec);

  constexpr double kTarget_Hz = 0.45, kKi_pA_per_Hz_s = 400.0;
  constexpr std::int64_t kStartStep = 10'000;  // 1 s: A1 has settled
  fw::controller_params c;
  c.kind = fw::controller_kind::pi_clamp;
  c.sensing_channel = 0;
  c.feature = fw::feature_kind::raw;
  c.output_channel = 0;
  c.output_site.kind = fw::site_kind::population;
  c.output_site.population = engine::population::exc;
  c.output_program.shape = fw::waveform::dc;
  c.target = kTarget_Hz;
  c.kp = 0.0;
  c.ki_per_s = kKi_pA_per_Hz_s;
  c.output_min = 0.0;
  c.output_max = 25.0;
  dev.set_controller(0, c, kStartStep);

  engine::tick_readout r;
  std::vector<double> rate_e, rate_i;
  double sensed_sum = 0;
  int sensed_n = 0;
  for (int t = 0; t < kTicks; ++t) {
    eng.tick(r);
    REQUIRE(r.aln.present);
    rate_e.push_back(r.aln.rate_e_Hz);
    rate_i.push_back(r.aln.rate_i_Hz);
    if (t >= 4000) {  // the sample of the tick's last step (1 kHz = one sample per 1 ms tick)
      sensed_sum += dev.sensing()[0].last().raw;
      ++sensed_n;
    }
  }
  REQUIRE(rec.exc_pA.size() == static_cast<std::size_t>(kTicks) * 10);

  // Exact: the model alone, open loop, with the delivered currents.
  {
    engine::aln::aln_model alone(p.aln->model, *p.aln->table, p.simulation.dt_ms);
    std::size_t k = 0;
    for (int t = 0; t < kTicks; ++t) {
      double e = 0, i = 0;
      for (int s = 0; s < 10; ++s, ++k) {
        alone.step(rec.exc_pA[k], rec.inh_pA[k]);
        e += alone.rate_e_Hz();
        i += alone.rate_i_Hz();
      }
      INFO("tick " << t);
      REQUIRE(rate_e[static_cast<std::size_t>(t)] == e * (1.0 / 10));
      REQUIRE(rate_i[static_cast<std::size_t>(t)] == i * (1.0 / 10));
    }
  }

  // The integral controller's steady state.
  const double sensed_mean = sensed_sum / sensed_n;
  double lo = 0, hi = 25;  // 20 pA is still a fixed point (0.556 Hz, test_aln_engine), 40 pA cycles
  REQUIRE(open_loop_rate_Hz(p, lo) < kTarget_Hz);
  REQUIRE(open_loop_rate_Hz(p, hi) > kTarget_Hz);
  for (int it = 0; it < 30; ++it) {
    const double mid = 0.5 * (lo + hi);
    (open_loop_rate_Hz(p, mid) < kTarget_Hz ? lo : hi) = mid;
  }
  const double i_star = 0.5 * (lo + hi);
  const double i_end = rec.exc_pA.back();
  INFO("sensed mean " << sensed_mean << " Hz; I* (open loop) " << i_star << " pA, clamp's I at 5 s " << i_end << " pA");
  CHECK(std::fabs(sensed_mean - kTarget_Hz) < 2e-3);
  CHECK(std::fabs(i_end - i_star) < 0.05);

  // The approach: |I - I*| from 1.6 s to 2.0 s shrinks by exp(-ki f'(I*) 0.4 s).
  const double gain_Hz_per_pA = (open_loop_rate_Hz(p, i_star + 1.0) - open_loop_rate_Hz(p, i_star - 1.0)) / 2.0;
  const double predicted = std::exp(-kKi_pA_per_Hz_s * gain_Hz_per_pA * 0.4);
  const double measured = (i_star - rec.exc_pA[20'000]) / (i_star - rec.exc_pA[16'000]);
  // The same static plant without the linearisation: dI/dt = ki (target - f(I)) from I(1.6 s) over 0.4 s, f linear
  // between 9 open-loop points from I(1.6 s) to I*.
  const double i_from = rec.exc_pA[16'000];
  constexpr int kGrid = 9;
  double grid_Hz[kGrid];
  for (int g = 0; g < kGrid; ++g) grid_Hz[g] = open_loop_rate_Hz(p, i_from + (i_star - i_from) * g / (kGrid - 1));
  auto f_Hz = [&](double i) {
    const double x = std::clamp((i - i_from) / (i_star - i_from) * (kGrid - 1), 0.0, kGrid - 1.0 - 1e-9);
    const int g = static_cast<int>(x);
    return grid_Hz[g] + (x - g) * (grid_Hz[g + 1] - grid_Hz[g]);
  };
  double i_pA = i_from;
  for (int k = 0; k < 4000; ++k) i_pA += 1e-4 * kKi_pA_per_Hz_s * (kTarget_Hz - f_Hz(i_pA));
  const double predicted_curved = (i_star - i_pA) / (i_star - i_from);
  INFO("f'(I*) " << gain_Hz_per_pA << " Hz/pA: decay over 0.4 s predicted " << predicted << ", measured " << measured
                 << ", predicted with f's curvature " << predicted_curved << "; I(1.6 s) " << i_from << " pA");
  CHECK(measured == Approx(predicted).epsilon(0.05));
  CHECK(measured == Approx(predicted_curved).epsilon(0.015));
}

// The config names the missing model: an ALN signal without [aln], a network signal with only the [aln] node.
// Seen to fail: with the aln_node check removed from fw::validate(sensing_params), both ALN signals on the network
// config load (empty message).
TEST_CASE("a sensing channel of a model the config does not have is refused naming it", "[aln][device][config]") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "cortexloop_aln_closed_loop_test";
  std::filesystem::create_directories(dir);
  auto refused = [&](const std::string& base, const std::string& signal) -> std::string {
    const std::filesystem::path file = dir / (signal + ".toml");
    std::ofstream(file) << "base = \"" << testing::source_path(base).string() << "\"\n[device]\n[[device.sensing]]\n"
                        << "signal = \"" << signal << "\"\nsample_rate_Hz = 1000.0\n";
    engine::engine_params p = io::load_config(file);
    try {
      io::load_device_config(file, {}, p);
    } catch (const io::config_error& e) {
      return e.what();
    }
    return "";
  };
  CHECK_THAT(refused("configs/zerlaut2018_network.toml", "aln_rate_exc"), Catch::Contains("no ALN node ([aln])"));
  CHECK_THAT(refused("configs/zerlaut2018_network.toml", "aln_rate_inh"), Catch::Contains("no ALN node ([aln])"));
  CHECK_THAT(refused("configs/cakan2020/aln_a1.toml", "rate_exc"), Catch::Contains("no spiking network"));
  CHECK_THAT(refused("configs/cakan2020/aln_a1.toml", "lfp_proxy"), Catch::Contains("no spiking network"));
  CHECK(refused("configs/cakan2020/aln_a1.toml", "aln_rate_exc").empty());
}
