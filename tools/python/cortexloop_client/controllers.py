"""Closed-loop controllers for cortexloop, run outside the server (over ZeroMQ) or offline.

Pure Python (math only, no numpy in the per-sample path), one sample at a time, so the same objects run
against `cortexloop serve` (tools/python/cortexloop_client/loop.py feeds them readouts) and against a
simulated plant in tests (tests/python/test_controllers.py).

Every controller has `update(t_s, x) -> list[StimCommand]`: t_s is the sample's simulated time (s), x the
sensed value (a rate in Hz, a VSDi value, ...). A controller returns the stimulation programs to load now
(often none). `StimCommand` is a device-neutral description of one program; `loop.apply_command` is the one
function that turns it into a wire command (today: SetStimulation), so a switch to new device commands
changes that function only.

Building blocks:
- `ExpSmoother`    exponential moving average with a time constant (causal rate smoothing).
- `Biquad`         RBJ-cookbook band-pass (constant 0 dB peak gain; zero phase shift at its centre).
- `PhaseEstimator` band-pass + quadrature from the derivative: x = A cos(phi), dx/dt = -A w sin(phi), so
                   phi = atan2(-dx/dt / w, x); w from the smoothed phase increments, clamped to the band.
Controllers:
- `PIController`       PI clamp of a sensed rate; output bounded; anti-windup by back-calculation
                       (Astrom & Hagglund: the integrator is corrected by (u_sat - u) / T_t).
- `ResponsiveController` smoothed feature crosses a threshold upwards -> one burst (pulse-train program with a
                       duration); refractory period; hysteresis re-arms it.
- `PhaseLockedController` pulse when the phase predicted `latency_s` ahead crosses the target phase
                       (compensates the loop's sense->stimulate latency); at most one pulse per cycle.
- `OpenLoopSchedule`   programs at fixed times, no feedback (the control condition).

Phase convention: cosine phase, 0 deg = peak of the band-passed signal, 90 deg = falling zero crossing,
180 deg = trough, 270 deg (= -90) = rising zero crossing (the Hilbert-transform convention).
"""
import cmath
import math
from dataclasses import dataclass, field, asdict


@dataclass
class StimCommand:
    """A stimulation program, device-neutral. Units in the names. `waveform`: "dc" | "sine" | "pulses"."""
    waveform: str = "dc"
    amplitude_pA: float = 0.0
    frequency_Hz: float = 0.0
    pulse_width_ms: float = 0.0
    biphasic: bool = False
    duration_ms: float = 0.0          # 0: until replaced
    delay_ms: float = 0.0
    population: str = "exc"
    channel: int = 0
    ring_position_mm: float = None    # None: the whole population (network and ring)
    width_mm: float = 1.5

    def as_dict(self):
        return asdict(self)


def wrap_rad(a):
    """Angle in (-pi, pi]."""
    return math.atan2(math.sin(a), math.cos(a))


# --- filters ------------------------------------------------------------------------------------------------
class ExpSmoother:
    """y += (x - y) * dt / tau (exact discretisation: alpha = 1 - exp(-dt/tau)). tau_s <= 0: pass-through."""

    def __init__(self, tau_s, dt_s, y0=None):
        self.alpha = 1.0 if tau_s <= 0 else 1.0 - math.exp(-dt_s / tau_s)
        self.y = y0

    def update(self, x):
        self.y = x if self.y is None else self.y + self.alpha * (x - self.y)
        return self.y


class Biquad:
    """Direct form I biquad. `bandpass(f0, q, fs)`: RBJ Audio EQ Cookbook band-pass with 0 dB peak gain,
    H(s) = (s/Q) / (s^2 + s/Q + 1); at f0 its gain is 1 and its phase 0."""

    def __init__(self, b, a):
        self.b0, self.b1, self.b2 = (bi / a[0] for bi in b)
        self.a1, self.a2 = a[1] / a[0], a[2] / a[0]
        self.x1 = self.x2 = self.y1 = self.y2 = 0.0

    @classmethod
    def bandpass(cls, f0_Hz, q, fs_Hz):
        w0 = 2 * math.pi * f0_Hz / fs_Hz
        alpha = math.sin(w0) / (2 * q)
        return cls([alpha, 0.0, -alpha], [1 + alpha, -2 * math.cos(w0), 1 - alpha])

    def update(self, x):
        y = self.b0 * x + self.b1 * self.x1 + self.b2 * self.x2 - self.a1 * self.y1 - self.a2 * self.y2
        self.x2, self.x1 = self.x1, x
        self.y2, self.y1 = self.y1, y
        return y

    def response(self, f_Hz, fs_Hz):
        """Complex frequency response at f_Hz."""
        z = cmath.exp(-1j * 2 * math.pi * f_Hz / fs_Hz)
        return (self.b0 + self.b1 * z + self.b2 * z * z) / (1 + self.a1 * z + self.a2 * z * z)


class PhaseEstimator:
    """Instantaneous phase and frequency of a band-limited signal, sample by sample (real time).

    Band-pass (a cascade of `sections` biquads at f0, Q; two, so that the band-pass falls as 1/f^2 above the band
    and the derivative does not let white noise through flat) then quadrature from the central difference: with y = A cos(phi),
    phi = atan2(-y'/w, y). The central difference (y[n] - y[n-2]) / (2 dt) is the derivative at n-1, so it is
    paired with y[n-1] and the phase advanced by one sample (w dt); its gain sin(w dt)/(w dt) is divided out.
    The band-pass's phase response at the estimated frequency, arg H(f), is subtracted (0 at f0).
    The frequency is the smoothed phase increment, clamped to [f_min, f_max]. Chosen over an endpoint-corrected
    Hilbert transform because it needs O(1) work per sample and no buffer, and over a zero-crossing predictor
    because it gives a phase at every sample (zero crossings only twice per cycle)."""

    def __init__(self, f0_Hz, fs_Hz, q=1.0, f_band_Hz=None, freq_tau_s=0.2, sections=2):
        self.fs = fs_Hz
        self.dt = 1.0 / fs_Hz
        self.f0 = f0_Hz
        self.bp = [Biquad.bandpass(f0_Hz, q, fs_Hz) for _ in range(sections)]
        lo, hi = f_band_Hz or (f0_Hz / 2, f0_Hz * 1.5)
        self.f_min, self.f_max = lo, hi
        self.freq = ExpSmoother(freq_tau_s, self.dt, f0_Hz)
        self.y1 = self.y2 = 0.0
        self.phase = 0.0
        self.amplitude = 0.0
        self.f_Hz = f0_Hz
        self._prev_phase = None

    def update(self, x):
        y = x
        for section in self.bp:
            y = section.update(y)
        w = 2 * math.pi * self.f_Hz
        deriv = (y - self.y2) / (2 * self.dt)
        wd = w * self.dt
        deriv /= (math.sin(wd) / wd) if wd > 1e-9 else 1.0
        phase_mid = math.atan2(-deriv / w, self.y1)      # phase at sample n-1
        self.amplitude = math.hypot(self.y1, deriv / w)
        # advanced to sample n, minus the band-pass's own phase shift at the current frequency estimate
        self.phase = wrap_rad(phase_mid + wd - self.filter_phase(self.f_Hz))
        self.y2, self.y1 = self.y1, y
        if self._prev_phase is not None:
            inc = wrap_rad(self.phase - self._prev_phase)
            f_inst = min(max(inc / (2 * math.pi * self.dt), self.f_min), self.f_max)
            self.f_Hz = self.freq.update(f_inst)
        self._prev_phase = self.phase
        return self.phase

    def filter_phase(self, f_Hz):
        """Phase response of the band-pass cascade at f_Hz (rad)."""
        return sum(cmath.phase(section.response(f_Hz, self.fs)) for section in self.bp)


# --- controllers --------------------------------------------------------------------------------------------
class PIController:
    """u = kp e + I, I += ki e dt + (u_sat - u) dt / T_t (back-calculation anti-windup), u_sat = clip(u).

    e = target - smoothed measurement. Output: a DC program (amplitude u_sat pA) whenever it moved by at least
    `min_change_pA` since the last command (so a converged loop does not flood the command socket)."""

    def __init__(self, target_Hz, kp_pA_per_Hz, ki_pA_per_Hz_s, dt_s, u_min_pA=0.0, u_max_pA=300.0,
                 tracking_s=None, smoothing_s=0.01, min_change_pA=0.5, population="exc", channel=0):
        self.target_Hz = target_Hz
        self.kp, self.ki, self.dt = kp_pA_per_Hz, ki_pA_per_Hz_s, dt_s
        self.u_min, self.u_max = u_min_pA, u_max_pA
        # Astrom's rule of thumb: T_t between T_d and T_i (here T_i = kp/ki); sqrt(T_i * dt) when no T_d.
        ti = kp_pA_per_Hz / ki_pA_per_Hz_s if ki_pA_per_Hz_s > 0 else 1.0
        self.tracking_s = tracking_s if tracking_s is not None else max(math.sqrt(ti * dt_s), dt_s)
        self.smoother = ExpSmoother(smoothing_s, dt_s)
        self.integral = 0.0
        self.u = 0.0
        self.u_sent = None
        self.min_change = min_change_pA
        self.population, self.channel = population, channel
        self.measured = 0.0

    def output(self, measured_Hz):
        """Updates the state with one sample, returns the bounded output in pA."""
        self.measured = self.smoother.update(measured_Hz)
        e = self.target_Hz - self.measured
        u = self.kp * e + self.integral
        u_sat = min(max(u, self.u_min), self.u_max)
        self.integral += self.ki * e * self.dt + (u_sat - u) * self.dt / self.tracking_s
        self.u = u_sat
        return u_sat

    def update(self, t_s, measured_Hz):
        u = self.output(measured_Hz)
        if self.u_sent is None or abs(u - self.u_sent) >= self.min_change:
            self.u_sent = u
            return [StimCommand("dc", u, population=self.population, channel=self.channel)]
        return []


class ResponsiveController:
    """Responsive stimulation: the smoothed feature crosses `threshold` upwards -> a burst (pulse train with a
    duration); no new burst for `refractory_s` after one; re-armed when the feature falls below
    threshold - hysteresis. Detection latency: the smoother's (tau) plus the loop's."""

    def __init__(self, threshold, dt_s, smoothing_s=0.01, hysteresis=0.0, refractory_s=0.5,
                 burst=None):
        self.threshold, self.hysteresis = threshold, hysteresis
        self.smoother = ExpSmoother(smoothing_s, dt_s)
        self.refractory_s = refractory_s
        self.burst = burst or StimCommand("pulses", 200.0, frequency_Hz=100.0, pulse_width_ms=1.0,
                                          duration_ms=100.0, channel=1)
        self.armed = False        # arms once the feature has been below threshold
        self.last_burst_s = -math.inf
        self.feature = 0.0
        self.triggers = []        # t_s of every burst

    def update(self, t_s, x):
        f = self.smoother.update(x)
        self.feature = f
        if f < self.threshold - self.hysteresis:
            self.armed = True
        if self.armed and f >= self.threshold and t_s - self.last_burst_s >= self.refractory_s:
            self.armed = False
            self.last_burst_s = t_s
            self.triggers.append(t_s)
            return [self.burst]
        return []


class PhaseLockedController:
    """A pulse at `target_deg` of a band-limited sensed signal. The estimator's phase is extrapolated by the
    loop latency: a pulse is sent at the sample where phase + 2 pi f latency_s crosses the target, so it lands
    on the target phase when the server applies it. At most one pulse per cycle (refractory 0.5 / f); no pulse
    while the band-passed amplitude is below `min_amplitude` (no oscillation to lock to)."""

    def __init__(self, f0_Hz, fs_Hz, target_deg=0.0, latency_s=0.0, q=1.0, min_amplitude=0.0,
                 pulse=None, warmup_s=0.5, sections=2):
        self.est = PhaseEstimator(f0_Hz, fs_Hz, q=q, sections=sections)
        self.target = math.radians(target_deg)
        self.latency_s = latency_s
        self.min_amplitude = min_amplitude
        self.pulse = pulse or StimCommand("pulses", 200.0, frequency_Hz=f0_Hz, pulse_width_ms=2.0,
                                          duration_ms=2.0, channel=2)
        self.warmup_s = warmup_s
        self._prev_rel = None
        self.last_pulse_s = -math.inf
        self.pulses = []          # t_s of every pulse decision
        self.phase_pred = 0.0

    def update(self, t_s, x):
        phase = self.est.update(x)
        self.phase_pred = wrap_rad(phase + 2 * math.pi * self.est.f_Hz * self.latency_s)
        rel = wrap_rad(self.phase_pred - self.target)   # < 0 before the target, crosses 0 upwards at it
        fire = (self._prev_rel is not None and self._prev_rel < 0 <= rel and rel - self._prev_rel < math.pi
                and t_s >= self.warmup_s and self.est.amplitude >= self.min_amplitude
                and t_s - self.last_pulse_s >= 0.5 / self.est.f_Hz)
        self._prev_rel = rel
        if fire:
            self.last_pulse_s = t_s
            self.pulses.append(t_s)
            return [self.pulse]
        return []


@dataclass
class OpenLoopSchedule:
    """Programs at fixed simulated times (s), no feedback: [(t_s, StimCommand), ...], each sent once when the
    first sample with t >= t_s arrives."""
    events: list = field(default_factory=list)
    _next: int = 0

    @classmethod
    def periodic_bursts(cls, start_s, period_s, count, burst):
        return cls([(start_s + k * period_s, burst) for k in range(count)])

    def update(self, t_s, x=None):
        out = []
        self.events.sort(key=lambda e: e[0])
        while self._next < len(self.events) and self.events[self._next][0] <= t_s + 1e-12:
            out.append(self.events[self._next][1])
            self._next += 1
        return out


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name, ["tools/python/examples/pi_clamp.py or another example beside it"])
