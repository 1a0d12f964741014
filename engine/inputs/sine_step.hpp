#pragma once
// A sine's integral over one step: what a current source that delivers charge (the simulated stimulator,
// firmware_sim) gives a step, and so what the config's [[stimulus]] sine gives it too, so that a `simulate` run and
// a `serve` run of the same sine feed the models the same bits. One compiled function (not inline): both callers
// run the very same instructions (an inlined copy could be contracted into fused multiply-adds differently).
namespace cortexloop::engine {

// int_{t0}^{t1} sin(w t + phase) dt with w = 2 pi frequency_Hz per second, t in microseconds from the sine's start.
// Product form, (2 / w) sin(w (t1 - t0) / 2) sin(w (t0 + t1) / 2 + phase), which avoids the cancellation of
// cos(a) - cos(b) over a short step; written as (t1 - t0) sinc(w (t1 - t0) / 2) sin(...) so that it also holds for a
// frequency so small that 2 / w overflows (a subnormal frequency_Hz gave inf * 0 = NaN: fuzz/fuzz_command).
double sine_integral_us(double frequency_Hz, double phase_rad, double t0_us, double t1_us) noexcept;

}  // namespace cortexloop::engine
