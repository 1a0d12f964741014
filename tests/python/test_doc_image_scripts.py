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
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("CORTEXLOOP_BIN", os.path.join(ROOT, "build", "cortexloop"))
BUILD = os.path.dirname(os.path.abspath(BIN))  # build/cortexloop and build/python, as the scripts expect them


def run_script(case, script, pngs):
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "clone")
        images = os.path.join(root, "docs", "images")
        os.makedirs(images)
        os.symlink(BUILD, os.path.join(root, "build"))
        for name in ("configs", "tools"):
            os.symlink(os.path.join(ROOT, name), os.path.join(root, name))
        shutil.copy(os.path.join(ROOT, "docs", "images", script), images)
        out = os.path.join(tmp, "out")
        env = dict(os.environ, MPLBACKEND="Agg")
        r = subprocess.run(["bash", os.path.join("docs", "images", script), out], cwd=root, env=env,
                           capture_output=True, text=True, timeout=300)
        case.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        left_in_clone = sorted(n for n in os.listdir(images) if n.endswith(".png"))
        case.assertEqual(left_in_clone, [], "written into the clone's docs/images/ although OUT_DIR was given")
        for png in pngs:
            path = os.path.join(out, png)
            case.assertTrue(os.path.exists(path), f"{png} not in OUT_DIR: {sorted(os.listdir(out))}")
            with open(path, "rb") as f:
                case.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", png)


class DocImageScripts(unittest.TestCase):
    def test_serve_session_writes_only_into_its_out_dir(self):
        run_script(self, "serve_session.sh", ["serve_session.png"])

    def test_closed_loop_tutorial_writes_only_into_its_out_dir(self):
        run_script(self, "closed_loop_tutorial.sh", ["closed_loop_pi.png", "closed_loop_external.png"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
