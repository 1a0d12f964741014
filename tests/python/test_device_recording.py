"""`cortexloop record` writes the device, and the session figure draws it in mm (ctest: device_recording).

A stepped server on configs/closed_loop.toml (1000 neurons) is recorded while the Python client loads, at
known ticks: a DC program of 50 pA/cell on a direct site (channel 2), a biphasic pulse train through electrode 1
(the ring at 9 mm, channel 4), an open-loop controller whose schedule sets channel 3 to 20 then 40 pA/cell, and
two pulse trains on electrode 0 whose sum breaks max_current_uA (a safety event), a saturated PI clamp on
sensing channel 0's rms (channel 7) and one on the same rms whose bounds it never reaches (channel 0). The
recording is then checked against what those programs must deliver (docs/device.md), not against a previous
output, and plotted.
Needs CORTEXLOOP_BIN and PYTHONPATH with build/python and tools/python.
"""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

import numpy as np

from cortexloop_client import Client
from cortexloop_client.client import Program, Site
from cortexloop_client import plot
from cortexloop_client.loop import serve_on_free_ports

BIN = os.environ.get("CORTEXLOOP_BIN", "build/cortexloop")
CONFIG = "configs/closed_loop.toml"
# A 2 ms tick, so that a tick's charge (pA x ms) differs from its mean current (pA).
TICK_MS = 2
SMALL = ["--set", "network.n_neurons=1000", "--set", f"simulation.tick_ms={TICK_MS}"]
RING_LENGTH_MM, RING_UNITS = 36.0, 100           # configs/default.toml's ring
DT_MS = 0.1
START = 10                                        # tick at which the programs start
DC_PA, DC_CHANNEL, DC_TICKS = 50.0, 2, 50         # 100 ms
OL_CHANNEL, OL_FIRST, OL_SECOND, OL_SWITCH_TICKS = 3, 20.0, 40.0, 50
PULSE_UA, PULSE_CHANNEL, PULSE_HZ, PULSE_PHASE_US, PULSE_TICKS = 100.0, 4, 20.0, 200, 100
SAFETY_START, SAFETY_UA = 125, 600.0              # two channels of 600 uA on electrode 0: 1200 > 1000 uA
LAST_TICK = 154
PI_CHANNEL, PI_TARGET, PI_MAX_PA = 7, 200.0, 5.0  # a PI clamp on sensing 0's rms at its ADC top: saturated
# The same clamp with room: u = kp e <= 0.05 x 200 = 10 pA < 20 pA, and > 0 while the rms is below its ADC top.
FREE_PI_SLOT, FREE_PI_CHANNEL, FREE_PI_MAX_PA = 2, 0, 20.0


class DeviceRecordingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.rec = os.path.join(cls.tmp.name, "rec")
        server, pub, commands = serve_on_free_ports([BIN, "serve", "--config", CONFIG, *SMALL, "--mode", "stepped",
                                                     "--seed", "3"], stderr=subprocess.PIPE, text=True)
        recorder = None
        try:
            c = Client(commands, pub)
            assert c.sync(), "no server"
            recorder = subprocess.Popen([BIN, "record", "--out", cls.rec, "--pub", pub, "--commands", commands,
                                         "--spikes", "--sync", "--config", CONFIG, *SMALL, "-q"],
                                        stderr=subprocess.PIPE, text=True)
            line = recorder.stderr.readline()  # --sync: the recorder's subscription is live
            assert line.startswith("record: subscribed"), line
            # A second recorder of the same session without --config: its geometry from the server's config.
            cls.rec_bare = os.path.join(cls.tmp.name, "rec_bare")
            bare = subprocess.Popen([BIN, "record", "--out", cls.rec_bare, "--pub", pub, "--commands", commands,
                                     "--sync", "-q"], stderr=subprocess.PIPE, text=True)
            line = bare.stderr.readline()
            assert line.startswith("record: subscribed"), line
            ack = c.wait_ack(c.step(5), 10)
            assert ack.accepted, ack.reason
            acks = [
                c.wait_ack(c.set_programs([(DC_CHANNEL, Site("population", "exc"),
                                            Program("dc", DC_PA, duration_us=DC_TICKS * TICK_MS * 1000)),
                                           (PULSE_CHANNEL, Site("electrode", electrode=1),
                                            Program("pulse_train", PULSE_UA, frequency_hz=PULSE_HZ,
                                                    phase_width_us=PULSE_PHASE_US,
                                                    duration_us=PULSE_TICKS * TICK_MS * 1000))],
                                          start_tick=START), 10),
                c.wait_ack(c.set_controller(0, "open_loop", OL_CHANNEL, Program("dc", 1.0), Site("population"),
                                            sensing_channel=0, start_tick=START,
                                            schedule=[(0, OL_FIRST), (OL_SWITCH_TICKS * TICK_MS * 1000, OL_SECOND)]), 10),
                c.wait_ack(c.set_controller(1, "pi_clamp", PI_CHANNEL, Program("dc", 0.0), Site("population", "inh"),
                                            sensing_channel=0, feature="rms", start_tick=START, target=PI_TARGET,
                                            kp=0.05, output_min=0.0, output_max=PI_MAX_PA), 10),
                c.wait_ack(c.set_controller(FREE_PI_SLOT, "pi_clamp", FREE_PI_CHANNEL, Program("dc", 0.0),
                                            Site("population", "inh"), sensing_channel=0, feature="rms",
                                            start_tick=START, target=PI_TARGET, kp=0.05, output_min=0.0,
                                            output_max=FREE_PI_MAX_PA), 10),
                c.wait_ack(c.set_programs([(ch, Site("electrode", electrode=0),
                                            Program("pulse_train", SAFETY_UA, frequency_hz=10.0, phase_width_us=100,
                                                    duration_us=50000)) for ch in (5, 6)],
                                          start_tick=SAFETY_START), 10)]
            for a in acks:
                assert a is not None and a.accepted, a and a.reason
            ack = c.wait_ack(c.step(LAST_TICK + 1 - 5), 10)
            assert ack.accepted, ack.reason
            end = time.monotonic() + 15
            cls.client_readouts = {}  # tick -> the Python client's decoding of the same readouts
            while time.monotonic() < end:
                m = c.receive(0.5)
                if m and m[1] == "readout":
                    cls.client_readouts[m[2]["tick"]] = m[2]
                if m and m[1] == "readout" and m[2]["tick"] == LAST_TICK:
                    break
            time.sleep(0.5)
            c.close()
        finally:
            for r in (recorder, locals().get("bare")):
                if r is not None:
                    r.send_signal(signal.SIGINT)
                    _, err = r.communicate(timeout=20)
                    assert r.returncode == 0, err
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=20)
        with open(os.path.join(cls.rec, "summary.json")) as f:
            cls.summary = json.load(f)
        cls.d = plot.load(cls.rec)
        # Frame of each tick (record may have joined after tick 0; every frame is one tick here).
        cls.tick = cls.d["ticks"][:, 1].astype(int)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def frames(self, first, last):
        """Frames of ticks first..last inclusive, all of which must have been recorded."""
        idx = np.nonzero((self.tick >= first) & (self.tick <= last))[0]
        self.assertEqual(len(idx), last - first + 1)
        return idx

    def test_recording_is_complete(self):
        self.assertEqual(self.summary["missing_ticks"], 0)
        self.assertEqual(self.tick[0], 0)  # --sync: subscribed before the first step
        self.assertEqual(self.tick[-1], LAST_TICK)
        np.testing.assert_allclose(np.diff(self.d["ticks"][:, 2]), TICK_MS)
        for key in ["readouts", "gaps", "acks", "files", "last_status"]:  # the old keys stay
            self.assertIn(key, self.summary)

    def test_both_ring_populations_are_recorded_as_streamed(self):
        # Every Readout carries ring_rates_inh_hz (docs/protocol.md); record kept the exc rates only, and the files'
        # units were only in the docs (an outside check, 2026-12-05). Reference: the Python client's decoding of the
        # same readouts; the mean field's FS units fire well above its RS units at rest. Break tried: record's ring_rates_inh.npy not written -> the key is missing: fails.
        for key, field in (("ring_rates_exc", "ring_rates_exc_hz"), ("ring_rates_inh", "ring_rates_inh_hz")):
            self.assertEqual(self.d[key].shape, self.d["vsdi"].shape)
            rows = [(i, self.client_readouts[int(t)]) for i, t in enumerate(self.tick) if int(t) in self.client_readouts]
            self.assertGreater(len(rows), 100)
            for i, r in rows:
                np.testing.assert_array_equal(self.d[key][i], np.asarray(r[field], np.float32))
        self.assertGreater(self.d["ring_rates_inh"][:START].mean(), 2 * self.d["ring_rates_exc"][:START].mean())
        arrays = self.summary["arrays"]
        for f in self.summary["files"]:
            if f.endswith(".npy"):
                self.assertIn(f, arrays)
        self.assertTrue(arrays["ring_rates_inh.npy"].endswith("Hz"))

    def test_device_shapes(self):
        n = len(self.d["rates"])
        self.assertEqual(self.d["device_sensing"].shape, (n, 3, 6))     # three [[device.sensing]]
        self.assertEqual(self.d["device_channels"].shape, (n, 8, 3))
        self.assertEqual(self.d["device_controllers"].shape, (n, 4, 3))
        self.assertEqual(self.d["device_electrodes"].shape, (n, 2))     # two [[device.electrode]]
        self.assertEqual(self.d["ring_domain"].shape, (n, 2))
        self.assertTrue(self.summary["device"]["recorded"])

    def test_dc_on_a_direct_site_delivers_its_amplitude_and_charge(self):
        ch = self.d["device_channels"][:, DC_CHANNEL, :]
        on = self.frames(START, START + DC_TICKS - 1)
        np.testing.assert_allclose(ch[on, 0], DC_PA, rtol=1e-6)               # mean current, pA/cell
        np.testing.assert_allclose(ch[on, 1], DC_PA, rtol=1e-6)               # peak
        np.testing.assert_allclose(ch[on, 2], DC_PA * TICK_MS, rtol=1e-6)     # charge, pA x ms per tick
        off = np.r_[self.frames(self.tick[0], START - 1), self.frames(START + DC_TICKS, LAST_TICK)]
        np.testing.assert_array_equal(ch[off], 0.0)
        # `active` is the state at the tick's end: loaded (waiting for its start tick or running) until its
        # duration ends with the tick's last step.
        active = self.d["device_channel_state"][:, DC_CHANNEL, 0]
        self.assertTrue(np.all(active[self.frames(START, START + DC_TICKS - 2)] == 1))
        self.assertTrue(np.all(active[self.frames(START + DC_TICKS - 1, LAST_TICK)] == 0))

    def test_open_loop_controller_sets_its_channel_to_the_schedule(self):
        kind = self.d["device_controller_state"][:, 0, 0]
        self.assertTrue(np.all(kind[self.frames(START, LAST_TICK)] == 1))    # ControllerKind OpenLoop
        delivered = self.d["device_channels"][:, OL_CHANNEL, 0]
        # Whole ticks inside each schedule entry (the entry boundary's tick may be shared with a step of latency).
        np.testing.assert_allclose(delivered[self.frames(START + 1, START + OL_SWITCH_TICKS - 1)], OL_FIRST, rtol=1e-6)
        np.testing.assert_allclose(delivered[self.frames(START + OL_SWITCH_TICKS + 1, LAST_TICK)], OL_SECOND,
                                   rtol=1e-6)
        output = self.d["device_controllers"][:, 0, 1]
        np.testing.assert_allclose(output[self.frames(START + OL_SWITCH_TICKS + 1, LAST_TICK)], OL_SECOND, rtol=1e-6)

    def test_controller_columns_are_feature_output_error(self):
        # docs/device.md: device_controllers.npy [frames, 4, 3] = feature, output, error. The PI clamp's feature is
        # its sensing channel's rms (device_sensing.npy column 3, the tick's last sample, which it acted on), its
        # error target - feature (docs/device.md, "Controllers"), its output saturated at output_max. Break tried
        # (a mutation audit, 2026-12-05): record writing {error, output, feature} -> fails.
        ctrl = self.d["device_controllers"][:, 1, :]
        window = self.frames(START + 1, LAST_TICK)
        rms = self.d["device_sensing"][window, 0, 3]
        self.assertGreater(np.ptp(rms), 0.0)
        np.testing.assert_allclose(ctrl[window, 0], rms, rtol=1e-6)
        np.testing.assert_allclose(ctrl[window, 2], PI_TARGET - rms, rtol=1e-6)
        np.testing.assert_allclose(ctrl[window, 1], PI_MAX_PA, rtol=1e-6)

    def test_controller_state_saturated_column(self):
        # docs/device.md: device_controller_state.npy [frames, 4, 3] = kind, saturated, triggers; a PI clamp's u is
        # clamped to [output_min, output_max] ("Controllers"), and saturated means its output at a bound
        # (controller_status::saturated, firmware_sim/controllers.hpp).
        # Reference: the output column of device_controllers.npy: slot 1 sits at output_max (PI_MAX_PA) from its first
        # sample on and must read 1 there; slot 2, the same law with FREE_PI_MAX_PA, stays strictly inside its bounds
        # and must read 0, as must every slot before START (no controller). The Python client's decoding of the same
        # readouts agrees frame by frame. Break tried (a mutation audit): record writing 0 for saturated -> slot 1's
        # frames at output_max read 0: fails.
        state = self.d["device_controller_state"]
        output = self.d["device_controllers"][:, :, 1]
        on = self.frames(START, LAST_TICK)
        self.assertTrue(np.all(state[on, 1, 0] == 3))  # ControllerKind PiClamp
        self.assertTrue(np.all(state[on, FREE_PI_SLOT, 0] == 3))
        np.testing.assert_allclose(output[on, 1], PI_MAX_PA, rtol=1e-6)
        np.testing.assert_array_equal(state[on, 1, 1], 1.0)
        free = output[on, FREE_PI_SLOT]
        self.assertTrue(np.all((free > 0.0) & (free < FREE_PI_MAX_PA)), free)
        self.assertGreater(np.ptp(free), 0.0)  # a clamp at work, not a constant
        np.testing.assert_array_equal(state[on, FREE_PI_SLOT, 1], 0.0)
        before = self.frames(self.tick[0], START - 1)
        np.testing.assert_array_equal(state[before, :, 1], 0.0)
        np.testing.assert_array_equal(state[:, 0, 1], 0.0)  # the open-loop slot has no bounds
        compared = 0
        for frame, tick in enumerate(self.tick):
            r = self.client_readouts.get(int(tick))
            if r is None:
                continue
            got = [float(bool(ctl["saturated"])) for ctl in r["device"]["controllers"]]
            np.testing.assert_array_equal(state[frame, :, 1], got, err_msg=f"tick {tick}")
            compared += 1
        self.assertGreater(compared, 100)

    def test_python_client_names_the_controller_and_site_kinds(self):
        # A printed readout said "kind": 3 (an outside check): the client's IntEnums print names and still equal the
        # schema's numbers (io/protocol/schema/cortexloop.fbs: PiClamp = 3, Electrode = 2). Reference: what this
        # session programmed: slot 1 a PI clamp, channel PULSE_CHANNEL an electrode's pulse train. Break tried: the
        # raw number kept (no .name).
        from cortexloop_client.client import ControllerKind, SiteKind
        r = self.client_readouts[START + 10]["device"]
        self.assertIs(r["controllers"][1]["kind"], ControllerKind.pi_clamp)
        self.assertEqual(r["controllers"][1]["kind"], 3)
        self.assertIn("pi_clamp", repr(r["controllers"][1]))
        self.assertEqual(r["channels"][PULSE_CHANNEL]["site_kind"].name, "electrode")
        self.assertEqual(r["channels"][PULSE_CHANNEL]["site_kind"], 2)

    def test_python_client_decodes_the_sensing_fields_as_record_writes_them(self):
        # Two decoders of one stream: the Python client's readout["device"]["sensing"] against record's
        # device_sensing.npy (docs/device.md: signal, raw, filtered, rms, envelope, phase_rad), every field with a
        # value of its own on every sensing channel. Break tried (a mutation audit, 2026-12-05): the client reading
        # rms from Envelope() and envelope from Rms() -> fails.
        names = ["raw", "filtered", "rms", "envelope", "phase_rad"]
        compared = 0
        for frame, tick in enumerate(self.tick):
            r = self.client_readouts.get(int(tick))
            if r is None:
                continue
            for ch, sample in enumerate(r["device"]["sensing"]):
                got = [sample[n] for n in names]
                np.testing.assert_allclose(got, self.d["device_sensing"][frame, ch, 1:6], rtol=1e-6, atol=1e-9,
                                           err_msg=f"tick {tick}, sensing {ch}")
            compared += 1
        self.assertGreater(compared, 100)
        rms, env = self.d["device_sensing"][:, 0, 3], self.d["device_sensing"][:, 0, 4]
        self.assertGreater(np.max(np.abs(rms - env)), 0.0)  # rms and envelope differ, so a swap shows

    def test_biphasic_pulses_through_electrode_one(self):
        ch = self.d["device_channels"][:, PULSE_CHANNEL, :]
        window = self.frames(START, START + PULSE_TICKS - 1)
        pulsed = window[ch[window, 1] > 0]
        # One pulse every 1000 / 20 = 50 ms, both phases (2 x 200 us) inside one tick.
        self.assertEqual(len(pulsed), int(PULSE_TICKS * TICK_MS * PULSE_HZ / 1000))
        np.testing.assert_array_equal(np.diff(self.tick[pulsed]), int(1000 / PULSE_HZ / TICK_MS))
        np.testing.assert_allclose(ch[pulsed, 1], PULSE_UA, rtol=1e-6)       # peak, uA
        np.testing.assert_allclose(ch[pulsed, 2], 0.0, atol=1e-6)            # balanced: no net charge per tick
        self.assertTrue(np.all(self.d["device_channel_state"][window, PULSE_CHANNEL, 1] == 2))  # electrode site

    def test_ring_stimulation_peaks_under_electrode_one_at_9_mm(self):
        ring_stim = self.d["ring_stim"]
        window = self.frames(START, SAFETY_START - 1)  # electrode 0's safety pulses excluded
        # Direct DC and open-loop currents are uniform over the ring; remove each frame's minimum.
        profile = np.abs(ring_stim[window] - np.median(ring_stim[window], axis=1, keepdims=True)).max(axis=0)
        peak_mm = plot.unit_position_mm(int(np.argmax(profile)), RING_UNITS, RING_LENGTH_MM)
        self.assertAlmostEqual(float(peak_mm), 9.0, delta=RING_LENGTH_MM / RING_UNITS)

    def test_sensing_channels(self):
        s = self.d["device_sensing"]
        frames = self.frames(START, LAST_TICK)
        # Sensing 0: the network's excitatory rate over its 1 ms sample period; the tick's last sample is the
        # excitatory spikes (spikes.npy, neurons 0..799) of the tick's last millisecond / (800 cells x 1 ms).
        spikes = self.d["spikes"]
        exc_steps = np.round(spikes[spikes[:, 1] < 800, 0] / DT_MS).astype(int)
        steps_per_sample = int(round(1.0 / DT_MS))
        tick_end = (self.tick[frames] + 1) * int(round(TICK_MS / DT_MS))  # first step of the next tick
        counts = np.array([np.count_nonzero((exc_steps >= e - steps_per_sample) & (exc_steps < e)) for e in tick_end])
        expected_hz = counts / 800 / 1e-3
        self.assertGreater(expected_hz.max(), 0)
        np.testing.assert_allclose(s[frames, 0, 0], expected_hz, rtol=1e-6)
        # Sensing 2: the ring's VSDi at 9 mm = unit 25 (9 / 36 * 100). The readout's VSDi is the tick's mean
        # (engine: average_vsdi_percent), the sensed one the instantaneous sample: close, not equal.
        unit = int(round(9.0 * RING_UNITS / RING_LENGTH_MM))
        vsdi = self.d["vsdi"][frames, unit]
        self.assertGreater(np.ptp(vsdi), 1.0)
        self.assertLess(np.mean(np.abs(s[frames, 2, 0] - vsdi)), 0.05 * np.ptp(vsdi))
        # Raw and filtered stay within the ADC range of the config (-50..50 %).
        self.assertTrue(np.all(np.abs(s[frames, 2, 1]) <= 50.0))

    def test_safety_event_recorded(self):
        events = [e for e in self.d["safety"] if e["limit"] == "max_current"]
        self.assertTrue(events, self.d["safety"])
        e = events[0]
        self.assertEqual(e["electrode"], 0)
        self.assertAlmostEqual(e["value"], 2 * SAFETY_UA, delta=1e-6)
        self.assertAlmostEqual(e["bound"], 1000.0)
        step = e["step"]
        dt_ms = self.summary["geometry"]["dt_ms"]
        self.assertEqual(dt_ms, DT_MS)
        self.assertEqual(int(step * dt_ms // TICK_MS), SAFETY_START)  # the first step of the overlapping pulses
        # ... and the channels were stopped: nothing delivered after that tick.
        after = self.frames(SAFETY_START + 1, LAST_TICK)
        np.testing.assert_array_equal(self.d["device_channels"][after][:, [5, 6], 1], 0.0)

    def test_geometry_in_summary(self):
        g = self.summary["geometry"]
        self.assertEqual(g["ring"], {"n_units": RING_UNITS, "length_mm": RING_LENGTH_MM,
                                     "unit_spacing_mm": RING_LENGTH_MM / RING_UNITS})
        self.assertEqual(g["network_position_mm"], 18.0)
        self.assertEqual([e["position_mm"] for e in g["electrodes"]], [18.0, 9.0])
        self.assertEqual([s["position_mm"] for s in g["sensing"]], [18.0, 18.0, 9.0])

    def test_geometry_without_config_is_the_servers(self):
        # record without --config wrote no geometry, and the plots named the sensing channels "record --config names
        # it", unit unknown, where the live viewer named them from the same Info.config_toml (an outside check,
        # 2026-12-05). Break tried: record's fallback to the server's config removed -> no "geometry" key.
        with open(os.path.join(self.rec_bare, "summary.json")) as f:
            bare = json.load(f)["geometry"]
        self.assertEqual(bare.pop("source"), "the server's config (Info.config_toml)")
        given = dict(self.summary["geometry"])
        given.pop("source", None)
        given.pop("overrides", None)
        self.assertEqual(bare, given)
        self.assertEqual([s["signal"] for s in bare["sensing"]], [s["signal"] for s in given["sensing"]])
        # Each channel's ADC range, for the plots' clip notes (configs/closed_loop.toml's). Break tried: geometry_of
        # without them -> KeyError.
        self.assertEqual([(s["range_min"], s["range_max"]) for s in bare["sensing"]],
                         [(0.0, 200.0), (0.0, 40000.0), (-50.0, 50.0)])

    def test_slot_label_names_every_kind_the_slot_ran(self):
        # ControllerKind codes (io/protocol/schema/cortexloop.fbs): 0 none, 3 PiClamp, 5 External. The tutorial's
        # slot 0, a PI clamp then an external watchdog, was labelled "external" alone.
        self.assertEqual(plot.slot_label(0, [0, 3, 3, 0, 3, 5, 5]), "slot 0: PI clamp, then external")
        self.assertEqual(plot.slot_label(2, [4, 4]), "slot 2: phase-locked")
        self.assertEqual(plot.slot_label(1, [0, 0]), "slot 1: none")

    def test_units_map_to_mm(self):
        self.assertEqual(float(plot.unit_position_mm(25, 100, 36.0)), 9.0)
        np.testing.assert_allclose(plot.unit_position_mm(np.arange(4), 4, 36.0), [0, 9, 18, 27])

    def test_figure_ring_panels_in_mm_with_diverging_map(self):
        fig = plot.figure(self.d)
        panels = {a.get_label(): a for a in fig.axes}
        for name in ["raster", "rates", "sensing0", "sensing1", "sensing2", "controllers", "delivered_pA",
                     "delivered_uA", "ring_vsdi", "ring_stim"]:
            self.assertIn(name, panels)
        for name in ["ring_vsdi", "ring_stim"]:
            ax = panels[name]
            self.assertEqual(ax.get_ylim(), (0.0, RING_LENGTH_MM))
            self.assertIn("mm", ax.get_ylabel())
            mesh = ax.collections[0]  # a QuadMesh: a column per readout on its true time
            vmin, vmax = mesh.get_clim()
            self.assertAlmostEqual(vmin, -vmax)                    # centred on 0
            self.assertGreater(vmax, 0)
            # Row of unit 25 is centred on 9 mm: rows are n_units + 1 (unit 0 repeated at the length).
            corners = mesh.get_coordinates()                       # [rows + 1, columns + 1, (x, y)]
            self.assertEqual(corners.shape[0] - 1, RING_UNITS + 1)
            self.assertAlmostEqual((corners[25, 0, 1] + corners[26, 0, 1]) / 2, 9.0, places=9)
            self.assertAlmostEqual(corners[0, -1, 0], self.d["t_s"][-1])  # time in s, as every other panel
        self.assertEqual(panels["ring_vsdi"].collections[0].get_cmap().name, "RdBu_r")
        self.assertEqual(panels["ring_stim"].get_xlabel(), "simulated time (s)")  # the bottom panel
        # The network's position (18 mm) is drawn on the ring panels.
        lines = [ln for ln in panels["ring_vsdi"].get_lines() if list(ln.get_ydata()) == [18.0, 18.0]]
        self.assertTrue(lines)
        out = os.path.join(self.rec, "session.png")
        fig.savefig(out, dpi=60)
        with open(out, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
