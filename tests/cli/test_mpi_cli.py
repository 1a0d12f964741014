#!/usr/bin/env python3
"""`mpirun -n K cortexloop simulate` gives, for one seed, the same files byte for byte as one process: the rates,
mean V, mean w, stimulus and LFP traces and every spike (spikes.npy), with 2 ranks, with 2 ranks x 2 threads and
with 3 ranks (an uneven split whose last rank holds the exc/inh boundary). The reference is the one-process run of
the same binary, itself checked against Brian2 (tests/test_network_brian2.cpp); the property is exact equality
(tolerance 0), as for threads (tests/test_network_threads.cpp). Also: `serve` under mpirun -n 2 is refused.
N = 4000 cells (rank bounds 0 | 2048 | 4000 for 2 ranks, 0 | 1024 | 2048 | 4000 for 3), 0.2 s, drive 5 Hz.
Breaks tried, each failing here: the Allgatherv slots in reverse rank order (the exchanged list no longer
ascending: spikes.npy and rates.npy differ, the exc/inh counts being read from the sorted list; mean V does not, the
conductance adds of equal q commuting); rank bounds at multiples of 128 instead of the 1024-cell readout block (a
block straddles ranks 0 and 1 of 3: mean_v, mean_w and lfp differ); the readouts' MPI_Allgatherv slots in reverse
rank order (each rank sends only its own blocks' sums, so every rank then reads another's blocks as its own: mean_v,
mean_w and lfp differ at 2 and 3 ranks and in every case of ExchangeOncePerMinimumDelay); since that gather goes to
rank 0 alone (MPI_Gatherv), rank 0 reading the gathered values reversed (mean_v, mean_w and lfp differ at 2 ranks). Not caught, and rightly:
adding per-rank totals instead of the blocks in order, or the ranks' pieces, each read from its own slot, in
reverse rank order; a block's sum is a float, and a few floats add exactly in double in any order at this size
(the block order is what makes it exact in general).
Run by ctest as: /usr/bin/python3 tests/cli/test_mpi_cli.py BUILD_DIR MPIEXEC"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.join(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"), "cortexloop")
MPIEXEC = sys.argv[2] if len(sys.argv) > 2 else "mpirun"
# Root may run mpirun here (containers, CI); --oversubscribe lets 3 ranks share 2 cores; --bind-to none lets a
# rank's helper thread run on another core than its worker 0.
MPI_FLAGS = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "mpi_yield_when_idle", "1"]
# In the ASan build (scripts/sanitize.sh asan) leak checking is off for this test only: Open MPI is not
# LeakSanitizer-clean (its MCA components are dlopen'ed and closed again at MPI_Finalize, leaving allocations whose
# frames are an "<unknown module>" that no suppression can name). ASan's other checks and UBSan stay on; the same
# simulate code without MPI is leak-checked by simulate_cli.
if "ASAN_OPTIONS" in os.environ:
    os.environ["ASAN_OPTIONS"] += ":detect_leaks=0"
SIMULATE = ["simulate", "--config", "configs/zerlaut2018_network.toml", "--duration", "0.2", "--seed", "7",
            "--set", "network.n_neurons=4000", "--record", "spikes", "--quiet"]
DRIVE = ["--set", "network.drive.rate_Hz=5"]
FILES = ["rates.npy", "mean_v.npy", "mean_w.npy", "stim.npy", "lfp.npy", "spikes.npy"]
# summary.json's keys that say how the run was made, not what it computed: its timings and the threads, ranks and
# exchanges it ran with.
SHAPE_AND_TIMING_KEYS = {"wall_s", "setup_s", "realtime_factor", "peak_rss_MB", "worker_busy_s", "worker_imbalance",
                         "worker_placement", "rank_busy_s", "rank_imbalance", "rank_loop_cpu_s", "threads", "ranks", "spike_exchanges",
                         "exchange_every_steps"}


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def simulate(out, ranks=None, extra=(), stderr=None):
    """summary.json of the run (its stderr appended to the list `stderr` when given)."""
    args = [BINARY, *SIMULATE, *DRIVE, "--out", out, *extra]
    if ranks:
        args = [MPIEXEC, *MPI_FLAGS, "-n", str(ranks), *args]
    r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    if stderr is not None:
        stderr.append(r.stderr)
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


class MpiMatchesOneProcess(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.one_dir = os.path.join(cls.tmp.name, "one")
        cls.one = simulate(cls.one_dir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check_identical(self, name, ranks, extra=()):
        out = os.path.join(self.tmp.name, name)
        summary = simulate(out, ranks, extra)
        self.assertEqual(summary["ranks"], ranks)
        for f in FILES:
            with self.subTest(file=f):
                a = read_bytes(os.path.join(self.one_dir, f))
                b = read_bytes(os.path.join(out, f))
                self.assertEqual(a, b, f"{f} differs between 1 process and {ranks} ranks {list(extra)}")
        # summary.json: every key but the run's timings and its shape (docs/engine.md, "Tests"), so that no
        # number of the model's (rates, counts, n_synapses, drive_events, ...) can differ unseen.
        for key in sorted(set(summary) | set(self.one)):
            if key not in SHAPE_AND_TIMING_KEYS:
                with self.subTest(key=key):
                    self.assertEqual(summary.get(key), self.one.get(key), key)
        # Other ranks write nothing: no stray files beside rank 0's.
        self.assertEqual(sorted(os.listdir(out)), sorted(FILES + ["summary.json", "config.toml"]))

    def test_no_delays_exchange_every_step(self):
        # Without delays a spike acts from the next step on: one exchange per step (0.2 s = 2000 steps).
        summary = simulate(os.path.join(self.tmp.name, "every_step"), 2)
        self.assertEqual(summary["exchange_every_steps"], 1)
        self.assertEqual(summary["spike_exchanges"], 2000)
        self.assertEqual(self.one["spike_exchanges"], 0)
        # The ranks' imbalance, as the workers' (max / mean - 1), of rank_busy_s: with one thread per rank
        # worker_imbalance alone read 0 (an outside audit, 2026-12-07). Break tried: rank_imbalance of rank 0's
        # worker_busy_s -> 0, this fails.
        busy = summary["rank_busy_s"]
        self.assertAlmostEqual(summary["rank_imbalance"], max(busy) / (sum(busy) / len(busy)) - 1, places=12)
        self.assertGreater(summary["rank_imbalance"], 0)
        self.assertEqual(self.one["rank_imbalance"], 0)

    def test_reference_is_not_trivial(self):
        # Spikes in both ranks' ranges, of both populations, so the exchange carried traffic both ways.
        spikes = np.load(os.path.join(self.one_dir, "spikes.npy"))
        ids = spikes[:, 1]
        self.assertGreater(len(ids), 1000)
        for lo, hi in [(0, 2048), (2048, 3200), (3200, 4000)]:
            self.assertGreater(np.count_nonzero((ids >= lo) & (ids < hi)), 50, (lo, hi))

    def test_two_ranks(self):
        self.check_identical("two", 2)

    def test_two_ranks_two_threads_each(self):
        self.check_identical("two_by_two", 2, ["--threads", "2"])

    def test_ranks_share_the_machines_cpus(self):
        # mpirun --bind-to none (MPI_FLAGS) allows each rank every CPU of the machine. With a CPU for each worker,
        # rank 0 pins worker 0 to the first and its helper to the next; with more workers than CPUs (2 ranks x 2
        # threads on this 2-core machine) pinning would stack them: nothing is pinned, the waits yield at once and
        # the run warns (spinning, `mpirun -n 2 ... --threads 2` ran 15-50 times slower than one thread per rank: an
        # outside audit, 2026-12-06). Reference: the CPUs os.sched_getaffinity gives this process, mpirun's
        # children's too. Break tried: the crowding condition inverted (pinned, no warning).
        err = []
        summary = simulate(os.path.join(self.tmp.name, "placement"), 2, ["--threads", "2"], stderr=err)
        cpus = sorted(os.sched_getaffinity(0))
        placement = summary["worker_placement"]
        if 2 * 2 > len(cpus):
            self.assertEqual(placement, "rank 0: workers not pinned, waiting workers yield at once (2 ranks x 2 "
                                        f"threads on the {len(cpus)} CPUs they may use)")
            self.assertIn("simulate: warning: more worker threads than CPUs for them", err[0])
        else:
            self.assertEqual(placement, f"rank 0: worker 0 pinned to CPU {cpus[0]}; 1 helper worker(s) placed on CPU "
                                        f"{cpus[1]}")
            self.assertNotIn("simulate: warning: more worker threads", err[0])

    def test_three_ranks(self):
        self.check_identical("three", 3)

    def test_diverging_cells_are_counted_on_every_rank(self):
        # No MPI run had diverging cells (a mutation audit): rank 0 keeping only the last rank's count went unseen.
        # A runaway excitatory cell: with a = -10000 nS and tau_w = 0.2 ms, V below E_L raises w, which lowers V
        # (C dV/dt = ... - w): the linear Euler step's eigenvalue ~2.35 per 0.1 ms step, so a cell reset below E_L
        # (v_reset -70 < e_l -65 mV) runs to +-inf within ~10 ms and is reset and counted (docs/engine.md), again and again in 0.2 s. Exc cells
        # lie on both ranks (0..2048 and 2048..3200 of 4000). Reference: the one-process run of the same config; the
        # count must be > 0 and equal, as must every file. Break tried: network::readout_sums keeping the last rank's
        # diverged (= instead of +=) -> the 2-rank count is rank 1's alone, fails.
        runaway = ["--set", "network.exc.a_nS=-10000", "--set", "network.exc.tau_w_ms=0.2",
                   "--set", "network.exc.v_reset_mV=-70"]
        one = simulate(os.path.join(self.tmp.name, "runaway_one"), None, runaway)
        two = simulate(os.path.join(self.tmp.name, "runaway_two"), 2, runaway)
        self.assertGreater(one["diverged"], 0)
        self.assertEqual(two["diverged"], one["diverged"])
        for f in FILES:
            self.assertEqual(read_bytes(os.path.join(self.tmp.name, "runaway_one", f)),
                             read_bytes(os.path.join(self.tmp.name, "runaway_two", f)), f)

    def test_ranks_without_cells_are_named(self):
        # 2003 cells are two blocks of 1024 (engine::rank_bounds): a third rank owns none and only waits, which went
        # unsaid (an outside check, 2026-12-05). Reference: ceil(2003 / 1024) = 2. Break tried: the note's count
        # taken over all bounds (3 ranks idle).
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run([MPIEXEC, *MPI_FLAGS, "-n", "3", BINARY, "simulate", "--config",
                                "configs/zerlaut2018_network.toml", "--set", "network.n_neurons=2003", "--duration",
                                "0.02", "--out", os.path.join(tmp, "out")], capture_output=True, text=True, cwd=ROOT,
                               timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr.count("own no cells"), 1, r.stderr)  # rank 0 says it, once
            self.assertIn("1 of the 3 ranks own no cells (a rank takes whole blocks of 1024 cells; 2003 cells fill 2)",
                          r.stderr)

    def test_serve_is_refused_with_two_ranks(self):
        r = subprocess.run([MPIEXEC, *MPI_FLAGS, "-n", "2", BINARY, "serve", "--duration", "0.1"],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
        # Exit 2, a wrong command line as serve --help says, said once (rank 0): it exited 1 and every rank said it
        # (an outside audit, 2026-12-06). Break tried: the refusal thrown by every rank (said twice).
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr.count("serve runs as one process"), 1, r.stderr)

    def test_one_process_commands_are_refused_with_two_ranks(self):
        # Every command but simulate and sweep runs as one process: under mpirun each rank did the whole work (aln-table
        # computed and wrote one file twice, exit 0; plasticity's rank 1 was refused the folder rank 0 held, exit 1
        # with the results written: an outside audit, 2026-12-07). Refused before any work, exit 2, said once (rank
        # 0), nothing written. Break tried: the parse_complete_callback in main.cpp left out -> aln-table exits 0.
        with tempfile.TemporaryDirectory() as tmp:
            for name, args in (("aln-table", ["--out", os.path.join(tmp, "table.bin")]),
                               ("plasticity", ["--out", os.path.join(tmp, "plasticity"), "--no-png"]),
                               ("tf", ["--fe-Hz", "4", "--fi-Hz", "4"]),
                               ("keys", ["--out", os.path.join(tmp, "keys")])):
                with self.subTest(command=name):
                    r = subprocess.run([MPIEXEC, *MPI_FLAGS, "-n", "2", BINARY, name, *args], capture_output=True,
                                       text=True, cwd=ROOT, timeout=120)
                    self.assertEqual(r.returncode, 2, r.stderr)
                    self.assertEqual(r.stderr.count(f"{name} runs as one process, but mpirun started 2"), 1, r.stderr)
                    self.assertEqual(os.listdir(tmp), [])

    def test_a_wrong_command_line_is_said_once(self):
        # Every rank parses the same command line: each printed "--out is required" (an outside audit's note,
        # 2026-12-07). Rank 0 says it, exit 2 (a wrong command line). Reference: CLI11's own text, as one process
        # prints it. Break tried: the launched_rank() > 0 return in main.cpp's ParseError handler left out -> twice.
        for args, text in ((["simulate"], "--out is required"), (["stim"], "action is required"),
                           (["sweep", "--bogus"], "--bogus")):
            with self.subTest(args=args):
                r = subprocess.run([MPIEXEC, *MPI_FLAGS, "-n", "2", BINARY, *args], capture_output=True, text=True,
                                   cwd=ROOT, timeout=120)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stderr.count(text), 1, r.stderr)

    def test_a_ring_alone_is_refused_with_two_ranks(self):
        # A config with no spiking network has nothing to split: each rank ran the whole ring, silently (an outside
        # check, 2026-12-04). Break tried: the refusal removed -> exit 0.
        r = subprocess.run([MPIEXEC, *MPI_FLAGS, "-n", "2", BINARY, "simulate", "--config", "configs/zerlaut2018_ring.toml",
                            "--out", "/tmp/unused_mpi_ring", "--duration", "0.1"],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("there is nothing to split over mpirun's ranks", r.stderr)


class ExchangeOncePerMinimumDelay(unittest.TestCase):
    """With transmission delays the ranks exchange a batch of steps' spikes at once, as NEST exchanges once per
    minimum delay (docs/engine.md, "Across processes"): a spike of step k with a delay of d steps acts from step
    k + d + 1, so B <= d_min + 1 steps per exchange are in time, and the engine takes the longest such B that divides
    the tick. Reference: one process with the same delays (its delivery from the spike ring is checked against the
    undelayed network, tests/test_network.cpp); property: every file byte for byte, and the number of exchanges.
    Breaks tried, each failing here: max_exchange_steps one step too long (d_min + 2: the tick-of-4-steps case
    then batches 4 steps where 3 are in time, and spikes reach their targets late: every file differs); each
    batch's pieces recorded in reverse rank order (both conductance cases: every file differs, the ring's lists no
    longer ascending with their E cells first)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check(self, name, args, steps_per_exchange, exchanges):
        one = simulate(os.path.join(self.tmp.name, name + "_one"), None, args)
        two = simulate(os.path.join(self.tmp.name, name + "_two"), 2, args)
        spikes = np.load(os.path.join(self.tmp.name, name + "_one", "spikes.npy"))
        self.assertGreater(len(spikes), 1000)  # traffic to exchange
        for f in FILES:
            with self.subTest(file=f):
                a = read_bytes(os.path.join(self.tmp.name, name + "_one", f))
                b = read_bytes(os.path.join(self.tmp.name, name + "_two", f))
                self.assertEqual(a, b, f"{f} differs between 1 process and 2 ranks, {args}")
        for key in ["n_synapses", "drive_events", "mean_rate_exc_Hz", "mean_rate_inh_Hz"]:
            self.assertEqual(two[key], one[key], key)
        self.assertEqual(two["exchange_every_steps"], steps_per_exchange)
        self.assertEqual(two["spike_exchanges"], exchanges)

    def test_conductance_delays(self):
        # d_min = 0.8 ms = 8 steps: up to 9 steps per exchange, 5 the longest that divides the 10-step tick;
        # 2000 steps / 5.
        self.check("delays", ["--set", "network.delay_exc_ms=1.5", "--set", "network.delay_inh_ms=0.8"], 5, 400)

    def test_batch_bounded_by_the_shortest_delay(self):
        # A tick of 4 steps (divisors 1, 2, 4) and d_min = 2 steps (at most 3 per exchange): 2.
        self.check("short", ["--set", "simulation.tick_ms=0.4", "--set", "network.delay_exc_ms=1.5",
                             "--set", "network.delay_inh_ms=0.2"], 2, 1000)

    def check_config(self, name, config, steps_per_exchange, exchanges):
        """4000 cells of another network model's config, 0.2 s: 1 process against 2 ranks, byte for byte."""
        one = os.path.join(self.tmp.name, name + "_one")
        two = os.path.join(self.tmp.name, name + "_two")
        args = ["simulate", "--config", config, "--duration", "0.2", "--seed", "7",
                "--set", "network.n_neurons=4000", "--record", "spikes", "--quiet"]
        for out, ranks in [(one, None), (two, 2)]:
            cmd = [BINARY, *args, "--out", out]
            if ranks:
                cmd = [MPIEXEC, *MPI_FLAGS, "-n", str(ranks), *cmd]
            r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(two, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(summary["exchange_every_steps"], steps_per_exchange)
        self.assertEqual(summary["spike_exchanges"], exchanges)
        self.assertGreater(len(np.load(os.path.join(one, "spikes.npy"))), 1000)
        for f in FILES:
            with self.subTest(file=f):
                self.assertEqual(read_bytes(os.path.join(one, f)), read_bytes(os.path.join(two, f)), f)

    def test_fraction_network(self):
        # Cakan & Obermayer's network (delays 4 ms from E, 2 ms from I, i.e. d_min = 20 steps): one exchange per
        # 10-step tick.
        self.check_config("cakan", "configs/cakan2020/network.toml", 10, 200)

    def test_hh_network(self):
        # Carlu et al. 2020's network of Hodgkin-Huxley cells (engine/network/hh_update.cpp), no delays: an exchange
        # every step. Break tried: the drive's draws from the rank-local group (chunk - begin): rates, mean_v, lfp
        # and spikes differ.
        self.check_config("carlu", "configs/carlu2020/network.toml", 1, 2000)


class ErrorsUnderMpirun(unittest.TestCase):
    """Bad input under `mpirun -n 2` is refused with the same text as in one process, not only Open MPI's
    "MPI_ABORT was invoked" (the rank's MPI session aborts every rank while the exception unwinds, before main()
    printed it), and with the exit code of one process (2: the command line or config is wrong; MPI_Abort gave
    every error 1, an outside check, 2026-12-04). Reference: the one-process run's own message and code. Breaks
    tried: reporting_before_abort not printing (as before this test) -> the key's name is missing from stderr, for
    both commands; the session aborting with 1 whatever the error -> exit 1, for both."""

    def check_named(self, args, text):
        r = subprocess.run([MPIEXEC, *MPI_FLAGS, "-n", "2", BINARY, *args], capture_output=True, text=True,
                           cwd=ROOT, timeout=120)
        one = subprocess.run([BINARY, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
        self.assertEqual(one.returncode, 2, one.stderr)
        self.assertEqual(r.returncode, one.returncode, r.stderr)
        self.assertIn(text, r.stderr)
        # Refused before MPI starts (test_simulate_refuses_before_mpi_starts). Break tried for sweep: prepare_sweep
        # called inside run_on_ranks -> "MPI_ABORT was invoked", fails.
        self.assertNotIn("MPI_ABORT", r.stderr)

    def test_simulate_names_a_bad_key(self):
        self.check_named(["simulate", "--config", "configs/zerlaut2018_network.toml", "--out", "/tmp/unused_mpi",
                          "--threads", "0"], "--threads 0: must be in [1,")

    def test_simulate_refuses_before_mpi_starts(self):
        # simulate checks its config and options before MPI_Init: every rank refuses alike and exits 2 as one process
        # does. Refused inside the MPI session, every rank's MPI_Abort made Open MPI 4.1 print "MPI_ABORT was
        # invoked" and, in 7 of 20 runs, "ORTE_ERROR_LOG: Data unpack would read past end of buffer" (an outside
        # check, 2026-12-06), and an [aln] config exited 1. Break tried: the checks back inside run_on_ranks -> the
        # MPI_ABORT text is there, this test fails.
        # An --out that cannot be written too (exit 1, as one process: it aborted, and once printed ORTE_ERROR_LOG: a
        # review, 2026-12-06; break tried: the check inside simulate_ranks as before -> MPI_ABORT, fails).
        network = ["--config", "configs/zerlaut2018_network.toml"]
        for args, text, code in ((["--config", "configs/cakan2020/aln.toml", "--out", "/tmp/unused_mpi"],
                                  "an [aln] config", 2),
                                 ([*network, "--threads", "0", "--out", "/tmp/unused_mpi"], "--threads 0: ", 2),
                                 ([*network, "--out", "/proc/cortexloop-nope"], "/proc/cortexloop-nope", 1)):
            with self.subTest(args=args):
                r = subprocess.run([MPIEXEC, *MPI_FLAGS, "-n", "2", BINARY, "simulate", *args, "--duration", "0.1"],
                                   capture_output=True, text=True, cwd=ROOT, timeout=120)
                self.assertEqual(r.returncode, code, r.stderr)
                self.assertIn(text, r.stderr)
                self.assertNotIn("MPI_ABORT", r.stderr)
                self.assertNotIn("ORTE_ERROR_LOG", r.stderr)

    def test_sweep_names_a_bad_key(self):
        self.check_named(["sweep", "--out", "/tmp/unused_mpi_sweep", "--x", "aln.no_such_key=1,2",
                          "--y", "aln.mu_ext_i_mV_per_ms=0,1", "-q"], "--x aln.no_such_key = 1: unknown key")

    def test_a_start_up_refusal_is_said_once(self):
        # Every rank reads the same command line and config, and each printed the config error (an outside audit,
        # 2026-12-07): rank 0 says it, once, and the job exits with one process's code. Reference: the one-process
        # run's error line and exit code. Breaks tried: report_error's said_by_rank_0 ignored (every rank printing, as
        # before) -> each case but --out said twice, fails; check_traces_fit back after the set-up (inside the MPI
        # session) -> the --duration case said after "MPI_ABORT was invoked", fails; --out checked by every rank ->
        # said twice.
        network = ["simulate", "--config", "configs/zerlaut2018_network.toml"]
        out = ["--out", "/tmp/unused_mpi_once"]
        for args in ([*network, *out, "--set", "no.such.key=1"],
                     [*network, *out, "--threads", "0"],
                     # 1e10 ticks of 0.1 ms: 360 GB of traces, more than any machine here holds.
                     [*network, *out, "--duration", "1e6", "--set", "simulation.tick_ms=0.1"],
                     [*network, *out, "--sweep", "network.drive.rate_Hz=3,x"],
                     [*network, "--out", "/proc/cortexloop-nope", "--duration", "0.1"],
                     ["sweep", *out, "--x", "aln.no_such_key=1,2", "--y", "aln.mu_ext_i_mV_per_ms=0,1", "-q"]):
            with self.subTest(args=args):
                one = subprocess.run([BINARY, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
                line = one.stderr.strip()
                self.assertTrue(line.startswith("cortexloop: ") and "\n" not in line, one.stderr)
                self.assertNotEqual(one.returncode, 0)
                r = subprocess.run([MPIEXEC, *MPI_FLAGS, "-n", "2", BINARY, *args], capture_output=True, text=True,
                                   cwd=ROOT, timeout=120)
                self.assertEqual(r.returncode, one.returncode, r.stderr)
                self.assertEqual(r.stderr.count(line), 1, r.stderr)
                self.assertNotIn("ORTE_ERROR_LOG", r.stderr)
                self.assertNotIn("MPI_ABORT", r.stderr)


class HeldFolderUnderMpirun(unittest.TestCase):
    """A run under mpirun into a folder another process writes (holding its lock, flock(2), as a simulate or a
    recorder alone does) is refused by rank 0, which writes the files, and mpirun ends the others; the folder's files
    are left as they were (only a run of one process took the lock: an outside audit's note, 2026-12-07). Reference:
    flock(2)'s exclusive lock, held here by the test as the first run would; the one-process refusal's text. Break
    tried: the lock taken only when launched == 1 (as before) -> exit 0 and rates.npy rewritten, fails."""

    def test_refused_by_rank_0(self):
        import fcntl
        with tempfile.TemporaryDirectory(prefix="cortexloop_mpi_lock_") as out:
            fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                with open(os.path.join(out, "rates.npy"), "w") as f:
                    f.write("the first run's")
                # A running sweep's point of rank 1: the refused sweep's rank 1 cleared it before its rank 0 was
                # refused (nothing ordered the ranks). Break tried: wait_for_rank_0 returning at once -> removed.
                os.mkdir(os.path.join(out, "point_001"))
                with open(os.path.join(out, "point_001", "rates.npy"), "w") as f:
                    f.write("the first run's point 1")
                aln_sweep = ["sweep", "--x", "aln.mu_ext_e_mV_per_ms=0:3:2", "--y", "aln.mu_ext_i_mV_per_ms=0:3:2",
                             "--duration", "3", "--quiet"]
                for args in ([*SIMULATE], [*SIMULATE, "--sweep", "network.drive.rate_Hz=3,4"], aln_sweep):
                    with self.subTest(args=args):
                        r = subprocess.run([MPIEXEC, *MPI_FLAGS, "-n", "2", BINARY, *args, "--out", out],
                                           capture_output=True, text=True, cwd=ROOT, timeout=120)
                        self.assertEqual(r.returncode, 1, r.stderr)
                        self.assertIn("--out " + out + ": another cortexloop process is writing into this folder",
                                      r.stderr)
                        with open(os.path.join(out, "rates.npy")) as f:
                            self.assertEqual(f.read(), "the first run's")
                        with open(os.path.join(out, "point_001", "rates.npy")) as f:
                            self.assertEqual(f.read(), "the first run's point 1")
            finally:
                os.close(fd)


class KilledUnderMpirun(unittest.TestCase):
    """SIGTERM to mpirun ends the ranks (they keep the default action: each would stop at its own tick, and their
    collectives would no longer meet), before rank 0 finished its files. It left a spikes.npy of megabytes whose
    header said 0 rows, which np.load read as an empty array (an outside audit, 2026-12-06). Now no spikes.npy is
    left, only spikes.npy.partial with the rows streamed so far (docs/engine.md, "Running it"). Reference: the
    finished runs above, whose folders hold spikes.npy and summary.json. Break tried: npy_row_writer opening the final
    name (partial_path() left out of its constructor) -> spikes.npy there after the kill, this test fails. The
    mechanism without MPI: test_simulate_cli.py, SimulateKilledMidRun (SIGKILL)."""

    def test_no_spikes_npy_after_sigterm_to_mpirun(self):
        import signal
        import time
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            spikes = os.path.join(out, "spikes.npy")
            p = subprocess.Popen([MPIEXEC, *MPI_FLAGS, "-n", "2", BINARY, "simulate", "--config",
                                  "configs/zerlaut2018_network.toml", "--duration", "600", "--set",
                                  "network.n_neurons=4000", *DRIVE, "--record", "spikes", "--quiet", "--out", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
            try:
                deadline = time.monotonic() + 60  # rows on disk: past the 128-byte header and a stdio buffer
                while time.monotonic() < deadline and not any(
                        os.path.exists(f) and os.path.getsize(f) > 128 + 4096 for f in (spikes, spikes + ".partial")):
                    time.sleep(0.05)
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=60)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            self.assertNotEqual(p.returncode, 0)
            self.assertFalse(os.path.exists(os.path.join(out, "summary.json")))
            self.assertFalse(os.path.exists(spikes), "a killed run left a spikes.npy")
            self.assertGreater(os.path.getsize(spikes + ".partial"), 128 + 4096)


class SweepOverRanks(unittest.TestCase):
    """`mpirun -n 2 cortexloop simulate --sweep KEY=a,b,c`: rank r runs points r, r + 2, ...; each point's files
    equal, byte for byte, those of a plain one-process run with --set KEY=value (the reference), and sweep.json
    indexes the grid. Break tried: every rank running point 0's overrides -> point 1 differs from its reference."""

    def test_each_point_equals_its_own_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            base = ["simulate", "--config", "configs/zerlaut2018_network.toml", "--duration", "0.2", "--quiet",
                    "--set", "network.n_neurons=2000"]
            sweep = os.path.join(tmp, "sweep")
            r = subprocess.run([MPIEXEC, *MPI_FLAGS, "-n", "2", BINARY, *base, "--out", sweep,
                                "--sweep", "network.drive.rate_Hz=3,6", "--sweep", "simulation.seed=1,2"],
                               capture_output=True, text=True, cwd=ROOT, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(sweep, "sweep.json")) as f:
                index = json.load(f)
            self.assertEqual([p["sweep"] for p in index["points"]],
                             [["network.drive.rate_Hz=3", "simulation.seed=1"],
                              ["network.drive.rate_Hz=3", "simulation.seed=2"],
                              ["network.drive.rate_Hz=6", "simulation.seed=1"],
                              ["network.drive.rate_Hz=6", "simulation.seed=2"]])
            self.assertEqual([p["rank"] for p in index["points"]], [0, 1, 0, 1])
            for point in [1, 2]:  # one point of each rank
                overrides = index["points"][point]["sweep"]
                ref = os.path.join(tmp, f"ref{point}")
                args = [BINARY, *base, "--out", ref]
                for o in overrides:
                    args += ["--set", o]
                r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300)
                self.assertEqual(r.returncode, 0, r.stderr)
                got = os.path.join(sweep, index["points"][point]["dir"])
                for f in ["rates.npy", "mean_v.npy", "lfp.npy"]:
                    self.assertEqual(read_bytes(os.path.join(got, f)), read_bytes(os.path.join(ref, f)),
                                     f"point {point} {f}")

    def test_a_sweeps_ranks_share_the_machines_cpus(self):
        # A sweep's points run each in its rank without MPI: with --threads 2 every rank pinned its worker 0 to CPU 0
        # and its helper to CPU 1, stacked, without a word (an outside audit, 2026-12-07). They split the CPUs as an
        # MPI run's ranks do (test_ranks_share_the_machines_cpus above). Reference: os.sched_getaffinity's CPUs,
        # mpirun's children's too (--bind-to none), against 2 ranks x 2 threads. Break tried: the sweep's points
        # placed as one process's again -> "worker 0 pinned to CPU 0" in both, no warning: this fails.
        with tempfile.TemporaryDirectory() as tmp:
            sweep = os.path.join(tmp, "sweep")
            r = subprocess.run([MPIEXEC, *MPI_FLAGS, "-n", "2", BINARY, "simulate", "--config",
                                "configs/zerlaut2018_network.toml", "--duration", "0.05", "--set",
                                "network.n_neurons=2000", "--threads", "2", "--out", sweep, "--sweep",
                                "simulation.seed=1,2", "--quiet"], capture_output=True, text=True, cwd=ROOT, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            placements = []
            for point in ("point_000", "point_001"):
                with open(os.path.join(sweep, point, "summary.json")) as f:
                    placements.append(json.load(f)["worker_placement"])
        cpus = sorted(os.sched_getaffinity(0))
        if 2 * 2 > len(cpus):
            self.assertEqual(placements, [f"rank {k}: workers not pinned, waiting workers yield at once (2 ranks x 2 "
                                          f"threads on the {len(cpus)} CPUs they may use)" for k in (0, 1)])
            self.assertEqual(r.stderr.count("simulate: warning: more worker threads than CPUs for them"), 1, r.stderr)
        else:
            self.assertEqual(placements, [f"rank {k}: worker 0 pinned to CPU {cpus[2 * k]}; 1 helper worker(s) placed "
                                          f"on CPU {cpus[2 * k + 1]}" for k in (0, 1)])
            self.assertNotIn("simulate: warning: more worker threads", r.stderr)

    def test_sweep_json_says_every_points_outcome(self):
        # Rank 0 alone wrote sweep.json: rank 1's points read "unknown" however the sweep ended, and a user could not
        # tell a finished grid from one cut short (an outside audit, 2026-12-07). Each rank now records its own
        # points. Reference: the point folders (a summary.json saying "interrupted": false or true) and the
        # outcome of each point of one process's sweep. Break tried: rank > 0 recording nothing (records = rank == 0, as
        # before) -> point 1 "not run" once the grid ran, fails; with its "unknown" back too -> "unknown", fails.
        import signal
        import time
        base = ["simulate", "--config", "configs/zerlaut2018_network.toml", "--set", "network.n_neurons=2000",
                "--record", "spikes", "--quiet", "--sweep", "network.drive.rate_Hz=3,5,7,9"]

        def statuses(sweep):
            with open(os.path.join(sweep, "sweep.json")) as f:
                index = json.load(f)
            return index["interrupted"], [p["status"] for p in index["points"]]

        def folder_says(sweep, point):
            path = os.path.join(sweep, f"point_{point:03d}", "summary.json")
            if not os.path.exists(path):
                return None
            with open(path) as f:
                return "interrupted" if json.load(f)["interrupted"] else "ran"

        with tempfile.TemporaryDirectory() as tmp:
            done = os.path.join(tmp, "done")
            r = subprocess.run([MPIEXEC, *MPI_FLAGS, "-n", "2", BINARY, *base, "--duration", "0.1", "--out", done],
                               capture_output=True, text=True, cwd=ROOT, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(statuses(done), (False, ["ran"] * 4))
            # SIGTERM to mpirun once both ranks step their first point: each stops it at a tick and keeps its files.
            stopped = os.path.join(tmp, "stopped")
            p = subprocess.Popen([MPIEXEC, *MPI_FLAGS, "-n", "2", BINARY, *base, "--duration", "60", "--out",
                                  stopped], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
            try:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not all(
                        os.path.exists(os.path.join(stopped, f"point_00{i}", "spikes.npy.partial")) for i in (0, 1)):
                    time.sleep(0.05)
                p.send_signal(signal.SIGTERM)
                _, err = p.communicate(timeout=60)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            self.assertNotEqual(p.returncode, 0, err)
            interrupted, status = statuses(stopped)
            self.assertTrue(interrupted)
            self.assertEqual(status[2:], ["not run", "not run"], err)
            # The rank that exits first (143) stopped its point, wrote its files and recorded it; mpirun then ends the
            # other, which may not have done so yet: its point reads "running" (killed before it ended).
            self.assertIn("interrupted", status[:2], err)
            for point in (0, 1):
                self.assertIn(status[point], ["interrupted", "running"], err)
                if status[point] == "interrupted":
                    self.assertEqual(folder_says(stopped, point), "interrupted")

    def test_a_bad_sweep_is_refused_with_its_text(self):
        r = subprocess.run([BINARY, "simulate", "--out", "/tmp/unused_sweep", "--sweep", "network.drive.rate_Hz=3,"],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("network.drive.rate_Hz=3,", r.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
