#!/usr/bin/python3
"""Soak test (issue 9, "Must show"): `cortexloop serve` in realtime mode with configs/default.toml, a
`cortexloop record --sync` alongside, and a client that sends, for the whole duration, a random mix of valid
commands and invalid frames at a bounded rate. Loopback only; stops by itself.

Every minute it logs (stdout and OUT/minutes.jsonl) the server's RSS (VmRSS of /proc/PID/status), the status
counters (readout_drops, publish_drops, commands_refused, commands_dropped, ack_drops, deadline_misses) and
the recorder's readouts and missing ticks. At the end (OUT/result.json): the RSS series (first, last, max, slope
per minute), the server's exit code, the readouts lost at the recorder against readout_drops + publish_drops,
and the acks received against the frames sent.

The recorder keeps what it receives in memory until it stops (about 1.5 kB per tick with the default ring and
device: 5 GB for an hour), so the recording is made in consecutive segments (`--segment-s`, default 300 s) that
overlap by `--overlap-s` (default 20 s): segment k+1 is running and subscribed before segment k is stopped with
SIGINT (which keeps everything received). The union of the segments' ticks.npy is the recording; a tick
inside the recorded range of an epoch that no segment received is a lost readout. The bulky arrays of a
finished segment are deleted (ticks.npy, summary.json and acks.jsonl are kept).

What the client sends (weights in VALID_MIX / INVALID_MIX):
  valid, on the main DEALER (each must get exactly one ack): Ping, GetInfo, SetStimulation (direct sites:
    population or ring position, DC / sine / pulses, |A| <= 1000 pA, short durations), SetPrograms (1-3 direct
    programs), SetController of the kinds that need no sensing channel (OpenLoop, External), ClearStimulation,
    SetDriveRate [0, 25] Hz, SetParameter (network.drive.rate_Hz,
    stream.spikes 0/1, stream.readout_every = 1 -- never > 1: it would thin the readouts on purpose and the
    recorder would count the thinning as missing ticks), ClearController, Pause followed 20-300 ms later
    by Resume, and Reset (rarely, `--reset-every-s`).
  invalid, on the main DEALER (each must be refused with one ack): random bytes, truncated valid commands,
    random frames of 36 KiB up to exactly 40 KiB, body-less commands (every body type), NaN / inf fields,
    out-of-range values, SetController of a kind that reads a sensing channel (Responsive, PiClamp,
    PhaseLocked: the default config has no sensing channel, always refused), Step
    (realtime mode: WrongMode), unknown parameters with long names, multi-frame messages.
  beyond the 40 KiB frame limit, on a throw-away DEALER per frame (libzmq drops that connection: no ack).
"""
import argparse
import collections
import json
import math
import os
import random
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, ".."))
sys.path[:0] = [os.path.join(REPO, "build", "python"), os.path.join(REPO, "tools", "python")]

import numpy as np  # noqa: E402
import zmq  # noqa: E402

from cortexloop_client import cli  # noqa: E402
from cortexloop_client import client as cl  # noqa: E402
from cortexloop_client.client import Client, Program, Site  # noqa: E402
from cortexloop_client.loop import end_process, serve_on_free_ports  # noqa: E402

p = cl.p
CB = p.CommandBody.CommandBody
MAX_FRAME = 40 * 1024  # the server's command frame limit (Info.max_command_bytes; docs/protocol.md, "Limits")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def message_bytes(body_type, build_body, seq, omit_body=False):
    """A Message{Command} buffer (the client's encoder); omit_body: a body-less command."""
    return cl.encode_command(body_type, build_body, seq, omit_body)


class Sender(Client):
    """The package's Client, with its DEALER's bytes captured instead of sent: every frame goes through
    Soak.send so that it is counted and its kind remembered."""

    def __init__(self, soak, commands):
        super().__init__(commands=commands, pub=None)
        self.soak = soak
        self.captured = None

    def _send(self, body_type, build_body):
        self._seq += 1
        self.captured = message_bytes(body_type, build_body, self._seq)
        return self._seq


class Soak:
    def __init__(self, args, commands, rng):
        self.args = args
        self.rng = rng
        self.commands = commands
        self.ctx = zmq.Context.instance()
        self.client = Sender(self, commands)
        self.dealer = self.client.dealer
        self.sent = collections.Counter()          # kind -> frames sent on the main DEALER
        self.oversize_sent = 0                     # frames > MAX_FRAME on throw-away sockets
        self.acks = collections.Counter()          # (kind, code name) -> acks
        self.acks_total = 0
        self.unexpected = collections.Counter()    # (kind, code name) that contradict the expectation
        self.examples = {}                         # (kind, code) -> one reason
        self.pending = {}                          # seq -> (kind, expect_accept)
        self.seq0_kinds = collections.deque()      # kinds of frames whose ack carries seq 0 (unreadable)
        self.resume_at = None
        self.last_reset = time.monotonic()
        self.reset_pending = False

    # --- sending ---------------------------------------------------------------------------------------
    def send(self, kind, frames, seq, expect):
        """expect: True (must be accepted), False (must be refused), None (either)."""
        if isinstance(frames, (bytes, bytearray)):
            self.dealer.send(bytes(frames))
        else:
            self.dealer.send_multipart([bytes(f) for f in frames])
        self.sent[kind] += 1
        if seq:
            self.pending[seq] = (kind, expect)
        else:
            self.seq0_kinds.append(kind)

    def valid(self, kind, fn, *a, **kw):
        seq = fn(*a, **kw)
        self.send(kind, self.client.captured, seq, True)
        return seq

    def next_seq(self):
        self.client._seq += 1
        return self.client._seq

    # --- valid commands -------------------------------------------------------------------------------
    def rand_site(self):
        r = self.rng
        if r.random() < 0.7:
            return Site(kind="population", population=r.choice(["exc", "inh"]))
        return Site(kind="ring_position", population=r.choice(["exc", "inh"]), position_mm=r.uniform(0, 35.99),
                    width_mm=r.uniform(0.5, 5))

    def rand_program(self):
        r = self.rng
        w = r.choice(["dc", "sine", "pulse_train"])
        amp = r.uniform(-300, 300) if w == "dc" else r.uniform(0, 300)
        prog = Program(waveform=w, amplitude=amp, duration_us=r.randrange(1000, 500_000, 100))
        if w == "sine":
            prog.frequency_hz = r.uniform(1, 100)
        elif w == "pulse_train":
            prog.frequency_hz = r.uniform(1, 200)
            prog.phase_width_us = r.randrange(100, 1000, 100)
            prog.duration_us = self.balanced_duration_us(prog.frequency_hz, prog.phase_width_us)
        return prog

    def balanced_duration_us(self, frequency_hz, phase_width_us, max_us=500_000):
        """A random duration at which a biphasic train ends between pulses (e71c5d9; else OutOfRange "ends inside
        a biphasic pulse"): after pulse n (which starts at llround(n * 1e6 / f) us of the program's own time and
        lasts 2 phase widths) and at least 1 us before pulse n + 1 (at least floor(period) later). The 1 us
        margins absorb rounding differences (SetStimulation sends the frequency as a float32)."""
        r = self.rng
        period = 1e6 / frequency_hz
        extent = 2 * phase_width_us
        n = r.randint(0, int((max_us - extent) // period))
        start = math.floor(n * 1e6 / frequency_hz + 0.5)
        return start + extent + r.randint(1, max(1, min(math.floor(period) - extent - 1, max_us - start - extent)))

    def send_valid(self):
        r, c = self.rng, self.client
        k = r.choices(list(VALID_MIX), weights=list(VALID_MIX.values()))[0]
        if k == "ping":
            self.valid(k, c.ping)
        elif k == "get_info":
            self.valid(k, c.get_info)
        elif k == "set_stimulation":
            w = r.choice(["dc", "sine", "pulses"])
            kw = dict(amplitude_pa=r.uniform(-300, 300) if w == "dc" else r.uniform(0, 300), waveform=w,
                      population=r.choice(["exc", "inh"]), channel=r.randrange(8),
                      duration_ms=r.uniform(1, 500), delay_ms=r.choice([0.0, r.uniform(0, 100)]))
            if w == "sine":
                kw["frequency_hz"] = r.uniform(1, 100)
            if w == "pulses":
                kw["frequency_hz"] = r.uniform(1, 200)
                kw["pulse_width_ms"] = r.choice([0.1, 0.2, 0.5, 1.0])
                kw["biphasic"] = r.random() < 0.5
                kw["duration_ms"] = self.balanced_duration_us(kw["frequency_hz"],
                                                              round(kw["pulse_width_ms"] * 1000)) / 1000.0
            if r.random() < 0.3:
                kw["ring_position_mm"] = r.uniform(0, 35.99)
                kw["width_mm"] = r.uniform(0.5, 5)
            self.valid(k, c.stimulate, **kw)
        elif k == "set_programs":
            chans = r.sample(range(8), r.randint(1, 3))
            self.valid(k, c.set_programs, [(ch, self.rand_site(), self.rand_program()) for ch in chans])
        elif k == "clear_stimulation":
            self.valid(k, c.clear, r.choice([None, r.randrange(8)]))
        elif k == "set_controller":  # the kinds that need no sensing channel
            if r.random() < 0.5:
                period = r.randrange(10_000, 1_000_000, 1000)
                self.valid(k, c.set_controller, r.randrange(4), "open_loop", r.randrange(8),
                           Program(waveform="dc", amplitude=0.0, duration_us=r.randrange(1000, 500_000, 100)),
                           output_site=self.rand_site(), period_us=period,
                           schedule=[(0, r.uniform(-200, 200)), (period // 2, r.uniform(-200, 200))])
            else:
                self.valid(k, c.set_controller, r.randrange(4), "external", r.randrange(8),
                           Program(waveform="dc", amplitude=r.uniform(-200, 200)), output_site=self.rand_site(),
                           timeout_us=r.randrange(10_000, 500_000, 1000), ramp_down_us=r.randrange(0, 10_000, 100))
        elif k == "clear_controller":
            self.valid(k, c.clear_controller, r.choice([None, r.randrange(4)]))
        elif k == "set_drive_rate":
            # From 0.05 Hz: below ~0.02 Hz the server refuses a rate its cells would draw more than 1 % off
            # (docs/engine.md, "External drive"), and a refusal here counts as unexpected.
            self.valid(k, c.set_drive_rate, r.uniform(0.05, 25) if r.random() < 0.2 else r.uniform(3, 6))
        elif k == "set_parameter":
            name = r.choice(["network.drive.rate_Hz", "stream.spikes", "stream.readout_every"])
            value = {"network.drive.rate_Hz": r.uniform(3, 6), "stream.spikes": float(r.random() < 0.3),
                     "stream.readout_every": 1.0}[name]
            self.valid(k, c.set_parameter, name, value)
        elif k == "pause_resume":
            if self.resume_at is None:
                self.valid("pause", c.pause)
                self.resume_at = time.monotonic() + r.uniform(0.02, 0.3)

    # --- invalid frames -------------------------------------------------------------------------------
    def valid_bytes(self):
        c = self.client
        c.stimulate(100.0, duration_ms=10.0)
        return c.captured

    def send_invalid(self):
        r, c = self.rng, self.client
        k = r.choices(list(INVALID_MIX), weights=list(INVALID_MIX.values()))[0]
        if k == "random_bytes":
            data = bytes(r.getrandbits(8) for _ in range(r.randint(1, 512)))
            self.send(k, data, 0, False)
        elif k == "truncated":
            data = self.valid_bytes()
            self.send(k, data[: r.randint(0, len(data) - 1)], 0, False)
        elif k == "big_frame":  # 36 KiB .. exactly MAX_FRAME: read, refused Malformed
            self.send(k, os.urandom(r.randint(MAX_FRAME - 4 * 1024, MAX_FRAME)), 0, False)
        elif k == "oversize":  # beyond the limit: the server drops that connection, no ack
            s = self.ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 200)
            s.connect(self.commands)
            s.send(os.urandom(r.choice([MAX_FRAME + 1, r.randint(MAX_FRAME + 2, 4 * MAX_FRAME)])))
            s.close()
            self.oversize_sent += 1
        elif k == "multipart":
            self.send(k, [self.valid_bytes(), b"x" * r.randint(0, 10)], 0, False)
        elif k == "bodyless":
            bt = r.choice([CB.SetStimulation, CB.ClearStimulation, CB.SetDriveRate, CB.Pause, CB.Resume, CB.Reset,
                           CB.Step, CB.SetParameter, CB.Ping, CB.GetInfo, CB.SetPrograms, CB.SetController,
                           CB.ClearController, 200])
            seq = self.next_seq()
            self.send(k, message_bytes(bt, None, seq, omit_body=True), seq, False)
        elif k == "nan":
            bad = r.choice([math.nan, math.inf, -math.inf])
            which = r.randrange(6)
            if which == 0:
                seq = c.stimulate(bad)
            elif which == 1:
                seq = c.stimulate(100.0, waveform="dc", frequency_hz=bad)
            elif which == 2:
                seq = c.set_drive_rate(bad)
            elif which == 3:
                seq = c.set_parameter("network.drive.rate_Hz", bad)
            elif which == 4:
                seq = c.stimulate(100.0, ring_position_mm=bad)
            else:
                seq = c.set_programs([(0, Site(), Program(waveform="sine", amplitude=100.0, frequency_hz=bad))])
            self.send(k, c.captured, seq, False)
        elif k == "out_of_range":
            which = r.randrange(6)
            if which == 0:
                seq = c.stimulate(r.choice([1000.5, 2000.0, -5000.0]))
            elif which == 1:
                seq = c.stimulate(100.0, channel=r.randint(8, 255))
            elif which == 2:
                seq = c.set_drive_rate(r.choice([25.5, 200.0, -1.0]))
            elif which == 3:
                seq = c.set_parameter("stream.readout_every", r.choice([0.0, 1.5, 1001.0]))
            elif which == 4:
                seq = c.stimulate(100.0, waveform="pulses", frequency_hz=100.0, pulse_width_ms=20.0)
            else:
                seq = c.stimulate(100.0, ring_position_mm=r.choice([36.0, -1.0, 1e9]))
            self.send(k, c.captured, seq, False)
        elif k == "set_controller_sensing":  # kinds that read a sensing channel: the default config has none, refused
            seq = c.set_controller(r.randrange(4), r.choice(["responsive", "pi_clamp", "phase_locked"]), r.randrange(8),
                                   Program(waveform="dc", amplitude=10.0), output_site=Site(),
                                   sensing_channel=r.randrange(4), threshold=1.0, output_max=10.0)
            self.send(k, c.captured, seq, False)
        elif k == "step":
            seq = c.step(r.randint(0, 100))
            self.send(k, c.captured, seq, False)
        elif k == "unknown_parameter":
            name = r.choice(["network.n_neurons", "x" * r.randint(65, 20000), "\udcff".encode("utf-8", "surrogatepass")
                             .decode("latin-1") * 10])
            seq = c.set_parameter(name, 1.0)
            self.send(k, c.captured, seq, False)

    # --- acks -----------------------------------------------------------------------------------------
    def drain_acks(self):
        while self.dealer.poll(0):
            data = self.dealer.recv()
            self.acks_total += 1
            try:
                kind_, ack = cl.decode_message(data)
            except Exception:  # noqa: BLE001 -- count anything the server sends
                self.acks[("?", "undecodable")] += 1
                continue
            if kind_ != "ack":
                self.acks[("?", "not an ack")] += 1
                continue
            if ack.seq in self.pending:
                kind, expect = self.pending.pop(ack.seq)
            elif ack.seq == 0 and self.seq0_kinds:
                kind, expect = self.seq0_kinds.popleft(), False
            else:
                kind, expect = "unmatched", None
            name = ack.code_name
            self.acks[(kind, name)] += 1
            self.examples.setdefault((kind, name), ack.reason[:200])
            if kind == "reset" and ack.accepted:
                self.reset_pending = False
            if kind == "reset" and not ack.accepted:
                self.reset_pending = False
            # QueueFull / Busy are load refusals, allowed for a valid command
            if expect is True and not ack.accepted and name not in ("QueueFull", "Busy"):
                self.unexpected[(kind, name)] += 1
            if expect is False and ack.accepted:
                self.unexpected[(kind, name)] += 1

    def tick(self):
        """One frame (or a scheduled Resume / Reset)."""
        now = time.monotonic()
        if self.resume_at is not None and now >= self.resume_at:
            self.resume_at = None
            self.valid("resume", self.client.resume)
            return
        if (now - self.last_reset > self.args.reset_every_s and self.resume_at is None
                and not self.reset_pending):
            self.last_reset = now
            self.reset_pending = True
            self.valid("reset", self.client.reset, self.rng.randrange(1, 1 << 31))
            return
        if self.rng.random() < self.args.invalid_fraction:
            self.send_invalid()
        else:
            self.send_valid()


VALID_MIX = {"ping": 20, "get_info": 3, "set_stimulation": 20, "set_programs": 15, "clear_stimulation": 8,
             "set_controller": 2, "clear_controller": 2, "set_drive_rate": 8, "set_parameter": 8, "pause_resume": 1}
INVALID_MIX = {"random_bytes": 20, "truncated": 15, "big_frame": 3, "oversize": 1, "multipart": 5, "bodyless": 15,
               "nan": 15, "out_of_range": 15, "set_controller_sensing": 8, "step": 3, "unknown_parameter": 5}


class Recorder:
    def __init__(self, binary, out, pub, commands, config, k):
        self.k = k
        self.dir = os.path.join(out, f"rec_{k:03d}")
        self.log = open(os.path.join(out, f"rec_{k:03d}.log"), "w")
        self.proc = subprocess.Popen([binary, "record", "--out", self.dir, "--pub", pub, "--commands", commands,
                                      "--sync", "--config", config], stdout=self.log, stderr=subprocess.STDOUT)
        self.started = time.monotonic()

    def wait_subscribed(self, timeout):
        """Whether record said "record: subscribed" (its --sync) within timeout seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.proc.poll() is None:
            with open(self.log.name) as f:
                if "record: subscribed" in f.read():
                    return True
            time.sleep(0.02)
        return False

    def exited(self):
        """The recorder's exit code if it has exited by itself (the soak stops it only with stop()), else None."""
        return self.proc.poll()

    def stop(self):
        """SIGINT (record writes what it received and exits 0); (exit code, summary, ticks, whether it had exited by
        itself before: a recorder killed or crashed mid-run is no intended stop, whatever its code)."""
        by_itself = self.proc.poll() is not None
        rc = end_process(self.proc, 120, signal.SIGINT)
        self.log.close()
        summary = {}
        try:
            with open(os.path.join(self.dir, "summary.json")) as f:
                summary = json.load(f)
        except (OSError, ValueError):
            pass
        ticks = None
        try:
            ticks = np.load(os.path.join(self.dir, "ticks.npy"))[:, :2].astype(np.int64)
        except (OSError, ValueError):
            pass
        for name in os.listdir(self.dir) if os.path.isdir(self.dir) else []:
            if name.endswith(".npy") and name != "ticks.npy":
                os.remove(os.path.join(self.dir, name))
        return rc, summary, ticks, by_itself

    def progress(self):
        """(readouts, missing ticks) from the recorder's last progress line."""
        try:
            with open(self.log.name) as f:
                lines = [ln for ln in f.read().splitlines() if ln.startswith("record: ") and "readouts" in ln]
        except OSError:
            return None, None
        if not lines:
            return 0, 0
        words = lines[-1].split()
        try:
            return int(words[1]), int(words[words.index("missing") - 1])
        except (ValueError, IndexError):
            return None, None


def lost_readouts(tick_arrays):
    """Ticks inside the recorded range of each epoch that no segment received."""
    if not tick_arrays:
        return 0, 0, {}
    t = np.unique(np.concatenate(tick_arrays), axis=0)
    lost, per_epoch = 0, {}
    for e in np.unique(t[:, 0]):
        ticks = t[t[:, 0] == e, 1]
        span = int(ticks.max() - ticks.min() + 1)
        per_epoch[int(e)] = {"first": int(ticks.min()), "last": int(ticks.max()), "received": int(len(ticks)),
                             "lost": span - int(len(ticks))}
        lost += span - len(ticks)
    return int(lost), int(len(t)), per_epoch


def slope_per_min(xs, ys):
    """kB per minute of a straight line through (minute, kB), or None with fewer than two samples (it was 0.0: a run
    without a sample after minute 5 read as flat memory; an outside check, 2026-12-06)."""
    if len(xs) < 2:
        return None
    return round(float(np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)[0]), 2)


def stop_all(server, segments):
    """Kills what is still running of the server and the recorders: a failure after they started left them
    running, orphaned (a --rate 0 ended in a ZeroDivisionError with serve and record alive; an outside check,
    2026-12-06). With cli.run's sigterm a SIGTERM comes here too (it left both running: an outside audit)."""
    for proc in [seg.proc for seg in segments] + [server]:
        if proc is not None:
            end_process(proc, 5, signal.SIGKILL)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", type=cli.executable, default=os.path.join(REPO, "build", "cortexloop"),
                    help="cortexloop executable (default build/cortexloop)")
    ap.add_argument("--config", default=os.path.join(REPO, "configs", "default.toml"),
                    help="server config (default configs/default.toml)")
    # Each checked here, before serve and record start (--rate 0 ended in a ZeroDivisionError with both left running;
    # --duration-s 0 passed with no RSS sample: an outside check, 2026-12-06).
    ap.add_argument("--duration-s", type=cli.positive_float, default=3600.0,
                    help="how long the soak runs, s (> 0; default %(default)s)")
    ap.add_argument("--rate", type=cli.positive_float, default=200.0,
                    help="frames per second, valid + invalid (> 0; default %(default)s)")
    ap.add_argument("--invalid-fraction", type=cli.fraction, default=0.4,
                    help="fraction of the frames that are invalid, in [0, 1] (default %(default)s)")
    ap.add_argument("--reset-every-s", type=cli.positive_float, default=300.0,
                    help="a Reset at most once per this many seconds (> 0; default %(default)s)")
    ap.add_argument("--segment-s", type=cli.positive_float, default=300.0,
                    help="seconds per recording segment (> 0; default %(default)s)")
    ap.add_argument("--overlap-s", type=cli.non_negative_float, default=20.0,
                    help="seconds consecutive segments overlap (>= 0, below --segment-s; default %(default)s)")
    ap.add_argument("--log-every-s", type=cli.positive_float, default=60.0,
                    help="seconds between status lines (> 0; default %(default)s)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the random command mix (default %(default)s)")
    ap.add_argument("--out", default=os.path.join("out", "soak"),
                    help="output folder, a relative one under the current folder (default %(default)s)")
    args = ap.parse_args()
    if args.overlap_s >= args.segment_s:
        ap.error(f"--overlap-s {args.overlap_s:g}: must be below --segment-s {args.segment_s:g} (the next segment "
                 "starts that long before the current one ends)")
    if not os.path.isfile(args.config):
        ap.error(f"--config {args.config}: no such file")
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        ap.error(f"--out {args.out}: cannot create the folder: {e.strerror}")
    if not os.access(args.out, os.W_OK):
        ap.error(f"--out {args.out}: the folder is not writable")
    rng = random.Random(args.seed)
    serve_cmd = [args.binary, "serve", "--config", args.config, "--quiet"]
    with open(os.path.join(args.out, "serve.log"), "w") as server_log:
        server, pub, commands = serve_on_free_ports(serve_cmd, stdout=server_log, stderr=subprocess.STDOUT)
    segments = []
    try:
        return soak_run(args, rng, serve_cmd, server, pub, commands, segments)
    finally:
        stop_all(server, segments)


def soak_run(args, rng, serve_cmd, server, pub, commands, segments):
    """The soak against `server`; `segments`, the caller's list, holds the recorders still running (main kills what
    is left of them and of the server whatever happens here). OUT/minutes.jsonl is closed however it ends."""
    with open(os.path.join(args.out, "minutes.jsonl"), "w") as minutes:
        return soak_logged(args, rng, serve_cmd, server, pub, commands, segments, minutes)


def soak_logged(args, rng, serve_cmd, server, pub, commands, segments, minutes):
    """soak_run's body, its minutes written to the open file `minutes`."""

    def say(*a):
        print(*a, flush=True)

    say(f"soak: {' '.join(serve_cmd)} (pid {server.pid}); {args.duration_s:.0f} s at {args.rate:.0f} frames/s")
    ctx = zmq.Context.instance()
    status_sub = ctx.socket(zmq.SUB)
    status_sub.setsockopt(zmq.LINGER, 0)
    status_sub.setsockopt(zmq.SUBSCRIBE, b"status")
    status_sub.connect(pub)
    soak = Soak(args, commands, rng)

    # wait until the server answers
    probe = Client(commands=commands, pub=None)
    if probe.info(timeout=60) is None:
        say("soak: server did not answer GetInfo within 60 s")
        return 2
    probe.close()

    finished = []
    k = 0
    segments.append(Recorder(args.binary, args.out, pub, commands, args.config, k))
    # The client starts once the recorder is subscribed (record --sync says so), not after a fixed 3 s.
    if not segments[-1].wait_subscribed(60):
        code = segments[-1].exited()
        say("soak: the first recorder " + ("did not subscribe within 60 s" if code is None else
                                           f"exited with code {code} before it subscribed") + " (see its log)")
        return 2

    last_status = {}
    first_status = None
    rss = []  # (minute, kib)
    start = time.monotonic()
    next_log = start
    period = 1.0 / args.rate
    next_send = start
    crashed = None
    recorder_died = None  # what ended a recorder that the soak did not stop
    try:
        while True:
            now = time.monotonic()
            elapsed = now - start
            if server.poll() is not None:
                crashed = server.returncode
                say(f"soak: server exited with {crashed} after {elapsed:.1f} s")
                break
            # A recorder that exits by itself (killed, crashed, out of disk) records nothing more: the run ends here and
            # fails (it went on and said PASS with no readout received and "lost_readouts": 0: an outside audit).
            dead = [seg for seg in segments if seg.exited() is not None]
            if dead:
                recorder_died = (f"recorder segment {dead[0].k} exited by itself with code {dead[0].exited()} after "
                                 f"{elapsed:.1f} s")
                say(f"soak: {recorder_died}; the run ends here")
                break
            if elapsed >= args.duration_s:
                break
            # recorder segments: start the next one overlap_s before the current one ends
            cur = segments[-1]
            if now - cur.started >= args.segment_s - args.overlap_s and len(segments) == 1 \
                    and elapsed + args.overlap_s < args.duration_s:
                k += 1
                segments.append(Recorder(args.binary, args.out, pub, commands, args.config, k))
            if len(segments) == 2 and now - segments[0].started >= args.segment_s:
                old = segments.pop(0)
                rc, summary, ticks, by_itself = old.stop()
                finished.append((rc, summary, ticks, by_itself))
                say(f"soak: segment {len(finished) - 1} done: rc {rc}, {summary.get('readouts')} readouts, "
                    f"{summary.get('missing_ticks')} missing ticks")
            while status_sub.poll(0):
                _, payload = status_sub.recv_multipart()
                kind, value = cl.decode_message(payload)
                if kind == "status":
                    last_status = value
                    if first_status is None:
                        first_status = value
            soak.drain_acks()
            if now >= next_log:
                kib = rss_kib(server.pid)
                minute = round(elapsed / 60.0, 2)
                rss.append((minute, kib))
                rd, miss = segments[-1].progress()
                s = last_status
                line = {"minute": minute, "rss_kib": kib, "server_ticks": s.get("server_ticks"),
                        "epoch": s.get("epoch"), "readout_drops": s.get("readout_drops"),
                        "publish_drops": s.get("publish_drops"), "commands_received": s.get("commands_received"),
                        "commands_refused": s.get("commands_refused"), "commands_dropped": s.get("commands_dropped"),
                        "ack_drops": s.get("ack_drops"), "deadline_misses": s.get("deadline_misses"),
                        "resyncs": s.get("resyncs"), "lateness_p99_us": s.get("lateness_p99_us"),
                        "recorder_segment": k, "recorder_readouts": rd, "recorder_missing_ticks": miss,
                        "frames_sent": sum(soak.sent.values()), "oversize_sent": soak.oversize_sent,
                        "acks": soak.acks_total}
                minutes.write(json.dumps(line) + "\n")
                minutes.flush()
                say("soak: " + " ".join(f"{a}={b}" for a, b in line.items()))
                next_log += args.log_every_s
            if now >= next_send:
                soak.tick()
                next_send += period
                if next_send < now - 1.0:  # fell behind (a busy machine): do not burst to catch up
                    next_send = now
            else:
                time.sleep(min(next_send - now, 0.005))
    finally:
        if soak.resume_at is not None:
            soak.valid("resume", soak.client.resume)
        end_send = time.monotonic()
        while time.monotonic() - end_send < 5.0:
            soak.drain_acks()
            if not soak.pending and not soak.seq0_kinds:
                break
            time.sleep(0.01)
        kib_end = rss_kib(server.pid)
        for seg in segments:
            finished.append(seg.stop())
        end_process(server, 60, signal.SIGINT)
        t_end = time.monotonic() + 2.0
        while time.monotonic() < t_end:  # the final status (published at shutdown)
            if status_sub.poll(100):
                _, payload = status_sub.recv_multipart()
                kind, value = cl.decode_message(payload)
                if kind == "status":
                    last_status = value
    elapsed = time.monotonic() - start
    lost, received, per_epoch = lost_readouts([t for _, _, t, _ in finished if t is not None and len(t)])
    s = last_status
    counted = (s.get("readout_drops") or 0) + (s.get("publish_drops") or 0)
    kibs = [v for _, v in rss if v is not None]
    minutes_ = [m for m, v in rss if v is not None]
    late = [(m, v) for m, v in rss if v is not None and m >= 5]
    sent_main = sum(soak.sent.values())
    result = {
        "command": " ".join(sys.argv),
        "serve": " ".join(serve_cmd),
        "duration_s": round(elapsed, 1),
        "server_exit_code": server.returncode,
        "server_died_during_run": crashed,
        "rss_kib": {"first": kibs[0] if kibs else None, "last": kibs[-1] if kibs else None,
                    "at_end": kib_end, "max": max(kibs) if kibs else None, "min": min(kibs) if kibs else None,
                    "slope_kib_per_min": slope_per_min(minutes_, kibs),
                    "slope_kib_per_min_after_5_min": slope_per_min([m for m, _ in late], [v for _, v in late]),
                    "series": rss},
        "recorder": {"segments": len(finished), "exit_codes": [rc for rc, _, _, _ in finished],
                     "exited_by_itself": [k_ for k_, (_, _, _, by) in enumerate(finished) if by],
                     "died_during_run": recorder_died,
                     "readouts_received_unique": received, "lost_readouts": lost, "per_epoch": per_epoch,
                     "segment_missing_ticks": [sm.get("missing_ticks") for _, sm, _, _ in finished]},
        "server_counted_drops": {"readout_drops": s.get("readout_drops"), "publish_drops": s.get("publish_drops"),
                                 "sum": counted},
        "lost_beyond_counted": max(0, lost - counted),
        "final_status": {key: s.get(key) for key in (
            "server_ticks", "epoch", "uptime_s", "deadline_misses", "resyncs", "readout_drops", "spike_drops",
            "event_drops", "status_drops", "safety_drops", "publish_drops", "commands_received", "commands_refused", "commands_dropped",
            "ack_drops", "lateness_total_p99_us", "lateness_total_p999_us", "lateness_total_max_us")},
        "frames_sent_main_dealer": sent_main,
        "frames_oversize_throwaway": soak.oversize_sent,
        "acks_received": soak.acks_total,
        "acks_missing": sent_main - soak.acks_total,
        "unacked_kinds": dict(collections.Counter(k for k, _ in soak.pending.values()) +
                              collections.Counter(soak.seq0_kinds)),
        "sent_by_kind": dict(soak.sent),
        "acks_by_kind_code": {f"{a}/{b}": n for (a, b), n in sorted(soak.acks.items())},
        "unexpected": {f"{a}/{b}": n for (a, b), n in sorted(soak.unexpected.items())},
        "reason_examples": {f"{a}/{b}": r for (a, b), r in sorted(soak.examples.items())},
    }
    with open(os.path.join(args.out, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    brief = {k_: v for k_, v in result.items() if k_ not in ("reason_examples", "acks_by_kind_code")}
    brief["rss_kib"] = {k_: v for k_, v in result["rss_kib"].items() if k_ != "series"}
    say(json.dumps(brief, indent=1))
    slope = result["rss_kib"]["slope_kib_per_min_after_5_min"]
    say("soak: RSS slope after minute 5: " + (f"{slope:g} kB/min over {len(late)} samples" if slope is not None else
                                               f"none ({len(late)} sample(s) after minute 5: a run of "
                                               f"{elapsed / 60:.1f} min logging every {args.log_every_s:g} s)"))
    # A run whose server's memory was never read has not shown that it holds: not a PASS (an empty series passed).
    # Nor one whose recorder died or recorded nothing: its lost readouts (0) are then of no recording at all.
    codes = result["recorder"]["exit_codes"]
    failed = [why for why, bad in (
        (f"server exited with {crashed} during the run", crashed is not None),
        (f"server exit code {server.returncode}", crashed is None and server.returncode != 0),
        (recorder_died, recorder_died is not None),
        (f"recorder segment(s) {result['recorder']['exited_by_itself']} exited by themselves",
         recorder_died is None and bool(result["recorder"]["exited_by_itself"])),
        (f"recorder exit codes {codes} (0 when stopped)", any(rc != 0 for rc in codes)),
        ("no readout received by the recorder", received == 0),
        (f"{result['lost_beyond_counted']} readouts lost beyond the server's counted drops",
         result["lost_beyond_counted"] != 0),
        (f"{result['acks_missing']} acks missing", result["acks_missing"] != 0),
        (f"unexpected acks {result['unexpected']}", bool(result["unexpected"])),
        ("no RSS sample of the server", not kibs)) if bad]
    say(f"soak: {'FAIL: ' + '; '.join(failed) if failed else 'PASS'} (out: {args.out})")
    return 1 if failed else 0


if __name__ == "__main__":
    # SIGTERM as Ctrl-C: the recorders stopped (what they received written), the server ended, one line, exit 143.
    sys.exit(cli.run(main, sigterm=True))
