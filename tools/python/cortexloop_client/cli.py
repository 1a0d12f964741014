"""What every tool's command line shares: a user's mistake (an input file that is not there, a server that refused
its config) ends in one line naming it and a non-zero exit, not a traceback; an output file's folder is created,
so a run's results are not lost at the end for want of it."""
import argparse
import json
import math
import os
import shutil
import pathlib
import signal
import subprocess
import sys


class ToolError(RuntimeError):
    """A user's mistake the code finds late (an endpoint libzmq cannot parse, a server in the other mode) or a
    server that stopped answering: `run` prints `prog: message` and exits 1, without a traceback."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where a tool run by `run(main, sigterm=True)` is: a KeyboardInterrupt, so every `finally` and
    `except KeyboardInterrupt` that ends the tool's children (a server, a recorder) or clears its stimulation on Ctrl-C
    does the same on SIGTERM (without it a SIGTERM ended the Python process at once and left `cortexloop serve` and
    `record` running: an outside audit of the bench tools)."""


class ServerExited(ToolError):
    """`cortexloop serve` exited before answering, or not cleanly when stopped (a crash at shutdown, a sanitizer's
    report): its exit code and its own message (a config error, a port in use) say why."""


def _float_where(text, holds, what):
    """float(text) if it is finite and holds(value), else argparse's error saying it `what`."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and holds(value)):
        raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
    return value


def float_type(holds, what):
    """An argparse type: a finite number for which holds(value), else "must be `what`, got TEXT" (a tool's own range,
    e.g. bench/idle_cpu.py's (0, 1 day]: one parser for them all)."""
    return lambda text: _float_where(text, holds, what)


def positive_float(text):
    """argparse type: a finite number > 0 (float() takes nan, inf and negatives, which hung or crashed the tools)."""
    return _float_where(text, lambda v: v > 0, "a finite number > 0")


def non_negative_float(text):
    """argparse type: a finite number >= 0."""
    return _float_where(text, lambda v: v >= 0, "a finite number >= 0")


def fraction(text):
    """argparse type: a number in [0, 1]."""
    return _float_where(text, lambda v: 0 <= v <= 1, "in [0, 1]")


def _int_where(text, holds, what):
    """int(text) if holds(value), else argparse's error saying it must be `what`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not holds(value):
        raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
    return value


def int_type(holds, what):
    """An argparse type: a whole number for which holds(value), else "must be `what`, got TEXT"."""
    return lambda text: _int_where(text, holds, what)


def non_negative_int(text):
    """argparse type: a whole number >= 0."""
    return _int_where(text, lambda v: v >= 0, ">= 0")


def positive_int(text):
    """argparse type: a whole number > 0."""
    return _int_where(text, lambda v: v > 0, "> 0")


def executable(text):
    """argparse type: the cortexloop executable a tool starts, checked before it starts anything (a missing one was a
    FileNotFoundError traceback from Popen in reset_rss.py, reset_readout_age.py and soak.py: an outside check,
    2026-12-06); a wrong command line, exit 2."""
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a folder: give the cortexloop executable (e.g. "
                                         f"{os.path.join(text, 'cortexloop')})")
    # A name without a folder is looked up on PATH, as Popen does (a bare name in the current folder is not run by
    # Popen, and was let through here: a reviewer, 2026-12-06); the path returned is absolute.
    found = text if os.sep in text else shutil.which(text)
    if not (found and os.path.isfile(found) and os.access(found, os.X_OK)):
        raise argparse.ArgumentTypeError(f"{text}: no such executable (the cortexloop binary, e.g. build/cortexloop; "
                                         "build it first: scripts/build.sh)")
    return os.path.abspath(found)


def int_list(text):
    """argparse type: comma-separated whole numbers (e.g. seeds 1,2,3)."""
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None


def check_recording_has_ticks(folder):
    """A recording places each readout by its (epoch, tick) in ticks.npy; without it the readouts would be drawn as
    simulate's, one a tick from 1 ms, which mis-times a decimated, gapped or Reset recording unsaid (an outside audit:
    plot, and plot_vsdi too, a review). The files only `record` writes tell a recording from simulate's output."""
    recorded = [n for n in ("session.json", "acks.jsonl", "commands.jsonl") if os.path.exists(os.path.join(folder, n))]
    if recorded and not os.path.exists(os.path.join(folder, "ticks.npy")):
        raise ToolError(f"{folder}: a recording ({recorded[0]}) without ticks.npy: the readouts' times are in it")


def seed_list(text):
    """argparse type: comma-separated seeds, whole numbers in [0, 2^63 - 1] (simulation.seed), as an experiment
    file's must be (--seeds=-1 was let through and started a server, which refused it: an outside audit)."""
    seeds = int_list(text)
    if any(s < 0 or s > 2**63 - 1 for s in seeds):  # simulation.seed's range, which serve checks
        raise argparse.ArgumentTypeError(f"seeds must be whole numbers in [0, 2^63 - 1], got {text!r}")
    return seeds


def load_toml(path):
    """tomllib.load of a file, a syntax error named in one line with the file (a TOMLDecodeError traceback before)."""
    import tomllib
    with open(path, "rb") as f:
        try:
            return tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise ToolError(f"{path}: not valid TOML: {e}") from None


def load_npy(path):
    """np.load of one array, a truncated or foreign file named in one line (a recording or sweep cut short by a full
    disk or a kill raised a ValueError or EOFError traceback in every plotting tool)."""
    import numpy as np
    try:
        value = np.load(path)
    except (ValueError, EOFError) as e:
        raise ToolError(f"{path}: not a readable .npy file ({e})") from None
    if not isinstance(value, np.ndarray):  # an .npz archive under a .npy name
        raise ToolError(f"{path}: not a .npy file of one array")
    return value


def load_json_object(path):
    """A JSON file holding one object (summary.json, sweep.json), a damaged one named in one line (a JSONDecodeError
    or UnicodeDecodeError traceback before)."""
    with open(path, encoding="utf-8") as f:
        try:
            value = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ToolError(f"{path}: not JSON ({e})") from None
    if not isinstance(value, dict):
        raise ToolError(f"{path}: not a JSON object")
    return value


def plural(n, word):
    """"1 point", "2 points": a count in the tools' titles and messages ("on 1 threads", "1 cells per point")."""
    return f"{n} {word}" + ("" if n == 1 else "s")


NUMBER = "number"  # a JSON number: int or float, not true/false (bool is an int in Python)


def _type_ok(value, kind):
    if kind == NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def check_types(path, value, schema, where=""):
    """Checks the keys a tool reads from a JSON object against `schema`, one line naming the first that is wrong (a
    summary.json with "ring": 5 raised an AttributeError traceback in plot). schema maps a key to a type (int, str,
    bool, NUMBER), to a nested schema (a dict: an object, its keys checked alike) or to [item schema] (a list whose
    items are objects holding every key of the item schema). Keys not in the schema are not looked at; a key that is
    absent or null is left to the tool's default."""
    for key, kind in schema.items():
        if value.get(key) is None:
            continue
        item, name = value[key], f"{where}{key}"
        if isinstance(kind, dict):
            if not isinstance(item, dict):
                raise ToolError(f"{path}: {name} is {json.dumps(item)[:40]}, not an object")
            check_types(path, item, kind, name + ".")
        elif isinstance(kind, list):
            if not isinstance(item, list):
                raise ToolError(f"{path}: {name} is {json.dumps(item)[:40]}, not a list")
            for i, element in enumerate(item):
                if not isinstance(element, dict) or any(element.get(k) is None for k in kind[0]):
                    raise ToolError(f"{path}: {name}[{i}] is {json.dumps(element)[:60]}, not an object with "
                                    + ", ".join(kind[0]))
                check_types(path, element, kind[0], f"{name}[{i}].")
        elif not _type_ok(item, kind):
            expected = "a number" if kind == NUMBER else {int: "a whole number", str: "a string",
                                                          bool: "true or false"}[kind]
            raise ToolError(f"{path}: {name} is {json.dumps(item)[:40]}, not {expected}")


def check_rows(folder, arrays, reference):
    """`arrays` ({file name: array}) each hold a row per readout tick, as arrays[reference] does: one that does not is
    a recording cut short (or files of two runs), which a figure would draw against the wrong times; no rows at all
    is a recording stopped before its first tick, with nothing to draw (an IndexError traceback before)."""
    def rows(name):
        if arrays[name].ndim == 0:
            raise ToolError(f"{folder}: {name} holds a single number, not a row per tick")
        return arrays[name].shape[0]
    n = rows(reference)
    if n == 0 and not any(rows(name) for name in arrays):
        raise ToolError(f"{folder}: the recording is empty ({reference} and every other array have 0 rows): "
                        "nothing to draw")
    for name in arrays:
        if rows(name) != n:
            raise ToolError(f"{folder}: {name} has {rows(name)} rows and {reference} {n}: a truncated recording, or "
                            "files of two runs")


FIGURE_FILE_HELP = "a figure file (.png, or another format matplotlib writes; a name without a suffix gets .png; " \
                   "a folder is refused)"


def _names_a_folder(text):
    """`text` is a folder, or ends as one ("out/"): not a file a tool can write."""
    return os.path.isdir(text) or text.endswith(os.sep) or bool(os.altsep and text.endswith(os.altsep))


def _figure_path(text):
    """figure_file's check of a path (a str): the file, or ValueError saying what is wrong with it."""
    # A folder is refused, not named a figure: `--out DIR/` wrote the hidden DIR/.png.png and `--out DIR` wrote
    # DIR.png beside it (an outside audit).
    if _names_a_folder(text):
        raise ValueError(f"{text}: is a folder; name the figure file (e.g. {os.path.join(text, 'figure.png')})")
    ending = os.path.splitext(text)[1]
    if ending in ("", "."):
        return text.rstrip(".") + ".png"
    if ending.lower() == ".png":  # every canvas writes PNG: matplotlib (~0.2 s to import) is asked of other formats
        return text
    from matplotlib.backend_bases import FigureCanvasBase  # the formats of every canvas; no backend chosen here
    kinds = FigureCanvasBase.get_supported_filetypes()
    if ending[1:].lower() not in kinds:
        raise ValueError(f"{text}: not a figure format matplotlib writes (name it .png, or one of "
                         f"{', '.join(sorted(kinds))})")
    return text


def figure_file(path, option="--out"):
    """The file a figure goes to, checked before the work that draws it (matplotlib refused `--png x.xyz` only after
    a loop had run): a folder is refused, a format matplotlib does not write too. A name without a suffix gets .png,
    which matplotlib appends to it unsaid (`plot --out z_t1` wrote z_t1.png and printed `-> z_t1`); a pathlib path
    stays one. ToolError (exit 1) naming the option; figure_arg (figure_path_arg) is the same check as an argparse
    type, for a path given on the command line (exit 2, as every other bad option)."""
    try:
        text = _figure_path(os.fspath(path))
    except ValueError as e:
        raise ToolError(f"{option} {e}") from None
    return pathlib.Path(text) if isinstance(path, pathlib.PurePath) else text


def figure_arg(text):
    """argparse type: figure_file's check on the command line (exit 2, argparse naming the option)."""
    try:
        return _figure_path(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def figure_path_arg(text):
    """figure_arg, as a pathlib.Path."""
    return pathlib.Path(figure_arg(text))


def file_arg(text):
    """argparse type of an output file: a folder is refused with the command line (exit 2, as --png's figure_arg);
    whether its folder can be written is writable_file's, before the run."""
    if _names_a_folder(text):
        raise argparse.ArgumentTypeError(f"{text}: is a folder; name a file")
    return text


def with_folder(path):
    """`path`, its folder created."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return path


def writable_file(path, option):
    """A file `option` will write at the end of a long run, checked before it: its folder created (an OSError naming
    the path when it cannot be: a file in the way), not a folder itself, the folder writable."""
    text = os.fspath(path)
    if _names_a_folder(text):
        raise ToolError(f"{option} {text}: is a folder; name a file")
    folder = os.path.dirname(os.path.abspath(with_folder(text)))
    if not os.access(folder, os.W_OK):
        raise ToolError(f"{option} {path}: the folder {folder} is not writable")
    return path


def _stop_signals():
    """Handlers making SIGTERM raise Terminated and SIGINT KeyboardInterrupt, each once: a second signal while the
    tool ends its children (bounded waits) is ignored rather than cutting that short and leaving one running. SIGINT is
    taken also when the tool was started with it ignored (a script's `&`), as `cortexloop probe` takes it (its
    stop_request): `kill -INT` stopped such a tool's Python not at all. Returns what to restore."""
    def stop(signum, frame):
        for s in handled:
            signal.signal(s, lambda *_: None)  # a Python handler: a child started from here gets the default again
        raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
    handled = [signal.SIGTERM, signal.SIGINT]
    saved = {s: signal.getsignal(s) for s in handled}
    for s in handled:
        signal.signal(s, stop)
    return saved


def run(main, prog=None, sigterm=False):
    """Calls main(); a missing or unreadable file, a server that exited or stopped answering, a ToolError become
    `prog: what` and exit 1; Ctrl-C `prog: interrupted` and exit 130.

    sigterm: SIGTERM stops the tool as Ctrl-C does (Terminated, a KeyboardInterrupt raised where it is, so its
    `finally` blocks end the processes it started), then `prog: stopped by SIGTERM` and exit 143; SIGINT is taken even
    when the tool was started with it ignored; a second Ctrl-C or SIGTERM while it ends them is ignored (_stop_signals).
    Off by default (SIGTERM then ends Python at once, as it always did)."""
    prog = prog or os.path.splitext(os.path.basename(sys.argv[0]))[0]
    saved = _stop_signals() if sigterm and _in_main_thread() else {}
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
    except Terminated:
        print(f"{prog}: stopped by SIGTERM", file=sys.stderr)
        sys.exit(143)
    except KeyboardInterrupt:  # Ctrl-C: a loop has already cleared the stimulation it drove (loop.run_loop)
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(130)
    except subprocess.CalledProcessError as e:  # the program said why on its own stderr, above this line
        cmd = e.cmd if isinstance(e.cmd, (list, tuple)) else [e.cmd]
        words = " ".join(os.path.basename(str(cmd[0])) if i == 0 else str(w) for i, w in enumerate(cmd[:2]))
        sys.exit(f"{prog}: `{words} ...` exited with code {e.returncode} (its message is above)")
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def _in_main_thread():
    """Signal handlers can be set only from the main thread (a tool's main() called from a test's thread is not)."""
    import threading
    return threading.current_thread() is threading.main_thread()


PACKAGE_COMMANDS = ["plot", "viewer", "experiments"]  # the modules of cortexloop_client with a command line


def library_module(name, instead=PACKAGE_COMMANDS):
    """A module of cortexloop_client without a command line, run as one (`python3 -m cortexloop_client.ringmap
    --help` printed nothing and exited 0: an outside audit): one line saying so and naming the commands to run
    instead (a module of this package by its name, or a script's path), exit 2 (argparse's code for a command line
    that is not one)."""
    commands = [c if "/" in c else "python3 -m cortexloop_client." + c for c in instead]
    print(f"{name}: a library module, not a command; run {' or '.join(commands)}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    library_module(__spec__.name)
