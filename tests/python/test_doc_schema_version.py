"""docs/protocol.md's Info table and the schema's comment on Info.schema_version list every version up to the one the
server sends (kSchemaVersion, io/protocol/codec.hpp): the table said 1, 2 and 0 while the server sent 3, which only
the Compatibility paragraph mentioned (an outside audit, 2026-12-07). Reference: kSchemaVersion, read from the header
(the server sends it: tests/test_server_e2e.cpp checks the value on the wire). Break tried: the table's row as it was
(no "3 since") -> test_info_table_names_every_version fails."""
import os
import re
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def sent_version():
    m = re.search(r"kSchemaVersion\s*=\s*(\d+)\s*;", read("io/protocol/codec.hpp"))
    assert m, "kSchemaVersion not found in io/protocol/codec.hpp"
    return int(m.group(1))


class SchemaVersionDocs(unittest.TestCase):
    def test_info_table_names_every_version(self):
        rows = [l for l in read("docs/protocol.md").splitlines() if l.startswith("| `schema_version` |")]
        self.assertEqual(len(rows), 1, "one row of schema_version in docs/protocol.md's Info table")
        version = sent_version()
        self.assertIn(f"sends {version}", rows[0])
        for v in range(1, version + 1):
            self.assertIn(f"{v} since", rows[0], f"version {v} is not described")

    def test_schema_comment_names_every_version(self):
        schema = read("io/protocol/schema/cortexloop.fbs")
        comment = schema[:schema.index("schema_version: uint;")].rsplit("Raised whenever", 1)[1]
        for v in range(1, sent_version() + 1):
            self.assertIn(f"{v} since", comment, f"version {v} is not described")

    def test_compatibility_paragraph_names_every_version(self):
        text = read("docs/protocol.md")
        para = text[text.index("Compatibility:"):text.index("`Info.version` is the software's version")]
        for v in range(1, sent_version() + 1):
            self.assertIn(f"{v} since", para)


if __name__ == "__main__":
    unittest.main()
