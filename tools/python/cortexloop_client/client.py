"""Commands over a DEALER socket (each answered by an ack), the stream over a SUB socket."""
import collections
import collections.abc
import enum
import math
import numbers
import os
import random
import struct
import time
from dataclasses import dataclass

import flatbuffers
import numpy as np
import zmq

from . import _protocol as p
from .cli import ToolError

def _connect(socket, endpoint, which):
    """socket.connect, an endpoint libzmq cannot parse named (its own message is "Invalid argument" alone)."""
    try:
        socket.connect(endpoint)
    except zmq.ZMQError as e:
        raise ToolError(f"{which} endpoint {endpoint!r}: {e} (expected e.g. tcp://127.0.0.1:5556 or ipc:///tmp/x)") \
            from None


ERROR_CODES = {0: "Ok", 1: "Malformed", 2: "UnknownCommand", 3: "OutOfRange", 4: "WrongMode", 5: "QueueFull",
               6: "UnknownParameter", 7: "Busy", 8: "ShuttingDown"}
WAVEFORMS = {"dc": 0, "sine": 1, "pulses": 2, "pulse_train": 2, "arbitrary": 3, "noise": 4}
POPULATIONS = {"exc": 0, "inh": 1}
PARAMETERS = ("network.drive.rate_Hz", "stream.spikes", "stream.readout_every")
# Acks kept for wait_ack while waiting for another one; beyond this the oldest are dropped (a client that
# never asks for its acks must not grow without bound).
MAX_BUFFERED_ACKS = 100000
# How long a send waits for a connection to queue on (ZMQ_IMMEDIATE) before it gives up with an error.
SEND_TIMEOUT_MS = 2000


def _integer(what, value, bits, signed=False):
    """int(value) if value is an integer (any numbers.Integral: numpy's too, not a bool) that the wire's integer field
    of `bits` bits holds, else a ValueError naming `what` (the flatbuffers builder's "bad number -1 for type uint8"
    named no parameter: an outside check, 2026-12-04; np.int64(5) was refused as "must be an integer": one,
    2026-12-06). The server checks the narrower ranges (channel 0-7, slot 0-3) and its refusal names them."""
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not lo <= value <= hi:
        raise ValueError(f"{what} = {value!r}: must be an integer in [{lo}, {hi}]")
    return int(value)


def _whole_us(what, value, unsigned32=False):
    """A time field in whole microseconds: an integer, or a real number with no fraction (500.0), that the wire's field
    holds (uint32 or int64). Else a ValueError naming `what`: int() truncated 0.4 us to 0, which for duration_us means
    "no end" (the stim CLI did the same with --duration 0.0004: an outside check, 2026-12-04), and the builder's
    "bad number" named no field. The server checks the narrower ranges and its refusal names them."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or (
            not isinstance(value, numbers.Integral) and not math.isfinite(value)):
        raise ValueError(f"{what} = {value!r}: must be a whole number of microseconds")
    if not isinstance(value, numbers.Integral):
        if not float(value).is_integer():
            raise ValueError(f"{what} = {value!r}: must be a whole number of microseconds (the wire holds no fraction)")
        value = int(value)
    return _integer(what, value, 32, signed=False) if unsigned32 else _integer(what, value, 64, signed=True)


def _real(what, value, float32=False):
    """float(value) for the wire's double (or, float32, its float: a value beyond float32's range made the builder's
    struct.pack raise "float too large to pack" naming no field), else a ValueError naming `what` ("x" was a
    struct.error: an outside check, 2026-12-06). NaN and infinities are numbers the wire holds: the server refuses
    them where they mean nothing, naming the field."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what} = {value!r}: must be a real number")
    value = float(value)
    if float32:
        try:
            struct.pack("<f", value)
        except OverflowError:
            raise ValueError(f"{what} = {value!r}: beyond the range of the wire's float32 (±3.4e38)") from None
    return value


def _boolean(what, value):
    """bool(value) for the wire's bool: True or False (numpy's too), else a ValueError naming `what` (the builder
    packed any object by its truth, "no" as True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{what} = {value!r}: must be True or False")
    return bool(value)


def _reals(what, values):
    """The floats of a [float] field (Program.samples), each checked by _real: "could not convert string to float" and
    len(None)'s TypeError named neither the field nor the sample."""
    if isinstance(values, (str, bytes)) or not isinstance(values, collections.abc.Iterable):
        raise ValueError(f"{what} = {values!r}: must be a sequence of real numbers")
    return [_real(f"{what}[{k}]", x, float32=True) for k, x in enumerate(values)]


def _lookup(table, name, what):
    """table[name], or a ValueError naming what was wrong and what is allowed (not a bare KeyError)."""
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError(f"{what} {name!r} is not one of {', '.join(map(repr, table))}") from None


CONTROLLERS = {"open_loop": 1, "responsive": 2, "pi_clamp": 3, "phase_locked": 4, "external": 5}
FEATURES = {"raw": 0, "filtered": 1, "rms": 2, "envelope": 3}
SAFETY_LIMITS = ["none", "max_current", "charge_per_phase", "charge_density", "net_charge", "pulse_rate",
                 "compliance", "direct_current", "watchdog", "model_domain"]
# A readout's enum fields (a controller's kind, a channel's site kind) as IntEnums named as this API names them: they
# equal the schema's numbers (code comparing with 3 keeps working) and print as names (<ControllerKind.pi_clamp: 3>,
# where a printed readout said 3).
ControllerKind = enum.IntEnum("ControllerKind", {"none": 0, **CONTROLLERS})
SiteKind = enum.IntEnum("SiteKind", {"population": 0, "ring_position": 1, "electrode": 2})


def _named(kind, value):
    """value as a member of the IntEnum `kind`, or the number itself if a newer server sends one it does not know."""
    return kind(value) if value in kind._value2member_map_ else value


@dataclass
class Site:
    """Where a program acts: direct population / ring position (pA per cell), or an electrode (uA)."""
    kind: str = "population"  # population | ring_position | electrode
    population: str = "exc"
    position_mm: float = 0.0
    width_mm: float = 1.5
    electrode: int = 0


@dataclass
class Program:
    """A channel's program; times in whole microseconds (docs/device.md)."""
    waveform: str = "dc"
    amplitude: float = 0.0
    offset: float = 0.0
    frequency_hz: float = 0.0
    phase_deg: float = 0.0
    ramp_up_us: int = 0
    ramp_down_us: int = 0
    phase_width_us: int = 0
    interphase_gap_us: int = 0
    monophasic: bool = False
    # PulseTrain's first phase positive. None (the default): as `cortexloop stim` does, positive at a direct site (pA
    # per cell: the depolarizing phase) and cathodic (negative) at an electrode; the wire's default is cathodic at
    # every site, so a monophasic train to a population came out negative (an outside check, 2026-12-06).
    anodic_first: bool | None = None
    pulses_per_burst: int = 0
    burst_period_us: int = 0
    n_bursts: int = 0
    delay_us: int = 0
    duration_us: int = 0
    samples: tuple = ()
    sample_period_us: int = 100  # arbitrary: each sample's duration; noise: the hold time
    repeat: bool = True
    noise_seed: int = 1


_SITE_KINDS = {k.name: int(k) for k in SiteKind}
# set_controller's parameters and the check of each one's wire type (table SetController: double, bool, long in us).
_CONTROLLER_PARAMS = {"threshold": _real, "rising": _boolean, "refractory_us": _whole_us, "target": _real, "kp": _real,
                      "ki_per_s": _real, "output_min": _real, "output_max": _real, "invert": _boolean,
                      "target_phase_deg": _real, "min_interval_us": _whole_us, "loop_delay_us": _whole_us,
                      "timeout_us": _whole_us, "ramp_down_us": _whole_us, "period_us": _whole_us}


def _build_site(b, site, what):
    """The Site table; `what` names the site in errors (programs[2].site, output_site)."""
    S = p.Site
    S.SiteStart(b)
    S.SiteAddKind(b, _lookup(_SITE_KINDS, site.kind, f"{what}.kind"))
    S.SiteAddPopulation(b, _lookup(POPULATIONS, site.population, f"{what}.population"))
    S.SiteAddPositionMm(b, _real(f"{what}.position_mm", site.position_mm, float32=True))
    S.SiteAddWidthMm(b, _real(f"{what}.width_mm", site.width_mm, float32=True))
    S.SiteAddElectrode(b, _integer(f"{what}.electrode", site.electrode, 8))
    return S.SiteEnd(b)


def _build_channel_program(b, channel, site, program, names):
    """The ChannelProgram table. names: how errors name the channel, the site and the program, (programs[2].channel,
    programs[2].site, programs[2].program) in set_programs, (output_channel, output_site, output_program) in
    set_controller; every field is checked against its wire type (io/protocol/schema/cortexloop.fbs, table Program),
    so that a bad one is a ValueError naming it, never the builder's TypeError or struct.error naming none."""
    channel_name, site_name, what = names
    samples = None
    # Samples given on another waveform are sent too, for the server to refuse (OutOfRange, docs/protocol.md): left
    # out, a mistaken program was accepted without them (an outside check, 2026-12-06).
    if program.waveform == "arbitrary" or len(program.samples) > 0:
        values = _reals(f"{what}.samples", program.samples)
        P = p.Program
        P.ProgramStartSamplesVector(b, len(values))
        for x in reversed(values):
            b.PrependFloat32(x)
        samples = b.EndVector()
    site = site or Site()
    site_off = _build_site(b, site, site_name)
    anodic_first = program.anodic_first if program.anodic_first is not None else site.kind != "electrode"
    P = p.Program
    P.ProgramStart(b)
    P.ProgramAddWaveform(b, _lookup(WAVEFORMS, program.waveform, f"{what}.waveform"))
    P.ProgramAddAmplitude(b, _real(f"{what}.amplitude", program.amplitude))
    P.ProgramAddOffset(b, _real(f"{what}.offset", program.offset))
    P.ProgramAddFrequencyHz(b, _real(f"{what}.frequency_hz", program.frequency_hz))
    P.ProgramAddPhaseDeg(b, _real(f"{what}.phase_deg", program.phase_deg))
    P.ProgramAddRampUpUs(b, _whole_us(f"{what}.ramp_up_us", program.ramp_up_us))
    P.ProgramAddRampDownUs(b, _whole_us(f"{what}.ramp_down_us", program.ramp_down_us))
    P.ProgramAddPhaseWidthUs(b, _whole_us(f"{what}.phase_width_us", program.phase_width_us, unsigned32=True))
    P.ProgramAddInterphaseGapUs(b, _whole_us(f"{what}.interphase_gap_us", program.interphase_gap_us, unsigned32=True))
    P.ProgramAddMonophasic(b, _boolean(f"{what}.monophasic", program.monophasic))
    P.ProgramAddAnodicFirst(b, _boolean(f"{what}.anodic_first", anodic_first))
    P.ProgramAddPulsesPerBurst(b, _integer(f"{what}.pulses_per_burst", program.pulses_per_burst, 32))
    P.ProgramAddBurstPeriodUs(b, _whole_us(f"{what}.burst_period_us", program.burst_period_us))
    P.ProgramAddNBursts(b, _integer(f"{what}.n_bursts", program.n_bursts, 32))
    P.ProgramAddDelayUs(b, _whole_us(f"{what}.delay_us", program.delay_us))
    P.ProgramAddDurationUs(b, _whole_us(f"{what}.duration_us", program.duration_us))
    if samples is not None:
        P.ProgramAddSamples(b, samples)
        P.ProgramAddRepeat(b, _boolean(f"{what}.repeat", program.repeat))
    P.ProgramAddSamplePeriodUs(b, _whole_us(f"{what}.sample_period_us", program.sample_period_us, unsigned32=True))
    P.ProgramAddNoiseSeed(b, _integer(f"{what}.noise_seed", program.noise_seed, 64))
    prog = P.ProgramEnd(b)
    CP = p.ChannelProgram
    CP.ChannelProgramStart(b)
    CP.ChannelProgramAddChannel(b, _integer(channel_name, channel, 8))
    CP.ChannelProgramAddSite(b, site_off)
    CP.ChannelProgramAddProgram(b, prog)
    return CP.ChannelProgramEnd(b)


def _device(d):
    if d is None:
        return None
    sensing = [{"signal": x.Signal(), "raw": x.Raw(), "filtered": x.Filtered(), "rms": x.Rms(),
                "envelope": x.Envelope(), "phase_rad": x.PhaseRad(), "blanked": x.Blanked()}
               for x in (d.Sensing(i) for i in range(d.SensingLength()))]
    channels = [{"mean_current": x.MeanCurrent(), "peak_current": x.PeakCurrent(), "charge": x.Charge(),
                 "active": x.Active(), "site_kind": _named(SiteKind, x.SiteKind())}
                for x in (d.Channels(i) for i in range(d.ChannelsLength()))]
    controllers = [{"kind": _named(ControllerKind, x.Kind()), "saturated": x.Saturated(), "feature": x.Feature(), "output": x.Output(),
                    "error": x.Error(), "triggers": x.Triggers(), "last_trigger_step": x.LastTriggerStep()}
                   for x in (d.Controllers(i) for i in range(d.ControllersLength()))]
    events = [_safety(d.Events(i)) for i in range(d.EventsLength())]
    electrodes = [d.ElectrodeMeanUa(i) for i in range(d.ElectrodeMeanUaLength())]
    return {"sensing": sensing, "channels": channels, "controllers": controllers, "events": events,
            "electrode_mean_ua": electrodes, "events_total": d.EventsTotal(), "events_dropped": d.EventsDropped(),
            "ring_units_out_of_domain": d.RingUnitsOutOfDomain(), "ring_max_mu_v_mv": d.RingMaxMuVMv()}


def _safety(e):
    limit = e.Limit()
    return {"step": e.Step(), "channel": e.Channel(), "electrode": e.Electrode(),
            "limit": SAFETY_LIMITS[limit] if limit < len(SAFETY_LIMITS) else str(limit), "value": e.Value(),
            "bound": e.Bound(), "reason": (e.Reason() or b"").decode("utf-8", "replace"), "epoch": e.Epoch()}


@dataclass
class Ack:
    seq: int
    accepted: bool
    code: int
    reason: str
    tick_applied: int
    epoch: int
    client_send_ns: int
    server_recv_ns: int
    server_applied_ns: int
    server_send_ns: int
    recv_ns: int = 0
    info: dict = None  # the ack of GetInfo: the server's shape (see decode_info)

    @property
    def code_name(self):
        return ERROR_CODES.get(self.code, str(self.code))


def _table(msg, cls):
    t = msg.Payload()
    obj = cls()
    obj.Init(t.Bytes, t.Pos)
    return obj


def _population(r):
    return {"rate_hz": r.RateHz(), "mean_v_mv": r.MeanVMv(), "mean_w_pa": r.MeanWPa(), "i_stim_pa": r.IStimPa(),
            "spikes": r.Spikes()}


def _aln(a):
    """The [aln] node's readout (None when the server runs none): rates of E and I in Hz, V_mean of E, I_A of E."""
    if a is None:
        return None
    return {"rate_e_hz": a.RateEHz(), "rate_i_hz": a.RateIHz(), "v_mean_e_mv": a.VMeanEMv(), "i_a_pa": a.IAPa(),
            "diverged": a.Diverged(), "out_of_table": a.OutOfTable()}


def _floats(obj, name):
    if getattr(obj, name + "IsNone")():
        return np.zeros(0, np.float32)
    return np.asarray(getattr(obj, name + "AsNumpy")(), dtype=np.float32)


_INFO_FIELDS = ["Mode", "DtMs", "TickMs", "StepsPerTick", "Seed", "Epoch", "NExc", "NInh", "RingUnits",
                "RingLengthMm", "StimChannels", "MaxDriveRateHz", "MaxCommandBytes", "Aln", "CommandsApplied",
                "Electrodes", "SensingChannels", "SchemaVersion"]
_SAFETY_FIELDS = ["MaxCurrentUa", "MaxChargePerPhaseNc", "ShannonK", "MaxNetChargeNc", "NetChargeWindowMs",
                  "MaxPulseRateHz", "ComplianceV", "MaxDirectPa"]
_BUILD_TEXT = ["Version", "GitCommit", "Compiler", "BuildType", "Flags", "FpContract", "Isa"]


def decode_info(i):
    """Every field of an Info as a dict, its Build as a dict under "build" (commands_applied and build were left
    out, and a client reading them got a KeyError: an outside check, 2026-12-04)."""
    out = {_snake(f): getattr(i, f)() for f in _INFO_FIELDS}
    out["version"] = (i.Version() or b"").decode()
    out["config_toml"] = (i.ConfigToml() or b"").decode()
    out["network_model"] = (i.NetworkModel() or b"").decode()  # "" from a server before schema_version 2
    b = i.Build()
    out["build"] = {} if b is None else {
        **{_snake(f): (getattr(b, f)() or b"").decode() for f in _BUILD_TEXT},
        "march_native": b.MarchNative(), "portable": b.Portable()}
    s = i.Safety()  # the device's safety limits in force, defaults included (docs/device.md, "Safety")
    out["safety"] = {} if s is None else {_snake(f): getattr(s, f)() for f in _SAFETY_FIELDS}
    return out


_STATUS_FIELDS = [
    "Mode", "Paused", "ServerTicks", "EngineTick", "Epoch", "UptimeS", "WindowS", "WindowTicks", "RealtimeFactor",
    "DeadlineMisses", "WindowDeadlineMisses", "LatenessP50Us", "LatenessP99Us", "LatenessP999Us", "LatenessMaxUs",
    "ComputeP50Us", "ComputeP99Us", "ComputeMaxUs", "ReadoutDrops", "SpikeDrops", "CommandsReceived",
    "CommandsRefused", "CommandsDropped", "RtCpuPercent", "IoCpuPercent", "RateExcHz", "RateInhHz", "Scheduling",
    "Resyncs", "LatenessTotalP99Us", "LatenessTotalP999Us", "LatenessTotalMaxUs", "EventDrops", "PublishDrops",
    "AckDrops", "Curve", "CurveAccepted", "CurveDenied", "WorkerImbalance", "TicksSkipped",
    "ReadoutAgeP99Us", "ReadoutAgeMaxUs", "ReadoutEvery", "StatusDrops", "SafetyDrops"]


def _snake(name):
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper() and i > 0:
            out += "_"
        out += ch.lower()
    return out


def decode_message(payload, device=True):
    """(kind, value) for a Message buffer: ("readout", dict), ("status", dict), ("ack", Ack), ("spikes", dict),
    ("info", dict), ("safety", dict), ("applied", dict).
    device=False leaves a readout's "device" None: decoding it is most of a readout's cost (~0.1 ms of Python per
    readout on this project's machine), which a loop that keeps up with 1 kHz readouts on a loaded machine cannot
    spend on a part it does not read."""
    buf = bytearray(payload)
    if len(buf) < 8 or bytes(buf[4:8]) != p.IDENTIFIER:
        raise ValueError("not a cortexloop Message")
    msg = p.Message.Message.GetRootAs(buf, 0)
    kind = msg.PayloadType()
    if kind == p.Payload.Payload.Readout:
        r = _table(msg, p.Readout.Readout)
        return "readout", {
            "tick": r.Tick(), "epoch": r.Epoch(), "t_ms": r.TMs(), "tick_start_ns": r.TickStartNs(),
            "publish_ns": r.PublishNs(), "exc": _population(r.Exc()), "inh": _population(r.Inh()),
            "lfp_proxy_na": r.LfpProxyNa(), "diverged": r.Diverged(),
            "ring_rates_exc_hz": _floats(r, "RingRatesExcHz"), "vsdi_percent": _floats(r, "VsdiPercent"),
            "ring_stim_pa": _floats(r, "RingStimPa"), "ring_rates_inh_hz": _floats(r, "RingRatesInhHz"),
            "device": _device(r.Device()) if device else None, "aln": _aln(r.Aln()),
            "ring_out_of_table": r.RingOutOfTable()}
    if kind == p.Payload.Payload.Status:
        s = _table(msg, p.Status.Status)
        out = {_snake(f): getattr(s, f)() for f in _STATUS_FIELDS}
        out["scheduling"] = (out["scheduling"] or b"").decode(errors="replace")
        # Per network worker (simulation.threads; 0 is the real-time thread): mean compute time per tick, us.
        out["worker_compute_us"] = [] if s.WorkerComputeUsIsNone() else s.WorkerComputeUsAsNumpy().tolist()
        return "status", out
    if kind == p.Payload.Payload.Ack:
        a = _table(msg, p.Ack.Ack)
        info = a.Info()
        # errors="replace": a reason is UTF-8 from this server, but a client must survive any bytes.
        return "ack", Ack(a.Seq(), a.Accepted(), a.Code(), (a.Reason() or b"").decode(errors="replace"),
                          a.TickApplied(), a.Epoch(), a.ClientSendNs(), a.ServerRecvNs(), a.ServerAppliedNs(),
                          a.ServerSendNs(), info=decode_info(info) if info is not None else None)
    if kind == p.Payload.Payload.Info:
        return "info", decode_info(_table(msg, p.Info.Info))
    if kind == p.Payload.Payload.SpikeBatch:
        b = _table(msg, p.SpikeBatch.SpikeBatch)
        return "spikes", {"tick": b.Tick(), "epoch": b.Epoch(), "step": b.StepAsNumpy(), "neuron": b.NeuronAsNumpy(),
                          "dt_ms": b.DtMs()}
    if kind == p.Payload.Payload.SafetyEvent:
        return "safety", _safety(_table(msg, p.SafetyEvent.SafetyEvent))
    if kind == p.Payload.Payload.Applied:
        # Every command the real-time thread applied, in order (topic "applied", docs/protocol.md); `command` is the
        # Message{Command} as its client sent it (decoded as ("command", ...) is not needed by a reader of the log).
        a = _table(msg, p.Applied.Applied)
        return "applied", {"index": a.Index(), "tick": a.Tick(), "epoch": a.Epoch(), "accepted": a.Accepted(),
                           "code": a.Code(), "tick_applied": a.TickApplied(), "epoch_applied": a.EpochApplied(),
                           "seq": a.Seq(), "command": b"" if a.CommandIsNone() else a.CommandAsNumpy().tobytes()}
    return "other", None


def decode_readout_rates(payload):
    """The few fields of a readout that a rate experiment needs, without decoding the device, ring and status
    parts (decode_message of every 1-ms readout costs ~1 ms of Python, most of it the device): (tick, epoch,
    exc rate Hz, exc i_stim pA, ALN E rate Hz or NaN without a node), or None when the message is no readout."""
    buf = bytearray(payload)
    if len(buf) < 8 or bytes(buf[4:8]) != p.IDENTIFIER:
        raise ValueError("not a cortexloop Message")
    msg = p.Message.Message.GetRootAs(buf, 0)
    if msg.PayloadType() != p.Payload.Payload.Readout:
        return None
    r = _table(msg, p.Readout.Readout)
    exc, aln = r.Exc(), r.Aln()
    return (r.Tick(), r.Epoch(), exc.RateHz(), exc.IStimPa(), aln.RateEHz() if aln is not None else float("nan"))


def load_key_file(path):
    """(public, secret) Z85 keys as bytes from a key file of `cortexloop keys` (czmq / pyzmq certificate format);
    secret is None for a public key file. Refuses a file that holds a secret key and that other users can read."""
    public = secret = None
    with open(path, "rb") as f:
        for line in f:
            line = line.strip()
            if line.startswith(b"public-key"):
                public = line.split(b"=", 1)[1].strip(b" \t'\"")
            elif line.startswith(b"secret-key"):
                secret = line.split(b"=", 1)[1].strip(b" \t'\"")
    if public is None or len(public) != 40:
        raise ValueError(f"key file {path}: no 40-character public-key line (write key files with `cortexloop keys`)")
    if secret is not None:
        mode = os.stat(path).st_mode & 0o777
        if mode & 0o077:
            raise ValueError(f"key file {path} holds a secret key but has mode {mode:#o}: other users can read it; "
                             f"chmod 600 {path}")
        if len(secret) != 40 or zmq.curve_public(secret) != public:
            raise ValueError(f"key file {path}: its secret-key does not belong to its public-key")
    return public, secret


def _curve_keys(curve_server_key, curve_secret):
    """(server public, client public, client secret) from the two key files, or None when neither is given."""
    if curve_server_key is None and curve_secret is None:
        return None
    if curve_server_key is None or curve_secret is None:
        raise ValueError("CURVE needs both curve_server_key (the server's NAME.key) and curve_secret (this client's "
                         "NAME.key_secret, whose public key the server lists in --curve-clients)")
    server_public, _ = load_key_file(curve_server_key)
    public, secret = load_key_file(curve_secret)
    if secret is None:
        raise ValueError(f"curve_secret {curve_secret}: a public key file; give the NAME.key_secret written with it")
    return server_public, public, secret



def encode_command(body_type, build_body, seq, omit_body=False):
    """One Message{Command} frame: build_body(builder) -> the body's offset. omit_body (tests and the soak's
    invalid frames only): a command without its body, which the server refuses."""
    b = flatbuffers.Builder(256)
    body = None if omit_body else build_body(b)
    C = p.Command
    C.CommandStart(b)
    C.CommandAddSeq(b, seq)
    C.CommandAddClientSendNs(b, time.monotonic_ns())
    C.CommandAddBodyType(b, body_type)
    if body is not None:
        C.CommandAddBody(b, body)
    cmd = C.CommandEnd(b)
    p.Message.MessageStart(b)
    p.Message.MessageAddPayloadType(b, p.Payload.Payload.Command)
    p.Message.MessageAddPayload(b, cmd)
    b.Finish(p.Message.MessageEnd(b), file_identifier=p.IDENTIFIER)
    return bytes(b.Output())

class Client:
    """client = Client(); seq = client.stimulate(200.0); ack = client.wait_ack(seq)

    Against a server run with CURVE (`serve --curve-secret ... --curve-clients DIR`), give the key files:
    Client(..., curve_server_key="keys/server.key", curve_secret="keys/alice.key_secret"). A client without
    the right keys gets nothing at all: no ack, no readout (docs/protocol.md, "Security and threat model")."""

    def __init__(self, commands="tcp://127.0.0.1:5556", pub="tcp://127.0.0.1:5555",
                 topics=(b"readout", b"status", b"ack", b"info"), context=None, curve_server_key=None,
                 curve_secret=None):
        curve = _curve_keys(curve_server_key, curve_secret)
        self.context = context or zmq.Context.instance()
        self.dealer = self.context.socket(zmq.DEALER)
        self._set_curve(self.dealer, curve)
        self.dealer.setsockopt(zmq.LINGER, 0)
        # A DEALER blocks in send while it has no connection to queue on (libzmq drops it after a refused CURVE
        # handshake): give up after 2 s with an error that says so, rather than hang.
        self.dealer.setsockopt(zmq.SNDTIMEO, SEND_TIMEOUT_MS)
        # Queue a command only on a live connection: without ZMQ_IMMEDIATE a DEALER keeps what is sent while the
        # server is down and delivers it to whichever server binds the endpoint next, which applies it (measured:
        # a SetStimulation sent to a stopped server was applied at tick 126 of its successor; docs/protocol.md,
        # "Connections").
        self.dealer.setsockopt(zmq.IMMEDIATE, 1)
        self._commands = commands
        # libzmq connects to an IPv6 literal (tcp://[::1]:5556) only with ZMQ_IPV6 set, as the server binds one.
        if commands.startswith("tcp://["):
            self.dealer.setsockopt(zmq.IPV6, 1)
        _connect(self.dealer, commands, "commands")
        self.sub = None
        # One topic given alone is that topic: iterated, "readout" was 7 one-letter prefixes (subscribing to nearly
        # everything) and b"readout" 7 byte strings of zeros (an outside audit).
        if isinstance(topics, (str, bytes, bytearray, memoryview)):
            topics = (topics,)
        self.topics = tuple(t.encode() if isinstance(t, str) else bytes(t) for t in topics)
        self._acks = collections.OrderedDict()  # seq -> Ack: arrived while wait_ack waited for another
        if pub:
            self.sub = self.context.socket(zmq.SUB)
            self._set_curve(self.sub, curve)
            self.sub.setsockopt(zmq.LINGER, 0)
            self.sub.setsockopt(zmq.RCVHWM, 200000)
            # The topics that take acks last, after the connection holds the others: the server takes a
            # connection's (un)subscriptions in order, two at a time, so sync()'s ack on the stream then proves every
            # topic live. Subscribed before connecting, libzmq sends them in its trie's order, "ack" before
            # "readout": a readout published just after sync() was lost (1 Step in 20 on a paused server).
            for t in self.topics:
                if not self._takes_acks(t):
                    self.sub.setsockopt(zmq.SUBSCRIBE, t)
            if pub.startswith("tcp://["):
                self.sub.setsockopt(zmq.IPV6, 1)
            _connect(self.sub, pub, "pub")
            for t in self.topics:
                if self._takes_acks(t):
                    self.sub.setsockopt(zmq.SUBSCRIBE, t)
        self._seq = random.randrange(1 << 32) << 16

    @staticmethod
    def _takes_acks(topic):
        return b"ack".startswith(topic)

    @staticmethod
    def _set_curve(socket, curve):
        if curve is None:
            return
        server_public, public, secret = curve
        socket.curve_serverkey = server_public
        socket.curve_publickey = public
        socket.curve_secretkey = secret

    def close(self):
        self.dealer.close()
        if self.sub is not None:
            self.sub.close()

    # --- commands ---------------------------------------------------------------------------------------
    def _send(self, body_type, build_body):
        self._seq += 1
        data = encode_command(body_type, build_body, self._seq)  # a bad field is a ValueError before any wait
        # Built again, with its send time, after a wait for a connection: a command sent before the server was up
        # counted that wait as its latency (as `stim ping` did: an outside check, 2026-12-06).
        if self._await_connection():
            data = encode_command(body_type, build_body, self._seq)
        self._send_bytes(data)
        return self._seq

    def _await_connection(self):
        """Returns once a command can be queued (ZMQ_IMMEDIATE: the DEALER is writable once a connection is up): True
        if it had to wait; raises the TimeoutError of _send_bytes after the socket's send timeout (SEND_TIMEOUT_MS, or
        what _get_info_by left of its caller's)."""
        if self.dealer.poll(0, zmq.POLLOUT):
            return False  # connected: no wait
        wait_ms = self.dealer.getsockopt(zmq.SNDTIMEO)
        if not self.dealer.poll(None if wait_ms < 0 else wait_ms, zmq.POLLOUT):
            self._no_connection()
        return True

    @staticmethod
    def _empty(module, name):
        def build(b):
            getattr(module, name + "Start")(b)
            return getattr(module, name + "End")(b)
        return build

    def stimulate(self, amplitude_pa, waveform="dc", population="exc", channel=0, frequency_hz=0.0,
                  pulse_width_ms=0.0, biphasic=False, delay_ms=0.0, duration_ms=0.0, ring_position_mm=None,
                  width_mm=1.5):
        waveform_id = _lookup(WAVEFORMS, waveform, "waveform")
        population_id = _lookup(POPULATIONS, population, "population")

        def build(b):
            S = p.Site
            S.SiteStart(b)
            S.SiteAddKind(b, 0 if ring_position_mm is None else 1)
            S.SiteAddPopulation(b, population_id)
            S.SiteAddPositionMm(b, 0.0 if ring_position_mm is None else _real("ring_position_mm", ring_position_mm,
                                                                                 float32=True))
            S.SiteAddWidthMm(b, _real("width_mm", width_mm, float32=True))
            site = S.SiteEnd(b)
            M = p.SetStimulation
            M.SetStimulationStart(b)
            M.SetStimulationAddChannel(b, _integer("channel", channel, 8))
            M.SetStimulationAddSite(b, site)
            M.SetStimulationAddWaveform(b, waveform_id)
            M.SetStimulationAddAmplitudePa(b, _real("amplitude_pa", amplitude_pa, float32=True))
            M.SetStimulationAddFrequencyHz(b, _real("frequency_hz", frequency_hz, float32=True))
            M.SetStimulationAddPulseWidthMs(b, _real("pulse_width_ms", pulse_width_ms, float32=True))
            M.SetStimulationAddBiphasic(b, _boolean("biphasic", biphasic))
            M.SetStimulationAddDelayMs(b, _real("delay_ms", delay_ms, float32=True))
            M.SetStimulationAddDurationMs(b, _real("duration_ms", duration_ms, float32=True))
            return M.SetStimulationEnd(b)
        return self._send(p.CommandBody.CommandBody.SetStimulation, build)

    def set_programs(self, programs, start_tick=-1):
        """Loads [(channel, Site, Program), ...] at once: all start at the same step (start_tick, or the next
        tick when -1). Amplitudes: uA at an electrode site, pA per cell at a direct site."""
        programs = list(programs)
        for i, entry in enumerate(programs):  # a dict here raised "not enough values to unpack" (an outside check)
            if (not isinstance(entry, (tuple, list)) or len(entry) != 3 or not isinstance(entry[2], Program)
                    or not (entry[1] is None or isinstance(entry[1], Site))):
                raise ValueError(f"programs[{i}] = {entry!r}: must be a (channel, Site or None, Program) tuple")

        def build(b):
            offsets = [_build_channel_program(b, ch, site, prog, (f"programs[{i}].channel", f"programs[{i}].site",
                                                                  f"programs[{i}].program"))
                       for i, (ch, site, prog) in enumerate(programs)]
            p.SetPrograms.SetProgramsStartProgramsVector(b, len(offsets))
            for o in reversed(offsets):
                b.PrependUOffsetTRelative(o)
            vec = b.EndVector()
            p.SetPrograms.SetProgramsStart(b)
            p.SetPrograms.SetProgramsAddPrograms(b, vec)
            p.SetPrograms.SetProgramsAddStartTick(b, _integer("start_tick", start_tick, 64, signed=True))
            return p.SetPrograms.SetProgramsEnd(b)
        return self._send(p.CommandBody.CommandBody.SetPrograms, build)

    def set_controller(self, slot, kind, output_channel, output_program, output_site=None, sensing_channel=0,
                       feature="filtered", start_tick=-1, schedule=(), **params):
        """Programs an on-device controller (docs/device.md). params: threshold, rising, refractory_us, target,
        kp, ki_per_s, output_min, output_max, invert, target_phase_deg, min_interval_us, loop_delay_us,
        timeout_us, ramp_down_us, period_us; schedule: [(start_us, amplitude), ...]."""
        unknown = set(params) - set(_CONTROLLER_PARAMS)
        if unknown:
            raise ValueError(f"set_controller: unknown parameter(s) {sorted(unknown)}; known: "
                             f"{sorted(_CONTROLLER_PARAMS)}")
        if not isinstance(output_program, Program) or not (output_site is None or isinstance(output_site, Site)):
            raise ValueError(f"output_program = {output_program!r}, output_site = {output_site!r}: must be a Program "
                             f"and a Site or None")
        schedule = list(schedule)
        for i, entry in enumerate(schedule):
            if not isinstance(entry, (tuple, list)) or len(entry) != 2:
                raise ValueError(f"schedule[{i}] = {entry!r}: must be a (start_us, amplitude) pair")
        # Each parameter checked against its wire type (table SetController): int() truncated 0.4 us, and
        # rising=1.0 went as a float into a bool slot.
        values = {name: _CONTROLLER_PARAMS[name](name, value) for name, value in params.items()}
        schedule = [(_whole_us(f"schedule[{i}].start_us", start_us), _real(f"schedule[{i}].amplitude", amplitude))
                    for i, (start_us, amplitude) in enumerate(schedule)]

        def build(b):
            out = _build_channel_program(b, output_channel, output_site, output_program,
                                         ("output_channel", "output_site", "output_program"))
            sched = None
            if schedule:
                p.SetController.SetControllerStartScheduleVector(b, len(schedule))
                for start_us, amplitude in reversed(schedule):
                    p.ScheduleEntry.CreateScheduleEntry(b, start_us, amplitude)
                sched = b.EndVector()
            M = p.SetController
            M.SetControllerStart(b)
            M.SetControllerAddSlot(b, _integer("slot", slot, 8))
            M.SetControllerAddKind(b, _lookup(CONTROLLERS, kind, "kind"))
            M.SetControllerAddSensingChannel(b, _integer("sensing_channel", sensing_channel, 8))
            M.SetControllerAddOutput(b, out)
            M.SetControllerAddFeature(b, _lookup(FEATURES, feature, "feature"))
            for name, value in values.items():
                adder = getattr(M, "SetControllerAdd" + "".join(w.capitalize() for w in name.split("_")))
                adder(b, value)
            if sched is not None:
                M.SetControllerAddSchedule(b, sched)
            M.SetControllerAddStartTick(b, _integer("start_tick", start_tick, 64, signed=True))
            return M.SetControllerEnd(b)
        return self._send(p.CommandBody.CommandBody.SetController, build)

    def clear_controller(self, slot=None):
        def build(b):
            p.ClearController.ClearControllerStart(b)
            p.ClearController.ClearControllerAddSlot(b, _integer("slot", slot or 0, 8))
            p.ClearController.ClearControllerAddAll(b, slot is None)
            return p.ClearController.ClearControllerEnd(b)
        return self._send(p.CommandBody.CommandBody.ClearController, build)

    def clear(self, channel=None):
        def build(b):
            p.ClearStimulation.ClearStimulationStart(b)
            p.ClearStimulation.ClearStimulationAddChannel(b, _integer("channel", channel or 0, 8))
            p.ClearStimulation.ClearStimulationAddAll(b, channel is None)
            return p.ClearStimulation.ClearStimulationEnd(b)
        return self._send(p.CommandBody.CommandBody.ClearStimulation, build)

    def set_drive_rate(self, rate_hz):
        def build(b):
            p.SetDriveRate.SetDriveRateStart(b)
            p.SetDriveRate.SetDriveRateAddRateHz(b, _real("rate_hz", rate_hz))
            return p.SetDriveRate.SetDriveRateEnd(b)
        return self._send(p.CommandBody.CommandBody.SetDriveRate, build)

    def pause(self):
        return self._send(p.CommandBody.CommandBody.Pause, self._empty(p.Pause, "Pause"))

    def resume(self):
        return self._send(p.CommandBody.CommandBody.Resume, self._empty(p.Resume, "Resume"))

    def ping(self):
        return self._send(p.CommandBody.CommandBody.Ping, self._empty(p.Ping, "Ping"))

    def reset(self, seed):
        def build(b):
            p.Reset.ResetStart(b)
            # The wire's ulong, but the server takes [0, 2^63 - 1] (docs/protocol.md): checked here as it will be.
            p.Reset.ResetAddSeed(b, _integer("seed", seed, 63))
            return p.Reset.ResetEnd(b)
        return self._send(p.CommandBody.CommandBody.Reset, build)

    def step(self, ticks):
        def build(b):
            p.Step.StepStart(b)
            p.Step.StepAddTicks(b, _integer("ticks", ticks, 32))
            return p.Step.StepEnd(b)
        return self._send(p.CommandBody.CommandBody.Step, build)

    def set_parameter(self, name, value):
        """The server checks `name` against its whitelist (PARAMETERS today) and refuses others with
        UnknownParameter and a reason naming the whitelist."""
        if not isinstance(name, str):
            raise ValueError(f"parameter name must be a str, got {type(name).__name__}")
        # Checked as every other method's numbers: '1' or None reached the builder, whose "required argument is not a
        # float" named no field (an outside check, 2026-12-06).
        value = _real("value", value)

        def build(b):
            n = b.CreateString(name)
            p.SetParameter.SetParameterStart(b)
            p.SetParameter.SetParameterAddName(b, n)
            p.SetParameter.SetParameterAddValue(b, value)
            return p.SetParameter.SetParameterEnd(b)
        return self._send(p.CommandBody.CommandBody.SetParameter, build)

    def get_info(self):
        """Sends GetInfo; its ack (wait_ack) carries .info: population sizes, ring, dt, tick, seed, limits."""
        return self._send(p.CommandBody.CommandBody.GetInfo, self._empty(p.GetInfo, "GetInfo"))

    def info(self, timeout=5.0):
        """The server's shape as a dict (GetInfo round trip), or None without an answer within `timeout` s, a
        server still starting included (the GetInfo is sent once there is a connection: ZMQ_IMMEDIATE)."""
        end = time.monotonic() + timeout
        seq = self._get_info_by(end)
        if seq is None:
            return None
        ack = self.wait_ack(seq, max(0.0, end - time.monotonic()))
        return ack.info if ack is not None else None

    def _get_info_by(self, end):
        """Sends a GetInfo once there is a connection (ZMQ_IMMEDIATE: a send waits up to 2 s for one, a server
        still starting included): its seq, or None if there was none by `end` (time.monotonic())."""
        while True:
            # Each send waits at most what is left of the caller's timeout: info(0.5) against no server took 2 s,
            # a whole send timeout (an outside check, 2026-12-06).
            left_ms = int((end - time.monotonic()) * 1000)
            if left_ms <= 0:
                return None
            self.dealer.setsockopt(zmq.SNDTIMEO, min(SEND_TIMEOUT_MS, left_ms))
            try:
                return self.get_info()
            except TimeoutError:
                continue
            finally:
                self.dealer.setsockopt(zmq.SNDTIMEO, SEND_TIMEOUT_MS)

    def send_raw(self, data):
        self._send_bytes(bytes(data))

    def _send_bytes(self, data):
        try:
            self.dealer.send(data)
        except zmq.Again:
            self._no_connection()

    def _no_connection(self):
        raise TimeoutError(f"cannot queue a command to {self._commands} within {SEND_TIMEOUT_MS / 1000:g} s: "
                           f"no connection (is the server running? did it refuse the handshake? with CURVE, check "
                           f"curve_server_key and that the server lists this client's public key)") from None

    def _read_ack(self, timeout):
        if not self.dealer.poll(int(timeout * 1000)):
            return None
        data = self.dealer.recv()
        kind, ack = decode_message(data)
        if kind != "ack":
            return None
        ack.recv_ns = time.monotonic_ns()
        return ack

    def next_ack(self, timeout=5.0):
        """The next ack, whatever its seq: first those wait_ack kept aside, in arrival order."""
        if self._acks:
            return self._acks.popitem(last=False)[1]
        return self._read_ack(timeout)

    def wait_ack(self, seq, timeout=5.0):
        """The ack of `seq`, or None after timeout seconds. Acks of other commands that arrive meanwhile are
        kept (for their own wait_ack or next_ack), not dropped."""
        if seq in self._acks:
            return self._acks.pop(seq)
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            ack = self._read_ack(left)
            if ack is None:
                continue
            if ack.seq == seq:
                return ack
            self._acks[ack.seq] = ack
            while len(self._acks) > MAX_BUFFERED_ACKS:
                self._acks.popitem(last=False)

    # --- stream -----------------------------------------------------------------------------------------
    def receive(self, timeout=1.0, device=True):
        """(topic, kind, value) of the next stream message, or None after timeout seconds (device: decode_message)."""
        if self.sub is None or not self.sub.poll(int(timeout * 1000)):
            return None
        topic, payload = self.sub.recv_multipart()
        kind, value = decode_message(payload, device)
        return topic.decode(), kind, value

    def receive_raw(self, timeout=1.0):
        """(topic, payload bytes) of the next stream message undecoded (see decode_readout_rates), or None."""
        if self.sub is None or not self.sub.poll(int(timeout * 1000)):
            return None
        topic, payload = self.sub.recv_multipart()
        return topic, payload

    def sync(self, timeout=20.0):
        """Sends GetInfo until its ack comes back on the stream: the subscription is live. GetInfo is answered by
        the server's I/O thread and applies nothing, so a recording of the session does not list the sync (a Ping
        reaches the engine and would; `cortexloop record --sync` does the same). It needs topic "ack": if the client
        did not subscribe to it, it subscribes for the sync and unsubscribes after. Once it returns True every topic
        of the client is live (the one carrying the acks was subscribed after the others; on the first connection:
        after a reconnect libzmq sends the subscriptions again in its trie's order, "ack" before "readout")."""
        if self.sub is None:
            raise RuntimeError("sync() needs the stream: create the Client with a pub endpoint")
        temporary = not any(self._takes_acks(t) for t in self.topics)
        if temporary:
            self.sub.setsockopt(zmq.SUBSCRIBE, b"ack")
        try:
            end, sent = time.monotonic() + timeout, set()
            while time.monotonic() < end:
                seq = self._get_info_by(end)
                if seq is None or self.wait_ack(seq, min(2.0, max(0.0, end - time.monotonic()))) is None:
                    continue
                # Any attempt's ack counts: one published just after its own 0.2 s window shows the subscription
                # live as well as this attempt's (record --sync's io::client::sync_subscription does the same).
                sent.add(seq)
                until = time.monotonic() + 0.2
                while time.monotonic() < until:
                    m = self.receive(0.05)
                    if m and m[1] == "ack" and m[2].seq in sent:
                        return True
            return False
        finally:
            if temporary:
                self.sub.setsockopt(zmq.UNSUBSCRIBE, b"ack")

    def readouts(self, count, timeout=30.0):
        """The next `count` readouts (fewer if timeout seconds pass)."""
        out, end = [], time.monotonic() + timeout
        while len(out) < count and time.monotonic() < end:
            m = self.receive(0.5)
            if m and m[1] == "readout":
                out.append(m[2])
        return out


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name)
