"""Commands over a DEALER socket (each answered by an ack), the stream over a SUB socket."""
import collections
import random
import time
from dataclasses import dataclass

import flatbuffers
import numpy as np
import zmq

from . import _protocol as p

ERROR_CODES = {0: "Ok", 1: "Malformed", 2: "UnknownCommand", 3: "OutOfRange", 4: "WrongMode", 5: "QueueFull",
               6: "UnknownParameter", 7: "Busy", 8: "ShuttingDown"}
WAVEFORMS = {"dc": 0, "sine": 1, "pulses": 2, "pulse_train": 2}
POPULATIONS = {"exc": 0, "inh": 1}
PARAMETERS = ("network.drive.rate_Hz", "stream.spikes", "stream.readout_every")
# Acks kept for wait_ack while waiting for another one; beyond this the oldest are dropped (a client that
# never asks for its acks must not grow without bound).
MAX_BUFFERED_ACKS = 100000


def _lookup(table, name, what):
    """table[name], or a ValueError naming what was wrong and what is allowed (not a bare KeyError)."""
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError(f"{what} {name!r} is not one of {', '.join(map(repr, table))}") from None


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


def _floats(obj, name):
    if getattr(obj, name + "IsNone")():
        return np.zeros(0, np.float32)
    return np.asarray(getattr(obj, name + "AsNumpy")(), dtype=np.float32)


_INFO_FIELDS = ["Mode", "DtMs", "TickMs", "StepsPerTick", "Seed", "Epoch", "NExc", "NInh", "RingUnits",
                "RingLengthMm", "StimChannels", "MaxDriveRateHz", "MaxCommandBytes"]


def decode_info(i):
    out = {_snake(f): getattr(i, f)() for f in _INFO_FIELDS}
    out["version"] = (i.Version() or b"").decode()
    return out


_STATUS_FIELDS = [
    "Mode", "Paused", "ServerTicks", "EngineTick", "Epoch", "UptimeS", "WindowS", "WindowTicks", "RealtimeFactor",
    "DeadlineMisses", "WindowDeadlineMisses", "LatenessP50Us", "LatenessP99Us", "LatenessP999Us", "LatenessMaxUs",
    "ComputeP50Us", "ComputeP99Us", "ComputeMaxUs", "ReadoutDrops", "SpikeDrops", "CommandsReceived",
    "CommandsRefused", "CommandsDropped", "RtCpuPercent", "IoCpuPercent", "RateExcHz", "RateInhHz", "Scheduling",
    "Resyncs", "LatenessTotalP99Us", "LatenessTotalP999Us", "LatenessTotalMaxUs", "EventDrops", "PublishDrops",
    "AckDrops"]


def _snake(name):
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper() and i > 0:
            out += "_"
        out += ch.lower()
    return out


def decode_message(payload):
    """(kind, value) for a Message buffer: ("readout", dict), ("status", dict), ("ack", Ack), ("spikes", dict)."""
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
            "ring_stim_pa": _floats(r, "RingStimPa"), "ring_rates_inh_hz": _floats(r, "RingRatesInhHz")}
    if kind == p.Payload.Payload.Status:
        s = _table(msg, p.Status.Status)
        out = {_snake(f): getattr(s, f)() for f in _STATUS_FIELDS}
        out["scheduling"] = (out["scheduling"] or b"").decode(errors="replace")
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
    return "other", None


class Client:
    """client = Client(); seq = client.stimulate(200.0); ack = client.wait_ack(seq)"""

    def __init__(self, commands="tcp://127.0.0.1:5556", pub="tcp://127.0.0.1:5555",
                 topics=(b"readout", b"status", b"ack", b"info"), context=None):
        self.context = context or zmq.Context.instance()
        self.dealer = self.context.socket(zmq.DEALER)
        self.dealer.setsockopt(zmq.LINGER, 0)
        self.dealer.connect(commands)
        self.sub = None
        self.topics = tuple(t.encode() if isinstance(t, str) else bytes(t) for t in topics)
        self._acks = collections.OrderedDict()  # seq -> Ack: arrived while wait_ack waited for another
        if pub:
            self.sub = self.context.socket(zmq.SUB)
            self.sub.setsockopt(zmq.LINGER, 0)
            self.sub.setsockopt(zmq.RCVHWM, 200000)
            for t in self.topics:
                self.sub.setsockopt(zmq.SUBSCRIBE, t)
            self.sub.connect(pub)
        self._seq = random.randrange(1 << 32) << 16

    def close(self):
        self.dealer.close()
        if self.sub is not None:
            self.sub.close()

    # --- commands ---------------------------------------------------------------------------------------
    def _send(self, body_type, build_body):
        b = flatbuffers.Builder(256)
        body = build_body(b)
        self._seq += 1
        C = p.Command
        C.CommandStart(b)
        C.CommandAddSeq(b, self._seq)
        C.CommandAddClientSendNs(b, time.monotonic_ns())
        C.CommandAddBodyType(b, body_type)
        C.CommandAddBody(b, body)
        cmd = C.CommandEnd(b)
        p.Message.MessageStart(b)
        p.Message.MessageAddPayloadType(b, p.Payload.Payload.Command)
        p.Message.MessageAddPayload(b, cmd)
        b.Finish(p.Message.MessageEnd(b), file_identifier=p.IDENTIFIER)
        self.dealer.send(bytes(b.Output()))
        return self._seq

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
            S.SiteAddPositionMm(b, 0.0 if ring_position_mm is None else ring_position_mm)
            S.SiteAddWidthMm(b, width_mm)
            site = S.SiteEnd(b)
            M = p.SetStimulation
            M.SetStimulationStart(b)
            M.SetStimulationAddChannel(b, channel)
            M.SetStimulationAddSite(b, site)
            M.SetStimulationAddWaveform(b, waveform_id)
            M.SetStimulationAddAmplitudePa(b, amplitude_pa)
            M.SetStimulationAddFrequencyHz(b, frequency_hz)
            M.SetStimulationAddPulseWidthMs(b, pulse_width_ms)
            M.SetStimulationAddBiphasic(b, biphasic)
            M.SetStimulationAddDelayMs(b, delay_ms)
            M.SetStimulationAddDurationMs(b, duration_ms)
            return M.SetStimulationEnd(b)
        return self._send(p.CommandBody.CommandBody.SetStimulation, build)

    def clear(self, channel=None):
        def build(b):
            p.ClearStimulation.ClearStimulationStart(b)
            p.ClearStimulation.ClearStimulationAddChannel(b, channel or 0)
            p.ClearStimulation.ClearStimulationAddAll(b, channel is None)
            return p.ClearStimulation.ClearStimulationEnd(b)
        return self._send(p.CommandBody.CommandBody.ClearStimulation, build)

    def set_drive_rate(self, rate_hz):
        def build(b):
            p.SetDriveRate.SetDriveRateStart(b)
            p.SetDriveRate.SetDriveRateAddRateHz(b, rate_hz)
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
            p.Reset.ResetAddSeed(b, seed)
            return p.Reset.ResetEnd(b)
        return self._send(p.CommandBody.CommandBody.Reset, build)

    def step(self, ticks):
        def build(b):
            p.Step.StepStart(b)
            p.Step.StepAddTicks(b, ticks)
            return p.Step.StepEnd(b)
        return self._send(p.CommandBody.CommandBody.Step, build)

    def set_parameter(self, name, value):
        """The server checks `name` against its whitelist (PARAMETERS today) and refuses others with
        UnknownParameter and a reason naming the whitelist."""
        if not isinstance(name, str):
            raise ValueError(f"parameter name must be a str, got {type(name).__name__}")

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
        """The server's shape as a dict (GetInfo round trip), or None without an answer."""
        ack = self.wait_ack(self.get_info(), timeout)
        return ack.info if ack is not None else None

    def send_raw(self, data):
        self.dealer.send(bytes(data))

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
    def receive(self, timeout=1.0):
        """(topic, kind, value) of the next stream message, or None after timeout seconds."""
        if self.sub is None or not self.sub.poll(int(timeout * 1000)):
            return None
        topic, payload = self.sub.recv_multipart()
        kind, value = decode_message(payload)
        return topic.decode(), kind, value

    def sync(self, timeout=20.0):
        """Pings until a ping's ack comes back on the stream: the subscription is live. It needs topic "ack":
        if the client did not subscribe to it, it subscribes for the sync and unsubscribes after."""
        if self.sub is None:
            raise RuntimeError("sync() needs the stream: create the Client with a pub endpoint")
        temporary = not any(b"ack".startswith(t) for t in self.topics)
        if temporary:
            self.sub.setsockopt(zmq.SUBSCRIBE, b"ack")
        try:
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                seq = self.ping()
                if self.wait_ack(seq, 2.0) is None:
                    continue
                until = time.monotonic() + 0.2
                while time.monotonic() < until:
                    m = self.receive(0.05)
                    if m and m[1] == "ack" and m[2].seq == seq:
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
