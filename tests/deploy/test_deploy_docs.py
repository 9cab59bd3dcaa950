"""The deploy docs say only what is true of this repository: every test docs/security.md cites
exists, and deploy.md cites no file outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cited_tests(text: str) -> list[tuple[str, str]]:
    """``(file, test)`` pairs: ``tests/x.py::test_y``, and ``x.py::test_y`` / ``::test_y`` after
    a full path in the same cell."""
    out, current = [], None
    for line in text.splitlines():
        for m in re.finditer(r"`((?:tests/[\w/]+\.py)|(?:\w+\.py))?::(test_\w+)`", line):
            path, test = m.group(1), m.group(2)
            if path and path.startswith("tests/"):
                current = path
            elif path:
                current = next(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob(path))
            out.append((current, test))
    return out


def test_every_test_security_md_cites_exists():
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    cited = cited_tests(text)
    assert len(cited) >= 15
    for path, test in cited:
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {test}\(", source, re.M), f"{path}::{test} is not a test"


def test_deploy_md_cites_no_file_outside_the_repository():
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "/work/" not in text and "FIELD-NOTES" not in text
