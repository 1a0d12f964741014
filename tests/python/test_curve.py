"""CURVE end to end from the command line and the Python client (ctest: python_curve; issue 9, "Security").

Checks: `cortexloop keys` writes NAME.key / NAME.key_secret (0600) that serve, stim and the Python client read;
serve refuses an off-loopback bind without keys (naming --insecure and the key options) and starts with
--insecure, warning; with CURVE, a listed client gets acks and readouts, a client without keys or with an
unlisted key gets nothing while the server keeps serving the listed one. All traffic stays on 127.0.0.1 (the
off-loopback binds are only bound, never connected to). Needs CORTEXLOOP_BIN and PYTHONPATH as python_client.
"""
import os
import signal
import stat
import subprocess
import tempfile
import time
import unittest

import zmq
import zmq.auth

from cortexloop_client import Client, load_key_file
from cortexloop_client.loop import ANY_PORT, serve_on_free_ports

BIN = os.environ.get("CORTEXLOOP_BIN", "build/cortexloop")
CONFIG = "configs/zerlaut2018_network.toml"
SMALL = ["--set", "network.n_neurons=1000"]


def keys(out, name):
    r = subprocess.run([BIN, "keys", "--out", out, "--name", name], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    return os.path.join(out, name + ".key"), os.path.join(out, name + ".key_secret"), r.stdout


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def nothing_for(client, seconds):
    """(acks, stream messages) a client gets in `seconds` while it pings every 100 ms."""
    acks = stream = 0
    end = time.monotonic() + seconds
    client.dealer.setsockopt(zmq.SNDTIMEO, 0)
    while time.monotonic() < end:
        try:
            client.ping()
        except TimeoutError:
            pass  # no connection to queue on: the handshake was refused
        if client.next_ack(0.05) is not None:
            acks += 1
        while client.sub.poll(0):
            client.sub.recv_multipart()
            stream += 1
        time.sleep(0.05)
    return acks, stream


class CurveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        old = os.umask(0o022)
        try:
            cls.server_pub, cls.server_sec, cls.keys_stdout = keys(os.path.join(d, "keys"), "server")
            cls.alice_pub, cls.alice_sec, _ = keys(os.path.join(d, "keys", "clients"), "alice")
            cls.mallory_pub, cls.mallory_sec, _ = keys(os.path.join(d, "elsewhere"), "mallory")
        finally:
            os.umask(old)
        cls.clients = os.path.join(d, "keys", "clients")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_keys_writes_files_everyone_reads(self):
        self.assertEqual(mode(self.server_sec), 0o600)
        self.assertEqual(mode(self.alice_sec), 0o600)
        self.assertEqual(mode(self.server_pub), 0o644)
        public, secret = load_key_file(self.server_sec)
        self.assertEqual(load_key_file(self.server_pub), (public, None))
        self.assertEqual(zmq.curve_public(secret), public)
        self.assertIn(public.decode(), self.keys_stdout)
        # pyzmq (and czmq) read the same format.
        self.assertEqual(zmq.auth.load_certificate(self.server_sec), (public, secret))
        with open(self.server_pub) as f:
            self.assertNotIn(secret.decode(), f.read())
        # Never replaced without --force.
        r = subprocess.run([BIN, "keys", "--out", os.path.dirname(self.server_pub), "--name", "server"],
                           capture_output=True, text=True, timeout=20)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--force", r.stderr)
        self.assertEqual(load_key_file(self.server_sec), (public, secret))
        # A name that would leave --out is a wrong command line (exit 2, as keys --help says), before anything is
        # written: it exited 1. Break tried: the option's check removed -> exit 1 from write_key_files.
        with tempfile.TemporaryDirectory() as d:
            for name in ("../x", "", ".."):
                r = subprocess.run([BIN, "keys", "--out", os.path.join(d, "k"), "--name", name],
                                   capture_output=True, text=True, timeout=20)
                self.assertEqual(r.returncode, 2, (name, r.stderr))
                self.assertIn(f"--name: '{name}' is not a file name", r.stderr)
            self.assertEqual(os.listdir(d), [])

    def test_off_loopback_without_keys_is_refused_and_insecure_warns(self):
        common = [BIN, "serve", "--config", CONFIG, *SMALL, "--pub", ANY_PORT,
                  "--duration", "0.1", "--quiet"]
        r = subprocess.run(common + ["--commands", "tcp://*:0"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("refusing to bind the command (--commands) socket to tcp://*:0 without CURVE", r.stderr)
        for option in ("--insecure", "--curve-secret", "--curve-clients"):
            self.assertIn(option, r.stderr)
        r = subprocess.run(common + ["--commands", "tcp://0.0.0.0:0", "--insecure"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"WARNING: --insecure: tcp://0\.0\.0\.0:\d+ is off loopback without CURVE")
        # A secret key file that other users can read is refused by name.
        os.chmod(self.mallory_sec, 0o644)
        try:
            r = subprocess.run(common + ["--commands", ANY_PORT, "--curve-secret",
                                         self.mallory_sec, "--curve-clients", self.clients],
                               capture_output=True, text=True, timeout=60)
        finally:
            os.chmod(self.mallory_sec, 0o600)
        self.assertEqual(r.returncode, 1)
        self.assertIn("chmod 600", r.stderr)
        # Half of the pair is a wrong command line: exit 2 naming the other half (it exited 1 after the config loaded:
        # an outside check, 2026-12-05). Break seen to fail: the options' needs() removed -> exit 1.
        for given, missing, path in (("--curve-secret", "--curve-clients", self.alice_sec),
                                     ("--curve-clients", "--curve-secret", self.clients)):
            r = subprocess.run(common + ["--commands", ANY_PORT, given, path], capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(f"{given} requires {missing}", r.stderr)

    def test_only_listed_clients_get_anything(self):
        proc, pub, commands = serve_on_free_ports([BIN, "serve", "--config", CONFIG, *SMALL, "--curve-secret",
                                                   self.server_sec, "--curve-clients", self.clients],
                                                  stderr=subprocess.PIPE, text=True)
        context = zmq.Context()
        try:
            alice = Client(commands, pub, context=context, curve_server_key=self.server_pub,
                           curve_secret=self.alice_sec)
            self.assertTrue(alice.sync())
            self.assertEqual(len(alice.readouts(50)), 50)

            anonymous = Client(commands, pub, context=context)
            mallory = Client(commands, pub, context=context, curve_server_key=self.server_pub,
                             curve_secret=self.mallory_sec)
            self.assertEqual(nothing_for(anonymous, 1.0), (0, 0))
            self.assertEqual(nothing_for(mallory, 1.0), (0, 0))

            # The CLI's clients: the listed key is answered, the others time out and say why it may be.
            stim = [BIN, "stim", "ping", "--commands", commands, "--timeout", "1"]
            r = subprocess.run(stim + ["--curve-server-key", self.server_pub, "--curve-secret", self.alice_sec],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("ping accepted", r.stdout)
            r = subprocess.run(stim + ["--curve-server-key", self.server_pub, "--curve-secret", self.mallory_sec],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 4)
            self.assertIn("does not list this client's public key", r.stderr)
            r = subprocess.run(stim, capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 4)
            self.assertIn("--curve-server-key", r.stderr)

            # The server kept serving alice throughout.
            self.assertTrue(alice.wait_ack(alice.ping(), 5).accepted)
            self.assertGreater(len(alice.readouts(20)), 0)
            self.assertIsNone(proc.poll())
            # Its status carries the ZAP counters: alice's two sockets (and the CLI's) admitted, mallory's refused.
            status, end = None, time.monotonic() + 5.0
            while time.monotonic() < end:
                m = alice.receive(timeout=0.5)
                if m is not None and m[1] == "status" and m[2]["curve_denied"] >= 2:
                    status = m[2]
                    break
            self.assertIsNotNone(status, "no status with curve_denied >= 2 within 5 s")
            self.assertTrue(status["curve"])
            self.assertGreaterEqual(status["curve_accepted"], 2)
            time.sleep(0.6)  # serve reports refusals every half second
        finally:
            context.destroy(linger=0)  # closes every client socket, whatever failed
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("CURVE on both sockets", err)
        mallory_public, _ = load_key_file(self.mallory_pub)
        self.assertIn("with an unlisted client key", err)
        self.assertIn(mallory_public.decode(), err)


if __name__ == "__main__":
    unittest.main()
