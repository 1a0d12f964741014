"""What the CLI tests of Ctrl-C share (test_simulate_cli.py, test_aln_cli.py, test_fit_tf_cli.py,
test_cli_messages.py): run a command, send it SIGINT (or SIGTERM) once it is ready, and check that it stopped as a
stopped run does: exit code 130 (128 + SIGINT) or 143 and a line saying so."""
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


def signal_after_line(args, cwd, says, sig, settle_s=0.3, ignore_sigint=False, timeout_s=300):
    """Runs `args`, reads its stderr until a line holding `says` (up to the end of its output), waits settle_s, sends
    `sig`; returns (returncode, stdout, stderr). ignore_sigint: start it with SIGINT ignored, as a non-interactive
    shell starts `cmd &` (the case where `kill -INT` did nothing: an outside audit)."""
    def ignore():
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                         preexec_fn=ignore if ignore_sigint else None)
    seen = ""
    while True:
        line = p.stderr.readline()
        seen += line
        if not line or says in line:
            break
    time.sleep(settle_s)
    p.send_signal(sig)
    out, err = p.communicate(timeout=timeout_s)
    return p.returncode, out, seen + err
