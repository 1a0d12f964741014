"""What the CLI tests of Ctrl-C share (test_simulate_cli.py, test_aln_cli.py): run a command, send it SIGINT once it
is ready, and check that it stopped as a stopped run does: exit code 130 (128 + SIGINT) and a line saying so."""
import signal
import subprocess
import time


def stop_with_ctrl_c(case, args, cwd, ready=lambda: True, settle_s=0.5, timeout_s=120):
    """Runs `args`, waits (up to 60 s) until ready() and then settle_s, sends SIGINT; returns the command's stderr."""
    p = subprocess.Popen(args, stderr=subprocess.PIPE, text=True, cwd=cwd)
    deadline = time.monotonic() + 60
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(settle_s)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=timeout_s)
    case.assertEqual(p.returncode, 130, err)
    case.assertIn("stopped by Ctrl-C (SIGINT)", err)
    return err
