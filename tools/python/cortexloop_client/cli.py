"""What every tool's command line shares: a user's mistake (an input file that is not there, a server that refused
its config) ends in one line naming it and a non-zero exit, not a traceback; an output file's folder is created,
so a run's results are not lost at the end for want of it."""
import argparse
import math
import os
import subprocess
import sys


class ToolError(RuntimeError):
    """A user's mistake the code finds late (an endpoint libzmq cannot parse, a server in the other mode) or a
    server that stopped answering: `run` prints `prog: message` and exits 1, without a traceback."""


class ServerExited(ToolError):
    """`cortexloop serve` exited before answering, or not cleanly when stopped (a crash at shutdown, a sanitizer's
    report): its exit code and its own message (a config error, a port in use) say why."""


def positive_float(text):
    """argparse type: a finite number > 0 (float() takes nan, inf and negatives, which hung or crashed the tools)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def positive_int(text):
    """argparse type: a whole number > 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def int_list(text):
    """argparse type: comma-separated whole numbers (e.g. seeds 1,2,3)."""
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None


def load_toml(path):
    """tomllib.load of a file, a syntax error named in one line with the file (a TOMLDecodeError traceback before)."""
    import tomllib
    with open(path, "rb") as f:
        try:
            return tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise ToolError(f"{path}: not valid TOML: {e}") from None


def with_folder(path):
    """`path`, its folder created."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return path


def run(main, prog=None):
    """Calls main(); a missing or unreadable file, a server that exited or stopped answering, a ToolError become
    `prog: what` and exit 1; Ctrl-C `prog: interrupted` and exit 130."""
    prog = prog or os.path.splitext(os.path.basename(sys.argv[0]))[0]
    try:
        return main()
    except OSError as e:
        if e.filename is not None:
            sys.exit(f"{prog}: {e.filename}: {e.strerror}")
        if e.errno is None:  # raised with a sentence of ours (e.g. the cortexloop binary not found)
            sys.exit(f"{prog}: {e}")
        raise
    except ToolError as e:
        sys.exit(f"{prog}: {e}")
    except KeyboardInterrupt:  # Ctrl-C: a loop has already cleared the stimulation it drove (loop.run_loop)
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(130)
    except subprocess.CalledProcessError as e:  # the program said why on its own stderr, above this line
        cmd = e.cmd if isinstance(e.cmd, (list, tuple)) else [e.cmd]
        words = " ".join(os.path.basename(str(cmd[0])) if i == 0 else str(w) for i, w in enumerate(cmd[:2]))
        sys.exit(f"{prog}: `{words} ...` exited with code {e.returncode} (its message is above)")
