"""The figure scripts of the docs given an OUT_DIR write only there (ctest: python_doc_image_scripts; ~40-60 s: a
stepped session of configs/closed_loop.toml, a realtime one of ~11 s, the external PI clamp of 4 s, three plots).

docs/images/serve_session.sh [OUT_DIR] and docs/images/closed_loop_tutorial.sh [OUT_DIR] wrote their PNGs into
docs/images/ of the clone whatever OUT_DIR said, overwriting the committed figures (an outside audit, 2026-12-07).
Each script runs here in a scratch root that stands in for the clone (build/, configs/ and tools/ linked to this
checkout's, docs/images/ holding only the scripts), with OUT_DIR in a temporary folder. Reference: the scripts' own
header, "with OUT_DIR, all in OUT_DIR": every PNG they make is in OUT_DIR (and a readable PNG), none in the scratch
root's docs/images/. Break tried: the plots' --out back to docs/images/... -> the PNGs appear in the scratch
docs/images/ and not in OUT_DIR, fail here.
"""
import hashlib
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("CORTEXLOOP_BIN", os.path.join(ROOT, "build", "cortexloop"))
BUILD = os.path.dirname(os.path.abspath(BIN))  # build/cortexloop and build/python, as the scripts expect them


def scratch_clone(tmp, script):
    """A scratch root standing in for the clone, holding `script` (and the helpers it sources) in docs/images/."""
    root = os.path.join(tmp, "clone")
    images = os.path.join(root, "docs", "images")
    os.makedirs(images)
    os.symlink(BUILD, os.path.join(root, "build"))
    for name in ("configs", "tools"):
        os.symlink(os.path.join(ROOT, name), os.path.join(root, name))
    for name in (script, "out_dir.sh"):
        shutil.copy(os.path.join(ROOT, "docs", "images", name), images)
    return root, images


def sealed(out, paths):
    """OUT as a run of a figure script leaves it: `paths` (files, "dir/" for a folder) and the marker listing them as
    seal_out_dir does ("sha256 path" a file, "- path" a folder, sorted bytewise)."""
    lines = []
    for path in paths:
        full = os.path.join(out, path.rstrip("/"))
        if path.endswith("/"):
            os.makedirs(full, exist_ok=True)
            lines.append("- " + path.rstrip("/"))
        else:
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(path)
            with open(full, "rb") as f:
                lines.append(hashlib.sha256(f.read()).hexdigest() + " " + path)
    with open(os.path.join(out, ".cortexloop_figure_out"), "w") as f:
        f.write("\n".join(sorted(lines, key=lambda s: s.encode())) + "\n")


def run_in(root, script, out):
    return subprocess.run(["bash", os.path.join("docs", "images", script), out], cwd=root,
                          env=dict(os.environ, MPLBACKEND="Agg"), capture_output=True, text=True, timeout=300)


def run_script(case, script, pngs):
    with tempfile.TemporaryDirectory() as tmp:
        root, images = scratch_clone(tmp, script)
        out = os.path.join(tmp, "out")
        r = run_in(root, script, out)
        case.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        left_in_clone = sorted(n for n in os.listdir(images) if n.endswith(".png"))
        case.assertEqual(left_in_clone, [], "written into the clone's docs/images/ although OUT_DIR was given")
        for png in pngs:
            path = os.path.join(out, png)
            case.assertTrue(os.path.exists(path), f"{png} not in OUT_DIR: {sorted(os.listdir(out))}")
            with open(path, "rb") as f:
                case.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", png)
        # The marker lists what the run wrote (seal_out_dir at the script's end; break tried: the seal left out of
        # the script -> an empty marker: this fails), the PNGs among them.
        with open(os.path.join(out, ".cortexloop_figure_out")) as f:
            listed = [line.split(" ", 1)[1] for line in f.read().split("\n") if line]
        case.assertTrue(set(pngs) <= set(listed), listed)


class DocImageScripts(unittest.TestCase):
    def test_a_folder_with_other_files_is_refused_and_kept(self):
        # Both scripts began with `rm -rf OUT_DIR`: a user's folder given as OUT_DIR lost its files (an outside audit,
        # 2026-12-07). Reference: the user's file, still there, and exit 2 naming the folder. Break tried:
        # fresh_out_dir without its check -> the file is gone and the script runs on: this fails.
        for script in ("serve_session.sh", "closed_loop_tutorial.sh"):
            with self.subTest(script=script), tempfile.TemporaryDirectory() as tmp:
                root, _ = scratch_clone(tmp, script)
                out = os.path.join(tmp, "mine")
                os.makedirs(out)
                with open(os.path.join(out, "notes.txt"), "w") as f:
                    f.write("mine\n")
                r = run_in(root, script, out)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn(f"{out} holds files a figure script did not write", r.stderr)
                self.assertEqual(os.listdir(out), ["notes.txt"])

    def test_a_folder_a_figure_script_made_is_emptied_and_a_failed_serve_is_named(self):
        # A folder holding the scripts' marker (a run of theirs) is emptied and used; a serve that does not start
        # is said with its log, where bash printed only "kill: (PID) - No such process" (an outside audit,
        # 2026-12-07). Reference: a stand-in build/cortexloop that prints a line and exits 1. Breaks tried: the
        # marker not written -> the earlier run's folder refused (exit 2); serve_started without the log -> no
        # "did not start" line: this fails.
        for script in ("serve_session.sh", "closed_loop_tutorial.sh"):
            with self.subTest(script=script), tempfile.TemporaryDirectory() as tmp:
                root, _ = scratch_clone(tmp, script)
                os.unlink(os.path.join(root, "build"))
                os.makedirs(os.path.join(root, "build"))
                fake = os.path.join(root, "build", "cortexloop")
                with open(fake, "w") as f:
                    f.write("#!/bin/sh\necho 'cortexloop: error: stand-in server' >&2\nexit 1\n")
                os.chmod(fake, 0o755)
                out = os.path.join(tmp, "figs")
                sealed(out, ["old.png"])
                r = run_in(root, script, out)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn("cortexloop serve did not start", r.stderr)
                self.assertNotIn("No such process", r.stderr)
                self.assertNotIn("old.png", os.listdir(out))
                if script == "closed_loop_tutorial.sh":  # its serve writes to serve.log, which it shows
                    self.assertIn("stand-in server", r.stderr)

    def test_files_added_to_a_folder_a_figure_script_made_are_named_and_kept(self):
        # A folder of a sealed run (its marker lists what the run wrote, each file's SHA-256) with files added since
        # was emptied whole, the added ones too (an outside audit, 2026-12-07); so was one with a file overwritten
        # since, and one whose run had listed nothing (stopped before its seal; a re-check the same day). Reference:
        # the files, still there, and exit 2 naming the added or changed ones. Breaks tried: fresh_out_dir without
        # its check of the list -> the folder emptied and the script run on; the list without the hashes (names
        # only) -> the overwritten file removed; a run's list taken as empty when the marker is -> thesis.tex
        # removed: each fails here.
        cases = (("added", ["old.png", "rec/", "rec/rates.npy"], "rec/notes.txt", None),
                 ("changed", ["old.png", "rec/", "rec/rates.npy"], None, "old.png"),
                 ("listed nothing", [], "thesis.tex", None))
        for script in ("serve_session.sh", "closed_loop_tutorial.sh"):
            for name, paths, added, changed in cases:
                with self.subTest(script=script, case=name), tempfile.TemporaryDirectory() as tmp:
                    root, _ = scratch_clone(tmp, script)
                    out = os.path.join(tmp, "figs")
                    os.makedirs(out)
                    sealed(out, paths)
                    if not paths:
                        open(os.path.join(out, ".cortexloop_figure_out"), "w").close()
                    if added:
                        with open(os.path.join(out, added), "w") as f:
                            f.write("mine\n")
                    if changed:
                        with open(os.path.join(out, changed), "w") as f:
                            f.write("mine now\n")
                    r = run_in(root, script, out)
                    self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                    self.assertIn(f"{out} holds files a figure script did not write, or changed, since its run: "
                                  f"{added or changed}:", r.stderr)
                    for path in [p for p in paths if not p.endswith("/")] + [added or changed]:
                        self.assertTrue(os.path.exists(os.path.join(out, path)), path)

    def test_serve_session_writes_only_into_its_out_dir(self):
        run_script(self, "serve_session.sh", ["serve_session.png"])

    def test_closed_loop_tutorial_writes_only_into_its_out_dir(self):
        run_script(self, "closed_loop_tutorial.sh", ["closed_loop_pi.png", "closed_loop_external.png"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
