"""Every option of every Python tool of tools/ that has a default says it in its --help (the external-loop
examples listed --burst-pA, --pulse-ms, --drive-hz, --smoothing-ms ... with no default and often no unit, so a
user could not tell what a run without them does). Reference: each parser's own defaults, read from the parser
the tool builds (its parse_args is intercepted, nothing runs). The tools are test_tool_errors.py's list, which
that test holds to every script of tools/ with a __main__. Run by ctest with PYTHONPATH set."""
import argparse
import glob
import importlib
import importlib.util
import os
import re
import pathlib
import runpy
import subprocess
import sys
import tempfile
import unittest

from test_tool_errors import MISSING_INPUT, ROOT


class _Parsed(Exception):
    pass


def parsers_of(rel, as_script=False):
    """The parsers (subcommands' included) that the tool at rel builds before it parses its arguments: its main()
    called, or (as_script) the file run as __main__, for scripts whose main takes arguments or that parse in their
    __main__ block."""
    built = []

    def intercept(self, *args, **kwargs):
        built.append(self)
        raise _Parsed()

    saved = argparse.ArgumentParser.parse_args, argparse.ArgumentParser.parse_known_args, sys.argv
    argparse.ArgumentParser.parse_args = argparse.ArgumentParser.parse_known_args = intercept
    sys.argv = [rel]
    try:
        package = os.path.join("tools", "python", "cortexloop_client")
        sys.path.insert(0, os.path.join(ROOT, os.path.dirname(rel)))  # the examples' _common, reference's clconfig
        try:
            if as_script:
                runpy.run_path(os.path.join(ROOT, rel), run_name="__main__")
            elif os.path.dirname(rel) == package:
                importlib.import_module("cortexloop_client." + os.path.splitext(os.path.basename(rel))[0]).main()
            else:
                spec = importlib.util.spec_from_file_location("tool_" + os.path.basename(rel)[:-3],
                                                              os.path.join(ROOT, rel))
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                module.main()
        except _Parsed:
            pass
    finally:
        argparse.ArgumentParser.parse_args, argparse.ArgumentParser.parse_known_args, sys.argv = saved
    parsers = []

    def walk(parser):
        parsers.append(parser)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    walk(sub)
    for parser in built:
        walk(parser)
    return parsers


def undocumented_defaults(parser):
    """Options with a default (not a flag's False, not an empty list) whose help neither says 'default' nor shows it."""
    missing = []
    for a in parser._actions:
        if isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)) or a.help == argparse.SUPPRESS:
            continue
        if a.default in (None, False, argparse.SUPPRESS) or a.default == []:
            continue
        text = a.help or ""
        # The default as a whole word: a default of 1 is not "shown" by a "10" elsewhere in the help.
        shown = re.search(r"(?<![\w.])" + re.escape(str(a.default)) + r"(?![\w.])", text)
        if "default" not in text and not shown:
            missing.append(f"{'/'.join(a.option_strings) or a.dest} (default {a.default!r}): {text!r}")
    return missing


class ToolHelp(unittest.TestCase):
    def test_every_default_is_in_the_help(self):
        self.assertGreater(len(MISSING_INPUT), 10)
        for rel in MISSING_INPUT:
            with self.subTest(tool=rel):
                parsers = parsers_of(rel)
                self.assertTrue(parsers, "no argparse parser found")
                for parser in parsers:
                    self.assertEqual(undocumented_defaults(parser), [], parser.prog)


def bench_and_reference_scripts():
    """Every script of bench/, tests/reference/ and docs/images/ with a __main__ (the benchmarks', references' and
    doc figures' commands)."""
    paths = (glob.glob(os.path.join(ROOT, "bench", "*.py")) + glob.glob(os.path.join(ROOT, "tests", "reference", "*.py"))
             + glob.glob(os.path.join(ROOT, "docs", "images", "*.py")))
    return sorted(os.path.relpath(p, ROOT) for p in paths if "__main__" in pathlib.Path(p).read_text())


class BenchAndReferenceHelp(unittest.TestCase):
    """The commands of bench/README.md, tests/reference/ and docs/images/ answer --help with their usage and do nothing
    else (count_block_ops.py took --help for a binary and ended in a traceback, tick_tail.py for a CSV file,
    fit_exp2_poly.py ran its fit, reset_rss.py parsed its options by hand; docs/images/partitions.py ignored it and
    overwrote the tracked PNG: an outside check, 2026-12-06); and every default is in the help, as for the tools (12
    of these scripts gave 49 options with a default and no word of it). Reference: each parser's own defaults."""

    def test_help_prints_usage_and_exits(self):
        scripts = bench_and_reference_scripts()
        self.assertGreater(len(scripts), 15)
        for rel in scripts:
            with self.subTest(script=rel):
                r = subprocess.run([sys.executable, os.path.join(ROOT, rel), "--help"], capture_output=True,
                                   text=True, cwd=ROOT, timeout=60, env=dict(os.environ, MPLBACKEND="Agg"))
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertTrue(r.stdout.startswith("usage:"), r.stdout[:200])
                self.assertNotIn("Traceback", r.stderr)

    def test_every_default_is_in_the_help(self):
        for rel in bench_and_reference_scripts():
            with self.subTest(script=rel):
                parsers = parsers_of(rel, as_script=True)
                self.assertTrue(parsers, "no argparse parser found")
                for parser in parsers:
                    self.assertEqual(undocumented_defaults(parser), [], parser.prog)


class LibraryModules(unittest.TestCase):
    """A module of cortexloop_client without a command line (no main), run with -m, says in one line that it is a
    library and names commands that exist to run instead, and exits 2 (`-m cortexloop_client.ringmap --help`
    printed nothing and exited 0: an outside audit). Reference: cli.library_module's docstring; the commands named
    are scripts of the checkout or modules of the package with a main (the tools above). Break tried: ringmap's
    __main__ block removed -> exit 0 and no line: fails."""

    def test_run_as_a_command_a_library_says_so(self):
        package = pathlib.Path(ROOT, "tools", "python", "cortexloop_client")
        libraries = sorted(p.stem for p in package.glob("*.py")
                           if p.stem != "__init__" and "def main(" not in p.read_text())
        self.assertTrue({"ringmap", "timeline", "aln_live", "entrainment", "readouts", "loop", "units", "analysis",
                         "cli", "client"} <= set(libraries), libraries)
        for name in libraries:
            for args in (["--help"], []):
                with self.subTest(module=name, args=args):
                    r = subprocess.run([sys.executable, "-m", "cortexloop_client." + name, *args],
                                       capture_output=True, text=True, timeout=60)
                    # runpy's warning for a module the package imports first (cli, client) is not ours.
                    lines = [line for line in r.stderr.splitlines() if not line.startswith("<frozen runpy>")]
                    self.assertEqual((r.returncode, r.stdout), (2, ""), r.stderr)
                    self.assertEqual(len(lines), 1, r.stderr)
                    self.assertIn(f"cortexloop_client.{name}: a library module, not a command; run ", lines[0])
                    named = re.findall(r"(tools/\S+\.py)|cortexloop_client\.(\w+)", lines[0].split("; run ")[1])
                    self.assertTrue(named, lines[0])
                    for path, module in named:
                        if path:
                            self.assertTrue(pathlib.Path(ROOT, path).exists(), path)
                        else:
                            self.assertIn("def main(", (package / (module + ".py")).read_text(), module)


class TrackedFilesLeftAlone(unittest.TestCase):
    """Scripts that draw or compute a tracked file write it only when told to (an outside check, 2026-12-06):
    docs/images/partitions.py overwrote docs/images/partitions.png (even for --help), bench/scaling_budget.py
    docs/images/scaling_budget.png unless --png said elsewhere, tests/reference/brian2_naud2008.py
    tests/reference/data/brian2_naud2008.json unless --out did. Reference: the tracked files' bytes before and after,
    and each --help naming the tracked file. Break tried: each script as it was (its last commit's version copied
    over it) -> partitions.py wrote docs/images/partitions.png, scaling_budget.py "wrote .../scaling_budget.png",
    brian2_naud2008.py ran Brian2 and exited 0 (rewriting the JSON): each subtest fails (and --help of partitions.py
    in BenchAndReferenceHelp)."""

    def test_a_run_without_an_output_leaves_the_checkout(self):
        cases = (("docs/images/partitions.py", [], 0, "docs/images/partitions.png", "wrote partitions.png"),
                 ("bench/scaling_budget.py", [], 0, "docs/images/scaling_budget.png", "| link |"),
                 ("tests/reference/brian2_naud2008.py", [], 2, "tests/reference/data/brian2_naud2008.json",
                  "the following arguments are required: --out"))
        for rel, args, code, tracked, says in cases:
            with self.subTest(script=rel), tempfile.TemporaryDirectory() as tmp:
                before = pathlib.Path(ROOT, tracked).read_bytes()
                r = subprocess.run([sys.executable, os.path.join(ROOT, rel), *args], capture_output=True, text=True,
                                   cwd=tmp, timeout=120, env=dict(os.environ, MPLBACKEND="Agg"))
                self.assertEqual(r.returncode, code, r.stderr)
                self.assertIn(says, r.stdout + r.stderr)
                self.assertNotIn(tracked, r.stdout)
                self.assertEqual(pathlib.Path(ROOT, tracked).read_bytes(), before)
                h = subprocess.run([sys.executable, os.path.join(ROOT, rel), "--help"], capture_output=True,
                                   text=True, cwd=tmp, timeout=60)
                self.assertIn(tracked, " ".join(h.stdout.split()))  # where the tracked file is, in the help


if __name__ == "__main__":
    unittest.main()
