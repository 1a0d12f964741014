"""Runs a controller of `controllers.py` against a `cortexloop serve` over ZeroMQ (the external loop).

    server = start_server(mode="stepped", config="configs/zerlaut2018_network.toml", sets=[...])
    client = Client(server.commands, server.pub); client.sync()
    rec = run_loop(client, controller, sense=sense_exc_rate, duration_s=3.0, stepped=True)

`apply_command` is the one place that turns a device-neutral `StimCommand` into a wire command (today
SetStimulation, docs/protocol.md); switching to other device commands means changing that function.

Stepped mode (deterministic co-simulation): the loop steps one tick, waits for its readout, lets the controller
decide and sends its commands before the next Step, so every command is applied at the start of the next tick
(sense->stimulate latency exactly one tick). Realtime mode: the loop answers readouts as they arrive; the
latency is whatever the machine gives (bench/closed_loop_latency.py measures it).
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import zmq

from . import _protocol as p
from .client import Client
from .mpl import pyplot
from .style import EXC_COLOUR, INH_COLOUR
from .timeline import restart, smooth
from .cli import (FIGURE_FILE_HELP, ServerExited, ToolError, figure_arg, figure_file, file_arg, plural,  # noqa: F401
                  positive_float, positive_int)
from .cli import with_folder, writable_file  # noqa: F401  (with_folder for the examples)

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
DEFAULT_BIN = os.environ.get("CORTEXLOOP_BIN", os.path.join(REPO, "build", "cortexloop"))


def apply_command(client, cmd):
    """Sends one StimCommand as SetStimulation; returns the command's seq (match it with its ack)."""
    if cmd.waveform == "off":
        return client.clear(cmd.channel)
    return client.stimulate(cmd.amplitude_pA, waveform=cmd.waveform, population=cmd.population,
                            channel=cmd.channel, frequency_hz=cmd.frequency_Hz, pulse_width_ms=cmd.pulse_width_ms,
                            biphasic=cmd.biphasic, delay_ms=cmd.delay_ms, duration_ms=cmd.duration_ms,
                            ring_position_mm=cmd.ring_position_mm, width_mm=cmd.width_mm)


# --- what the loop senses ------------------------------------------------------------------------------------
def sense_exc_rate(r):
    return r["exc"]["rate_hz"]


def sense_inh_rate(r):
    return r["inh"]["rate_hz"]


def sense_lfp(r):
    return r["lfp_proxy_na"]


def sense_ring(key, unit):
    """The ring's `key` ("ring_rates_exc_hz" or "vsdi_percent") at one unit."""
    def sense(r):
        return float(r[key][unit])
    return sense


SENSORS = {"exc_rate": sense_exc_rate, "inh_rate": sense_inh_rate, "lfp": sense_lfp}


# --- a server of our own -------------------------------------------------------------------------------------
# serve binds a free loopback port of the system's choice and writes what it bound to --endpoints-file: a port
# picked free here beforehand could be taken by another program (any outgoing TCP connection takes its local port
# from the same range) before serve bound it, and serve then failed with "Address already in use" (seen in CI's
# parallel tests).
ANY_PORT = "tcp://127.0.0.1:*"


def exit_reason(proc, stderr=None):
    """None while `proc`, a `cortexloop serve`, runs; else its exit code and the end of its stderr (a config error, a
    port) when that went to a pipe of ours (proc.stderr) or to a file of ours (`stderr`, read from its start)."""
    if proc.poll() is None:
        return None
    text = ""
    if proc.stderr is not None:
        text = proc.stderr.read()
    elif hasattr(stderr, "seek"):
        stderr.seek(0)
        text = stderr.read()
    text = (text.decode("utf-8", "replace") if isinstance(text, bytes) else text).strip()[-2000:]
    text = text.replace("\nRun with --help for more information.", "")  # CLI11's, about serve's own options
    return f"cortexloop serve exited with code {proc.returncode}" + (f": {text}" if text else "")


def read_endpoints(path, proc, stderr=None, timeout=600.0):
    """(pub, commands) from the --endpoints-file of `proc`, a `cortexloop serve` started with it: waits for the file
    (serve writes it once bound, after the network's set-up), or raises ServerExited (exit_reason) if serve ends
    first."""
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise ServerExited(exit_reason(proc, stderr))
        if time.monotonic() > end:
            raise RuntimeError(f"cortexloop serve wrote no {path} in {timeout:.0f} s")
        time.sleep(0.01)
    with open(path) as f:
        endpoints = dict(line.split(" ", 1) for line in f.read().splitlines())
    return endpoints["pub"], endpoints["commands"]


def serve_on_free_ports(args, **popen_args):
    """Starts `args`, a `cortexloop serve` command line without --pub and --commands, on free loopback ports and
    waits until it has bound them: (the Popen, pub endpoint, commands endpoint)."""
    with tempfile.TemporaryDirectory(prefix="cortexloop-serve-") as folder:
        path = os.path.join(folder, "endpoints")
        proc = subprocess.Popen([*args, "--pub", ANY_PORT, "--commands", ANY_PORT, "--endpoints-file", path],
                                **popen_args)
        try:
            return (proc, *read_endpoints(path, proc, popen_args.get("stderr")))
        except BaseException:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            raise


def end_process(proc, timeout=20.0, sig=signal.SIGTERM):
    """Ends `proc`, a Popen, if it still runs (`sig`, SIGTERM; SIGKILL after `timeout` s), reaps it and returns its exit
    code. The bench tools end their servers and recorders with it in a `finally`, so that whatever ends them (an error,
    Ctrl-C, SIGTERM under cli.run(main, sigterm=True)) leaves none running."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class Server:
    """`cortexloop serve` on free loopback ports (`pub`, `commands`: the endpoints it bound; the constructor returns
    once it has bound them); stop() ends it (SIGTERM)."""

    def __init__(self, config, mode="stepped", seed=1, sets=(), binary=None, extra=(), quiet=True):
        binary = binary or DEFAULT_BIN
        if not os.path.exists(binary):
            raise FileNotFoundError(f"{binary} not found: build it first (scripts/build.sh) or pass --bin / "
                                    "CORTEXLOOP_BIN")
        args = [binary, "serve", "--config", config, "--mode", mode, "--seed", str(seed), *extra]
        for s in sets:
            args += ["--set", s]
        self.args = args
        # Quiet keeps the server's stderr aside (not on the terminal) so that a failure can say why it exited.
        self.stderr = tempfile.TemporaryFile() if quiet else None
        self.proc, self.pub, self.commands = serve_on_free_ports(args, stderr=self.stderr)

    def exit_reason(self):
        if self.stderr is not None and self.stderr.closed:
            return self._reason
        return exit_reason(self.proc, self.stderr)

    def stop(self, timeout=20, check=False):
        """Ends the server (SIGTERM) and returns its exit code. With check, raises unless it exited cleanly (0): a
        client that got every readout sees nothing of a crash at shutdown or a sanitizer's report at exit (ASan's
        leak check), so a run that ignored the code passed with them."""
        end_process(self.proc, timeout)
        if self.stderr is not None and not self.stderr.closed:
            # The reason is read before the file closes (a caller may still ask for it), and the file is closed
            # here rather than left to the garbage collector (a ResourceWarning in every test that started one).
            self._reason = self.exit_reason()
            self.stderr.close()
        if check and self.proc.returncode != 0:
            raise ServerExited(self.exit_reason())
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.stop(check=exc_type is None)  # an exception on its way out is the one to see


def start_server(config, mode="stepped", seed=1, sets=(), binary=None, extra=(), quiet=True):
    return Server(config, mode, seed, sets, binary, extra, quiet)


def connect(server, timeout=30.0):
    client = Client(server.commands, server.pub)
    end = time.monotonic() + timeout
    said = False
    while time.monotonic() < end:  # in short attempts: a server that exits at start is reported at once
        if client.sync(min(2.0, max(0.1, end - time.monotonic()))):
            return client
        if not said:
            print(f"waiting for cortexloop serve at {server.commands} (up to {timeout:g} s) ...", flush=True)
            said = True
        reason = server.exit_reason() if hasattr(server, "exit_reason") else None
        if reason:
            client.close()
            raise ServerExited(reason)
    client.close()
    raise ToolError(f"no answer from cortexloop serve at {server.commands} in {timeout:g} s (is it running there, "
                    "with these endpoints?)")


def newest_status(client, timeout=2.5):
    """The newest Status (a dict) waiting on `client`'s stream, which must subscribe to "status", or the first to come
    within `timeout` s (the server publishes one a second); None without one. Other messages are read and dropped,
    for `timeout` s at most (a stream of readouts less than 10 ms apart never leaves the queue empty)."""
    status, end = None, time.monotonic() + timeout
    while time.monotonic() < end and status is None:
        m = client.receive(0.5)
        while m is not None and time.monotonic() < end:
            if m[1] == "status":
                status = m[2]
            m = client.receive(0.01)
    return status


def scheduling_line(status):
    """What scheduling the server got, from its Status: a bench's line that names `serve --rt` must not read as
    SCHED_FIFO with locked memory when the system refused them (it says so in Status.scheduling; next_tick.py
    printed "serve --rt: ..." for a server under SCHED_OTHER: an outside check, 2026-12-06)."""
    if status is None:
        return "server: no status received: the scheduling it got is not known"
    return (f"server: {status['scheduling']}; deadline misses {status['deadline_misses']}, lateness p99.9 "
            f"(all ticks) {status['lateness_total_p999_us']:.0f} us")


# --- the loop ------------------------------------------------------------------------------------------------
class Recording:
    """Per-readout arrays of a loop run, plus every command sent and its ack."""

    def __init__(self):
        self.rows = []          # (tick, t_ms, sensed, exc_hz, inh_hz, i_stim_exc_pA, i_stim_inh_pA, ctrl)
        self.commands = []      # dict: tick_decided, seq, command fields
        self.acks = {}          # seq -> Ack
        self.ring = []          # ring exc rates per tick (when present)

    def arrays(self):
        a = np.array(self.rows, dtype=np.float64).reshape(-1, 8)
        out = {"tick": a[:, 0].astype(np.int64), "t_ms": a[:, 1], "sensed": a[:, 2], "rate_exc_Hz": a[:, 3],
               "rate_inh_Hz": a[:, 4], "i_stim_exc_pA": a[:, 5], "i_stim_inh_pA": a[:, 6], "controller": a[:, 7]}
        seqs = [c["seq"] for c in self.commands]
        out["command_tick_decided"] = np.array([c["tick_decided"] for c in self.commands], np.int64)
        out["command_tick_applied"] = np.array([self.acks[s].tick_applied if s in self.acks else -1 for s in seqs],
                                               np.int64)
        out["command_amplitude_pA"] = np.array([c["amplitude_pA"] for c in self.commands], np.float64)
        if self.ring:
            out["ring_rates_exc_Hz"] = np.array(self.ring, np.float32)
        return out

    def save(self, path):
        """The arrays as a compressed .npz at exactly `path` (np.savez given a name appends ".npz" when the name has
        another ending: --out rec.dat wrote rec.dat.npz)."""
        with open(with_folder(path), "wb") as f:
            np.savez_compressed(f, **self.arrays())


def _drain_acks(client, rec):
    while True:
        ack = client.next_ack(0)
        if ack is None:
            return
        rec.acks[ack.seq] = ack
        if not ack.accepted:
            if ack.code_name == "WrongMode":  # every Step of this loop would be refused the same way
                raise ToolError(f"the server refused a command as WrongMode ({ack.reason}): pass --mode to match "
                                "the server's mode")
            print(f"  command {ack.seq} refused: {ack.code_name}: {ack.reason}")


def run_loop(client, controller, sense=sense_exc_rate, duration_s=2.0, stepped=True, setup=None,
             controller_value=None, progress_s=0.5, record_ring=False, chunk_ticks=1, catch_up=True,
             max_hold_ticks=10, decode_device=False, partial_out=None, partial_figure=None):
    """Feeds every readout to `controller.update(t_s, sense(readout))` and sends what it returns.

    setup: optional list of StimCommand sent once before the first tick (e.g. a background sine).
    controller_value: function(controller) -> float recorded per tick (e.g. the PI output).
    chunk_ticks: stepped mode only; readouts per Step (1 = a decision every tick).
    catch_up (realtime mode): when readouts have queued up (the process was descheduled), the controller still
    sees every one of them (its filters stay right) but commands are held until the newest readout, and only
    the last command per channel is sent: a loop that fell behind sends one up-to-date program per channel
    instead of a backlog of stale ones (bench/closed_loop_latency.py, bench/README.md). Note a pulse decided on
    a stale readout is still sent late; a phase-locked loop should check `Recording.commands` tick_decided.
    max_hold_ticks bounds that hold: a client that stays behind (a loaded machine gives it less CPU than 1 kHz
    readouts need) would otherwise never see an empty queue and never send anything; it sends its latest commands
    at least every max_hold_ticks readouts instead.
    decode_device: decode the readouts' device part (client.decode_message), which most of a readout's decoding
    costs; off unless `sense` reads r["device"].
    partial_out: where to save what was recorded when the loop ends early (the server stopped answering, Ctrl-C):
    the examples pass their --out, which the finished run writes itself.
    partial_figure: function(rec) drawing the figure of what was recorded when the loop ends early, as partial_out
    saves it (the examples pass the one that draws their --png)."""
    rec = Recording()
    try:
        _loop(client, controller, sense, duration_s, stepped, setup, controller_value, progress_s, record_ring,
              chunk_ticks, catch_up, max_hold_ticks, decode_device, rec)
    except BaseException:
        if partial_out and rec.rows:  # the run so far is kept: a server that died after minutes lost them all
            rec.save(partial_out)
            print(f"loop ended early: the {len(rec.rows)} ticks received are in {partial_out}", file=sys.stderr,
                  flush=True)
        if partial_figure and rec.rows:
            try:
                partial_figure(rec)
            except Exception as e:  # noqa: BLE001 -- the error that ended the loop is the one to report
                print(f"loop ended early: no figure of the {len(rec.rows)} ticks received ({e})", file=sys.stderr)
        raise
    finally:
        # However the loop ends (its duration, a server gone silent, Ctrl-C), it leaves no stimulation running on the
        # channels it drove: a program sent with no end ran on after the loop (an outside check found an example's
        # 112 pA DC still on after it finished). A server that has gone away is not waited for.
        for channel in sorted({c["channel"] for c in rec.commands}):
            try:
                client.clear(channel)
            except zmq.ZMQError:
                break
    return rec


def _loop(client, controller, sense, duration_s, stepped, setup, controller_value, progress_s, record_ring,
          chunk_ticks, catch_up, max_hold_ticks, decode_device, rec):
    for cmd in setup or []:
        seq = apply_command(client, cmd)
        rec.commands.append({"tick_decided": -1, "seq": seq, **cmd.as_dict()})
    n_ticks = None
    next_print = progress_s
    wall0 = time.monotonic()
    pending = 0
    held = {}          # channel -> (tick decided, StimCommand) not yet sent
    held_readouts = 0  # readouts seen since the oldest held command was decided
    # The last readout's time: a stepped server left unstepped still publishes its status and info every second,
    # so the wait for a readout is timed here, not by receive() alone (a realtime loop against a stepped server
    # hung silently: an outside check, 2026-12-05).
    last_readout = time.monotonic()
    last = None  # (epoch, tick) of the last readout
    # The server's epoch now: what this client's socket holds of an earlier one is stale (a realtime server's readouts
    # queue there between two loops) and is skipped, not taken as the loop's start, which made a Reset before the
    # loop look like one during it (a review, 2026-12-06).
    info = client.info(5.0)
    start_epoch = info["epoch"] if info else None
    server_stepped = info is not None and info["mode"] == p.Mode.Mode.Stepped
    # Stepped: this loop's Steps not yet acked -> the tick of the readout after which each was sent. The server waits
    # there, so it applies the Step on the next tick; a later tick means another client's Step ran it ahead, and
    # every readout the loop decides on is then that far behind the server.
    steps_sent = {}
    while True:
        if stepped and pending == 0:
            steps_sent[client.step(chunk_ticks)] = last[1] if last is not None else None
            pending = chunk_ticks
        m = client.receive(5.0, device=decode_device)
        if m is not None and m[1] == "status" and m[2].get("paused") and (stepped or not server_stepped):
            # A paused server publishes its status and no readout: the loop waits for the Resume (an outside check,
            # 2026-12-06: a pause of 8 s ended it, told to pass --mode stepped to a realtime server).
            last_readout = time.monotonic()
        if m is None or (m[1] != "readout" and time.monotonic() - last_readout > 5.0):
            # (A realtime server refuses this loop's Step as WrongMode, which _drain_acks reports.) A Step that ran
            # the server ahead leaves no readout to come: its ack says so (a review, 2026-12-06).
            _drain_acks(client, rec)
            _check_steps(steps_sent, rec.acks)
            raise ToolError("no readout from the server for 5 s" + (
                " (has it stopped?)" if stepped or not server_stepped else
                " (a stepped server publishes only when stepped: pass --mode stepped)"))
        topic, kind, r = m
        if kind == "ack":
            rec.acks[r.seq] = r
        # A Reset also shows in the epoch of a status (published every second) or an ack: a Reset from another client
        # clears a stepped loop's Step budget, and no readout would come to show it (a test saw the loop wait out
        # its 5 s for one).
        epoch = r.epoch if kind == "ack" else (r.get("epoch") if kind in ("status", "info", "readout") else None)
        if start_epoch is not None and epoch is not None and epoch < start_epoch:
            continue
        if kind != "readout":
            if last is not None and epoch is not None and epoch > last[0]:
                raise ToolError(_moved_on(f"was reset: its {kind} of epoch {epoch}", last))
            continue
        last_readout = time.monotonic()
        # This client's own acks (its DEALER socket), each read once: a refused command is printed with its reason
        # as it happens (the stream's copies above are stored but not reported: they may be another client's).
        _drain_acks(client, rec)
        pending -= 1
        t_s = r["t_ms"] / 1000.0
        if n_ticks is None:
            t0_s = t_s
            n_ticks = 0
            last = (r["epoch"], r["tick"])
        # A Reset (the epoch moves on, the ticks start at 0) or a new server on the same endpoints (the ticks go back):
        # the loop's time and its controller's state belong to the run before. Going on, the controllers compared
        # a time far below their last event and stopped deciding, silently, for as long as the old run had lasted
        # (an outside check, 2026-12-06). The loop ends here; run_loop keeps what it recorded.
        if n_ticks > 0 and (how := restart(last, r["epoch"], r["tick"])) is not None:
            how = "was reset" if how == "Reset" else "was restarted (a new server)"
            raise ToolError(_moved_on(f"{how}: epoch {r['epoch']} tick {r['tick']}", last))
        last = (r["epoch"], r["tick"])
        _check_steps(steps_sent, rec.acks)
        x = sense(r)
        for cmd in controller.update(t_s - t0_s, x):
            held[cmd.channel] = (r["tick"], cmd)
        if held:
            held_readouts += 1
        if held and (stepped or not catch_up or held_readouts >= max_hold_ticks or not client.sub.poll(0)):
            for tick_decided, cmd in held.values():
                seq = apply_command(client, cmd)
                rec.commands.append({"tick_decided": tick_decided, "seq": seq, **cmd.as_dict()})
            held.clear()
            held_readouts = 0
        value = controller_value(controller) if controller_value else 0.0
        rec.rows.append((r["tick"], r["t_ms"], x, r["exc"]["rate_hz"], r["inh"]["rate_hz"], r["exc"]["i_stim_pa"],
                         r["inh"]["i_stim_pa"], value))
        if record_ring and len(r["ring_rates_exc_hz"]):
            rec.ring.append(r["ring_rates_exc_hz"])
        n_ticks += 1
        if progress_s and t_s - t0_s >= next_print:
            rr = np.array(rec.rows[-200:])
            print(f"  t = {t_s - t0_s:6.2f} s  sensed {rr[:, 2].mean():7.2f}  exc {rr[:, 3].mean():6.2f} Hz  "
                  f"stim exc {rr[:, 5].mean():7.1f} pA  commands {len(rec.commands):5d}  "
                  f"wall {time.monotonic() - wall0:5.1f} s", flush=True)
            next_print += progress_s
        if t_s - t0_s >= duration_s - 1e-9:
            break
    # collect the remaining acks
    end = time.monotonic() + 2.0
    while time.monotonic() < end and any(c["seq"] not in rec.acks for c in rec.commands):
        _drain_acks(client, rec)
        m = client.receive(0.05)
        if m and m[1] == "ack":
            rec.acks[m[2].seq] = m[2]


def _check_steps(steps_sent, acks):
    """Ends a stepped loop whose Step the server applied later than the tick after the readout it was sent on: another
    client's Step had run the server ahead (or the loop decides on readouts an earlier loop with chunk_ticks > 1 left
    unread: a review, 2026-12-06), and this loop's commands would be applied that many ticks after their
    decision, not on the next tick (an outside check, 2026-12-06: a `stim step --ticks 50` left a PI clamp 43-51
    ticks late for the rest of its run, exit 0)."""
    for seq in [s for s in steps_sent if s in acks]:
        after, ack = steps_sent.pop(seq), acks[seq]
        if after is not None and ack.accepted and ack.tick_applied > after + 1:
            raise ToolError(f"the server ran ahead of this loop: its Step, sent after the readout of tick {after}, was "
                            f"applied at tick {ack.tick_applied}, and its commands would be applied "
                            f"{ack.tick_applied - after - 1} ticks late (another client stepped the server, or an earlier "
                            f"loop on this client left readouts unread); the loop ends here")


def _moved_on(what, last):
    return (f"the server {what} came after epoch {last[0]} tick {last[1]}, and this loop's time and controller state "
            "belong to the run before; the loop ends here")


def raise_if_refused(rec):
    """ToolError when the server refused a command of the loop (an amplitude above the device's limit, e.g.
    `phase_locked.py --drive-pA 2000`): each refusal is printed as it comes (_drain_acks), and the example, once it
    has saved and drawn the run, exits 1 naming the first, not 0 as if the run had done what was asked (an outside
    check, 2026-12-06). Only this client's commands count (rec.acks also holds the stream's acks of others)."""
    mine = [c["seq"] for c in rec.commands]
    refused = [rec.acks[s] for s in mine if s in rec.acks and not rec.acks[s].accepted]
    if refused:
        raise ToolError(f"the server refused {len(refused)} of the loop's {plural(len(mine), 'command')} "
                        f"(the first: {refused[0].code_name}: {refused[0].reason})")


def endpoint_pair(text):
    """argparse type of --connect: COMMANDS,PUB, each an endpoint ZeroMQ can connect to, as a list of the two. A wrong
    one was found after the parse and exited 1 (a wrong command line is exit 2: an outside audit), or raised a
    ZMQError traceback (bench/closed_loop_latency.py, which uses this one: an outside check, 2026-12-05)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError(f"{text!r}: COMMANDS,PUB, two endpoints separated by a comma "
                                         "(e.g. tcp://127.0.0.1:5556,tcp://127.0.0.1:5555)")
    ctx = zmq.Context.instance()
    for name, endpoint in zip(("COMMANDS", "PUB"), parts):
        sock = ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        try:
            sock.connect(endpoint)  # what ZeroMQ refuses (a transport it lacks, a port above 65535) is refused here
        except zmq.ZMQError as e:
            raise argparse.ArgumentTypeError(f"{name} endpoint {endpoint!r}: {e}") from None
        finally:
            sock.close()
    return parts


def add_server_arguments(parser, config="configs/zerlaut2018_network.toml", neurons=2000, duration_s=3.0):
    """The command-line options every example shares, each checked by the parser (exit 2 naming the option:
    --neurons -5 and --png x.xyz were found after it and exited 1)."""
    parser.add_argument("--config", default=os.path.join(REPO, config), help="server config (default: %(default)s)")
    parser.add_argument("--neurons", type=positive_int, default=neurons,
                        help="network.n_neurons (default %(default)s; the paper's network has 10000; a --set of "
                             "network.n_neurons wins over it)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra config override")
    parser.add_argument("--mode", choices=["stepped", "realtime"], default="stepped",
                        help="stepped: deterministic, one tick per decision (default); realtime: wall-clock paced")
    parser.add_argument("--seed", type=int, default=1, help="serve --seed (default: %(default)s)")
    parser.add_argument("--duration", type=positive_float, default=duration_s,
                        help="seconds of simulated time (default: %(default)s)")
    parser.add_argument("--connect", metavar="COMMANDS,PUB", type=endpoint_pair,
                        help="use a running server (e.g. tcp://127.0.0.1:5556,tcp://127.0.0.1:5555) instead of "
                             "starting one; it must run in the mode --mode names")
    parser.add_argument("--bin", default=DEFAULT_BIN, help="cortexloop executable (default: %(default)s)")
    parser.add_argument("--out", type=file_arg, help="write the recording as .npz here (a folder is refused)")
    parser.add_argument("--png", type=figure_arg,
                        help="write a figure (sensed signal, controller output, stimulation, rates) here: "
                             + FIGURE_FILE_HELP)


class _Connected:
    """A server someone else runs (--connect): neither stopped nor checked here."""

    def __init__(self, commands, pub):
        self.commands, self.pub = commands, pub

    def stop(self, timeout=20, check=False):
        return 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def check_outputs(args):
    """--png's format and where --out and --png go, before the run, not after it (matplotlib refused `--png x.xyz`
    once the loop had run; `--out afile/y.npz`, afile a file, failed after it and the run was lost: an outside check,
    2026-12-06); a name without a suffix is given .png, the file matplotlib writes (cli.figure_file)."""
    if getattr(args, "png", None):
        args.png = figure_file(args.png, "--png")
    for option in ("--out", "--png"):
        if path := getattr(args, option[2:], None):
            writable_file(path, option)


def server_from_args(args):
    check_outputs(args)
    if args.connect:
        return _Connected(*args.connect)  # checked by endpoint_pair
    # The user's own --set network.n_neurons wins over --neurons (serve refuses a key given twice).
    own_size = any(s.split("=", 1)[0].strip() == "network.n_neurons" for s in args.set)
    sets = ([f"network.n_neurons={args.neurons}"] if args.neurons and not own_size else []) + list(args.set)
    print(f"starting cortexloop serve --mode {args.mode} --config {os.path.relpath(args.config)} "
          + " ".join("--set " + s for s in sets), flush=True)
    return Server(args.config, args.mode, args.seed, sets, args.bin)


def figure(rec, path, title, sensed_label="sensed", controller_label="controller output", marks=None,
           smooth_ms=5, sensed_extra=(), marks_label="marks"):
    """Four panels: sensed signal, controller output, stimulation current, population rates.
    marks: times (s) drawn as vertical lines on the controller panel (e.g. bursts, pulses), named in its legend by
    marks_label (they were in no legend: an outside check, 2026-12-06); sensed_extra: (t_s, y, label) lines."""
    plt = pyplot()
    from .marks import LEGEND_ABOVE

    # Each panel's legend above it, right of the panel (as plot.py's): inside, at the upper right, it covered the last
    # 0.4 s of pi_clamp.py's traces (an outside check, 2026-12-06).
    above_right = {**LEGEND_ABOVE, "fontsize": 8, "ncol": 4}
    a = rec.arrays()
    t = a["t_ms"] / 1000.0
    fig, ax = plt.subplots(4, 1, figsize=(10, 8), sharex=True)
    ax[0].plot(t, a["sensed"], lw=0.5, color="0.6", label="per tick")
    ax[0].plot(t, smooth(a["sensed"], smooth_ms), lw=1, color="k", label=f"{smooth_ms} ms mean")
    for tx, y, label in sensed_extra:
        ax[0].plot(tx, y, lw=1.2, label=label)
    ax[0].set_ylabel(sensed_label)
    ax[0].legend(**above_right)
    ax[1].plot(t, a["controller"], color="tab:purple")
    ax[1].set_ylabel(controller_label)
    marks = [] if marks is None else list(marks)
    for k, m in enumerate(marks):
        ax[1].axvline(m, color="tab:red", lw=0.5, alpha=0.6, label=f"{marks_label} ({len(marks)})" if k == 0 else None)
    if marks:
        ax[1].legend(**above_right)
    ax[2].plot(t, a["i_stim_exc_pA"], color=EXC_COLOUR, label="exc")
    ax[2].plot(t, a["i_stim_inh_pA"], color=INH_COLOUR, label="inh")
    ax[2].set_ylabel("stimulation\n(pA per cell)")
    ax[2].legend(**above_right)
    ax[3].plot(t, smooth(a["rate_exc_Hz"], smooth_ms), color=EXC_COLOUR, label="exc")
    ax[3].plot(t, smooth(a["rate_inh_Hz"], smooth_ms), color=INH_COLOUR, label="inh")
    ax[3].set_ylabel(f"rate (Hz,\n{smooth_ms} ms mean)")
    ax[3].set_xlabel("simulated time (s)")
    ax[3].legend(**above_right)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(with_folder(path), dpi=110)
    plt.close(fig)
    print(f"wrote {path}")


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name, ["tools/python/examples/pi_clamp.py or another example beside it"])
