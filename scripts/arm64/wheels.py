"""Which installed distributions came as a wheel for this machine, and which pip had to build.

    $ python3 wheels.py pip-report.json --out wheels.json

Reads the JSON that ``pip install --report`` wrote. Each distribution is one of:
``platform wheel`` (compiled, for this architecture: the tag says which), ``pure wheel``
(py3-none-any: no compiler needed anywhere), ``built from sdist`` (pip compiled it here: slow on
a Pi, and it needs a compiler and headers), or ``local`` (the project itself, from its files).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse


def classify(url: str) -> tuple[str, str]:
    """(kind, file name) of one download URL from pip's report."""
    name = unquote(Path(urlparse(url).path).name)
    if url.startswith("file:") and not name.endswith(".whl"):
        return "local", name
    if name.endswith(".whl"):
        platform_tag = name[:-4].split("-")[-1]
        return ("pure wheel" if platform_tag == "any" else "platform wheel"), name
    return "built from sdist", name


def summarize(report: dict) -> list[dict]:
    rows = []
    for item in report.get("install", []):
        meta = item.get("metadata", {})
        url = item.get("download_info", {}).get("url", "")
        kind, filename = classify(url)
        rows.append({"name": meta.get("name", "?"), "version": meta.get("version", "?"),
                     "kind": kind, "file": filename,
                     "requested": bool(item.get("requested"))})
    return sorted(rows, key=lambda r: r["name"].lower())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("report", type=Path, help="pip install --report FILE")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    rows = summarize(json.loads(args.report.read_text()))
    args.out.write_text(json.dumps({"pip": report_pip(args.report), "dists": rows}, indent=1))
    for r in rows:
        print(f"{r['name']:24} {r['version']:12} {r['kind']:17} {r['file']}")
    return 0 if rows else 1


def report_pip(path: Path) -> str:
    report = json.loads(path.read_text())
    return f"pip {report.get('pip_version', '?')}"


if __name__ == "__main__":
    sys.exit(main())
