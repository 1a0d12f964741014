"""What every tool's command line shares: a user's mistake (an input file that is not there, a server that refused
its config) ends in one line naming it and a non-zero exit, not a traceback; an output file's folder is created,
so a run's results are not lost at the end for want of it."""
import os
import subprocess
import sys


class ServerExited(RuntimeError):
    """`cortexloop serve` exited before answering, or not cleanly when stopped (a crash at shutdown, a sanitizer's
    report): its exit code and its own message (a config error, a port in use) say why."""


def with_folder(path):
    """`path`, its folder created."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return path


def run(main, prog=None):
    """Calls main(); a missing or unreadable file, or a server that exited, becomes `prog: what` and exit 1."""
    prog = prog or os.path.splitext(os.path.basename(sys.argv[0]))[0]
    try:
        return main()
    except OSError as e:
        if e.filename is not None:
            sys.exit(f"{prog}: {e.filename}: {e.strerror}")
        if e.errno is None:  # raised with a sentence of ours (e.g. the cortexloop binary not found)
            sys.exit(f"{prog}: {e}")
        raise
    except ServerExited as e:
        sys.exit(f"{prog}: {e}")
    except subprocess.CalledProcessError as e:  # the program said why on its own stderr, above this line
        cmd = e.cmd if isinstance(e.cmd, (list, tuple)) else [e.cmd]
        words = " ".join(os.path.basename(str(cmd[0])) if i == 0 else str(w) for i, w in enumerate(cmd[:2]))
        sys.exit(f"{prog}: `{words} ...` exited with code {e.returncode} (its message is above)")
