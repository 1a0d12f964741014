"""`cortexloop serve` gives back the memory of a Reset and of a subscriber that stopped reading (ctest:
python_serve_memory; configs/default.toml, realtime; ~20 s, ~80 s when it fails). RSS is the server's VmRSS.

- Resets: RSS after the 6th Reset within 8 MB of RSS after the 1st. Before the fix a one-time +21 MB stayed from
  the third Reset on (glibc's dynamic mmap threshold; `serve` now fixes it, tools/serve_command.cpp, and the I/O
  thread trims after freeing the old engine, io/io_thread.cpp).
- A subscriber to every topic that never reads (ZMQ_RCVHWM 1, 4 kB socket buffer) makes the server queue up to
  pub_hwm (5000) messages for it: RSS must grow by >= 5 MB while it stalls (else the test proves nothing), and
  within 30 s of it leaving come back within 3 MB of where it was. Before the I/O thread's periodic malloc_trim
  (io/io_thread.cpp, every 10 s) the ~10 MB stayed resident for good after the subscriber left.
Measured on the shared 2-core VM: fixed, 40.6 -> 40.7 MB over the Resets; 40.6 MB, 50.7 MB while stalled, 40.7 MB
4.0 s after it left. Break tried: against the binary before the fix (0089be2) both fail: +20.9 MB over the
Resets; 41.1 MB, 51.2 MB while stalled, still 51.2 MB 30 s after it left. (The Reset test does not tell the two
changes apart: the fixed mmap threshold alone kept 30 Resets flat, bench/reset_rss.py; the trim alone was not
measured.)
- A Reset that cannot allocate its second engine (an address-space limit) is refused naming memory, and the server
  runs on (its own case says how the limit is chosen).
"""
import os
import signal
import subprocess
import sys
import time
import unittest

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path[:0] = [os.path.join(REPO, "build", "python"), os.path.join(REPO, "tools", "python")]
from cortexloop_client import Client  # noqa: E402
from cortexloop_client.loop import serve_on_free_ports  # noqa: E402

BIN = os.environ.get("CORTEXLOOP_BIN", os.path.join(REPO, "build", "cortexloop"))
MB = 1024.0  # kB per MB (VmRSS is in kB)


class Server:
    def __init__(self, extra=(), address_space_kib=None):
        limit = None
        if address_space_kib is not None:
            def limit():
                import resource
                resource.setrlimit(resource.RLIMIT_AS, (address_space_kib * 1024, address_space_kib * 1024))
        self.proc, self.pub, self.commands = serve_on_free_ports(
            [BIN, "serve", "--config", os.path.join(REPO, "configs", "default.toml"), "--quiet", *extra],
            preexec_fn=limit)
        self.client = Client(self.commands, None)
        if self.client.info(60) is None:
            self.stop()
            raise RuntimeError("server did not answer GetInfo within 60 s")

    def rss_kib(self, field="VmRSS"):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise RuntimeError("no " + field)

    def reset(self, seed):
        ack = self.client.wait_ack(self.client.reset(seed), 120)
        assert ack is not None and ack.accepted, f"Reset {seed}: {ack.code_name if ack else 'no ack'}"

    def stop(self):
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class ServeMemoryTest(unittest.TestCase):
    def test_resets_give_their_memory_back(self):
        s = Server()
        try:
            s.reset(1)
            time.sleep(0.5)
            first = s.rss_kib()
            for seed in range(2, 7):
                s.reset(seed)
            time.sleep(0.5)
            last = s.rss_kib()
        finally:
            rc = s.stop()
        print(f"RSS after Reset 1: {first / MB:.1f} MB, after Reset 6: {last / MB:.1f} MB", flush=True)
        self.assertLess(last - first, 8 * MB)
        self.assertEqual(rc, 0)

    def test_stalled_subscriber_memory_is_given_back(self):
        s = Server()
        ctx = zmq.Context()
        try:
            s.reset(1)  # as in a soak: the engine from start-up is gone
            time.sleep(0.5)
            before = s.rss_kib()
            sub = ctx.socket(zmq.SUB)
            sub.setsockopt(zmq.RCVHWM, 1)
            sub.setsockopt(zmq.RCVBUF, 4096)
            sub.setsockopt(zmq.LINGER, 0)
            sub.setsockopt(zmq.SUBSCRIBE, b"")
            sub.connect(s.pub)
            t0 = time.monotonic()
            peak = before
            while time.monotonic() - t0 < 30 and peak - before < 8 * MB:
                time.sleep(0.5)
                peak = max(peak, s.rss_kib())
            time.sleep(1.0)
            peak = max(peak, s.rss_kib())
            sub.close()
            t1 = time.monotonic()
            after = s.rss_kib()
            while time.monotonic() - t1 < 30 and after - before > 3 * MB:
                time.sleep(0.5)
                after = s.rss_kib()
            waited = time.monotonic() - t1
        finally:
            ctx.term()
            rc = s.stop()
        print(f"RSS {before / MB:.1f} MB before the stalled subscriber, {peak / MB:.1f} MB while it stalled, "
              f"{after / MB:.1f} MB {waited:.1f} s after it left", flush=True)
        self.assertGreaterEqual(peak - before, 5 * MB, "the server's queue to the subscriber did not fill")
        self.assertLessEqual(after - before, 3 * MB)
        self.assertEqual(rc, 0)

    def test_a_reset_without_memory_for_a_second_engine_says_so(self):
        # A Reset builds its engine beside the running one (docs/protocol.md, Reset): under an address-space limit
        # that fits one engine, the ack said "Reset failed: std::bad_alloc" with nothing on why (an outside audit,
        # 2026-12-07). Reference: the limit itself, the process's peak address space after start-up plus half the
        # engine's resident memory (a ~250 MB engine: 1000 cells, dt 0.01 ms, 200 ms ticks), which the second engine
        # cannot fit in; the server must answer, name memory, and run on. Break tried: the builder's bad_alloc caught
        # as any exception (e.what()) -> "std::bad_alloc", this fails.
        big = ["--mode", "stepped", "--set", "network.n_neurons=1000", "--set", "simulation.dt_ms=0.01",
               "--set", "simulation.tick_ms=200"]
        s = Server(big)
        try:
            peak, engine = s.rss_kib("VmPeak"), s.rss_kib()
        finally:
            s.stop()
        s = Server(big, address_space_kib=peak + engine // 2)
        try:
            ack = s.client.wait_ack(s.client.reset(4), 120)
            self.assertIsNotNone(ack)
            self.assertFalse(ack.accepted)
            self.assertIn("not enough memory for a second engine", ack.reason)
            self.assertIn("address-space limit", ack.reason)
            self.assertTrue(s.client.wait_ack(s.client.ping(), 30).accepted)  # it runs on
        finally:
            rc = s.stop()
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    # What this test checks is glibc's allocator giving memory back (mallopt, malloc_trim). A sanitizer runtime
    # replaces that allocator (ASan keeps freed memory in quarantine on purpose), so in a sanitizer build
    # (scripts/sanitize.sh) there is nothing to check: exit 77, which ctest reports as skipped.
    if os.environ.get("CORTEXLOOP_SANITIZE"):
        print("skipped: sanitizer build (%s) replaces glibc's allocator" % os.environ["CORTEXLOOP_SANITIZE"])
        sys.exit(77)
    unittest.main()
