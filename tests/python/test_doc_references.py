"""What the README and docs/ point a reader to is in the repository: every file path they name in backticks
(tests/..., configs/..., tools/..., engine/..., io/..., firmware_sim/..., bench/..., scripts/..., docs/...) exists in
a clean clone, and no reference leads outside it (an outside check, 2026-12-05, found docs citing
/work/shared/reference/... and shared/seeds/..., which a clone does not have). Every Catch test a doc quotes by
name with its file ("tests/test_x.cpp, "name"") is a TEST_CASE of that file. Reference: the repository's own tree.
Breaks tried: a doc path renamed (docs/aln.md's tests/reference/data/aln_cascade_points.md -> .../aln_points.md),
a /work/shared reference put back, a quoted test name changed by one word: each fails its test."""
import os
import re
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = ["README.md", "bench/README.md"] + sorted(
    os.path.join("docs", f) for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md"))
PREFIXES = ("tests/", "configs/", "tools/", "engine/", "io/", "firmware_sim/", "bench/", "scripts/", "docs/")
# A path made of placeholders or patterns names no one file: PATTERN, DIR, N, {a,b}, *, ..., <x>.
PLACEHOLDER = re.compile(r"[*{}<>…|]|\.\.\.|(^|/)[A-Z][A-Z_0-9]*(\.|/|$)|\bX\b")


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def named_paths(text):
    """The repository paths a text names in backticks: the first word of each code span, `:line` and
    trailing punctuation removed."""
    for span in re.findall(r"`([^`\n]+)`", text):
        for word in span.split():
            word = word.strip("\"'(),;:")
            word = re.sub(r":\d+(-\d+)?$", "", word)
            if word.startswith(PREFIXES) and not PLACEHOLDER.search(word):
                yield word


class DocReferences(unittest.TestCase):
    def test_every_named_path_exists(self):
        missing = []
        for doc in DOCS:
            for path in set(named_paths(read(doc))):
                full = os.path.join(ROOT, path.rstrip("/"))
                # A program or a module named by its stem (engine/aln/aln_ring, bench/tick_trace): its source.
                stem_found = any(os.path.exists(full + ext) for ext in (".cpp", ".hpp", ".py", ".sh"))
                if not os.path.exists(full) and not stem_found:
                    missing.append(f"{doc}: {path}")
        self.assertEqual(sorted(missing), [])

    def test_no_reference_outside_the_repository(self):
        outside = re.compile(r"/work/|shared/(reference|seeds)|\b\w+_facts\.md")
        found = []
        for doc in DOCS:
            for n, line in enumerate(read(doc).splitlines(), 1):
                # bench/README.md records where its runs' clones and peers were built (/work/main, /work/wt-...):
                # a measurement's conditions, not a reference a reader must follow.
                if doc == "bench/README.md" and not re.search(r"shared/|_facts\.md", line):
                    continue
                if outside.search(line):
                    found.append(f"{doc}:{n}: {outside.search(line).group(0)}")
        self.assertEqual(found, [])

    def test_quoted_test_names_are_test_cases_of_their_file(self):
        wrong = []
        for doc in DOCS:
            for path, name in quoted_test_names(read(doc)):
                if not os.path.exists(os.path.join(ROOT, path)):
                    continue  # test_every_named_path_exists says so
                cases = " ".join(re.findall(r"TEST_CASE\(\s*((?:\"(?:[^\"\\]|\\.)*\"\s*)+)", read(path)))
                cases = re.sub(r"\"\s*\"", "", cases).replace("\\\"", "\"")  # adjacent literals joined
                # A name cut short with "..." is its beginning.
                if name.rstrip(". ") not in cases:
                    wrong.append(f"{doc}: {path} \"{name}\"")
        self.assertEqual(wrong, [])


def quoted_test_names(text):
    """(file, name) for the Catch tests a text quotes after naming their file: `tests/test_x.cpp` then, within a
    few words, one or more "names" joined by commas or "and" (names wrapped over lines joined)."""
    text = re.sub(r"\s*\n\s*", " ", text)
    for m in re.finditer(r"tests/test_\w+\.cpp", text):
        rest = text[m.end():m.end() + 2000]
        lead = re.match(r"[^\"`.]{0,50}?(?=\")", rest)
        if not lead:
            continue
        at = lead.end()
        while True:
            q = re.match(r"\"([^\"]{12,})\"", rest[at:])
            if not q:
                break
            yield m.group(0), q.group(1)
            at += q.end()
            sep = re.match(r"(,| and|;)\s*(?=\")", rest[at:])
            if not sep:
                break
            at += sep.end()


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
