"""What the two `cortexloop sweep` CLI tests (test_aln_cli.py, test_network_sweep_cli.py) share: running the binary,
drawing a sweep's PNG and checking that bad input is refused with the words that name it."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.join(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"), "cortexloop")


def sweep(*args, launcher=()):
    return subprocess.run([*launcher, BINARY, "sweep", *args], capture_output=True, text=True, cwd=ROOT, timeout=600)


def check_plot(case, out, points):
    """tools/plot_aln_sweep.py draws the sweep in `out` with the points of interest `points` ("A" or "B")."""
    png = os.path.join(os.path.dirname(out), "d.png")
    r = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "plot_aln_sweep.py"), out,
                        "--points", points, "--out", png], capture_output=True, text=True)
    case.assertEqual(r.returncode, 0, r.stderr)
    case.assertGreater(os.path.getsize(png), 10000)


def check_refusals(case, out, refusals):
    """Each (args, words) of `refusals` fails, and its stderr holds every one of `words`."""
    for args, words in refusals:
        r = sweep(*args, "--out", out, "--quiet")
        case.assertNotEqual(r.returncode, 0, args)
        for w in words:
            case.assertIn(w, r.stderr, args)
