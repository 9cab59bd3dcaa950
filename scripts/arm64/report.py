"""The short report of an arm64 proof run, from the files its stages left in OUT.

    $ python3 scripts/arm64/report.py --out out/arm64

Reads stages.tsv (name, exit status, seconds), logs/*.log, wheels.json, kmsdrm.json, junit.xml
and board.json when present; writes OUT/report.txt and OUT/report.json and prints the text.
Exit status 1 when a stage failed or a stage's result is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

# The dependencies whose wheels matter on a Pi: compiled code, or what pulls compiled code in.
KEY_DISTS = ["lgpio", "pygame-ce", "msgspec", "argon2-cffi", "argon2-cffi-bindings", "cffi",
             "paho-mqtt", "gpiozero", "python-escpos", "numpy", "matplotlib", "pillow",
             "kiwisolver", "contourpy", "aiohttp", "multidict", "yarl", "frozenlist",
             "propcache", "pyusb", "pyserial", "num2words", "holidays"]


def _json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def stages(out: Path) -> list[dict]:
    rows = []
    for line in (out / "stages.tsv").read_text().splitlines():
        name, rc, seconds = line.split("\t")
        rows.append({"stage": name, "exit": int(rc), "seconds": int(seconds)})
    return rows


def tests(junit: Path) -> dict | None:
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        return None
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    counts = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    counts["passed"] = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    counts["seconds"] = round(float(suite.get("time", 0)))
    counts["failed"], counts["skips"] = [], []
    for case in suite.iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            counts["failed"].append(name)
        skipped = case.find("skipped")
        if skipped is not None:
            counts["skips"].append(f"{name}: {skipped.get('message', '')}")
    return counts


def first_line(path: Path, *prefixes: str) -> str:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(prefixes or ("",)):
                return line
    except OSError:
        pass
    return "?"


def gather(out: Path) -> dict:
    wheels = _json(out / "wheels.json") or {}
    return {
        "commit": first_line(out / "commit.txt"),
        "host": first_line(out / "logs" / "host-tools.log", "qemu-user-static"),
        "root": first_line(out / "logs" / "unpack.log", "aarch64 "),
        "pip": wheels.get("pip"),
        "root_tarball": first_line(out / "logs" / "root.log", "cached:", "made:"),
        "venv_tarball": first_line(out / "logs" / "install.log", "cached:", "made:"),
        "stages": stages(out),
        "dists": wheels.get("dists", []),
        "kmsdrm": _json(out / "kmsdrm.json"),
        "tests": tests(out / "junit.xml"),
        "rerun": tests(out / "junit-rerun.xml"),
        "board": _json(out / "board.json"),
    }


def wheel_lines(dists: list[dict]) -> list[str]:
    by_name = {d["name"].lower(): d for d in dists}
    lines = [f"  {'distribution':22} {'version':10} how it installed (aarch64)"]
    for name in KEY_DISTS:
        d = by_name.get(name)
        if d:
            lines.append(f"  {d['name']:22} {d['version']:10} {d['kind']}: {d['file']}")
    kinds: dict[str, list[str]] = {}
    for d in dists:
        kinds.setdefault(d["kind"], []).append(d["name"])
    for kind, names in sorted(kinds.items()):
        listed = ", ".join(sorted(names)) if kind != "pure wheel" else f"{len(names)} distributions"
        lines.append(f"  all {kind}: {len(names)} ({listed})")
    return lines


def test_lines(t: dict | None, rerun: dict | None) -> list[str]:
    if not t:
        return ["  (not run)"]
    lines = [f"  {t['passed']} passed, {t['failures'] + t['errors']} failed, "
             f"{t['skipped']} skipped of {t['tests']} in {t['seconds']} s"]
    still = set(rerun["failed"]) if rerun else set(t["failed"])
    for name in t["failed"]:
        lines.append(f"  FAILED {name}" if name in still else
                     f"  failed, then passed when run again alone (a timeout under emulation?): "
                     f"{name}")
    if rerun:
        lines.append(f"  run again alone: {rerun['passed']} passed, "
                     f"{rerun['failures'] + rerun['errors']} failed")
    lines += [f"  skipped {s}" for s in t["skips"]]
    return lines


def render(r: dict, out_dir: Path) -> str:
    out = ["arm64 proof (Debian bookworm arm64 root, emulated by qemu-user)",
           f"commit:  {r['commit']}", f"host:    {r['host']}",
           f"root:    {r['root']} (machine, Python, libc)", f"pip:     {r['pip']}",
           f"caches:  root {r['root_tarball']}; venv {r['venv_tarball']}", "",
           "stages (seconds):"]
    out += [f"  {s['stage']:11} {s['seconds']:6}  {'ok' if s['exit'] == 0 else 'FAILED'}"
            for s in r["stages"]]
    out += ["", "wheels:"] + (wheel_lines(r["dists"]) if r["dists"] else ["  (no pip report)"])
    k = r["kmsdrm"]
    out += ["", "KMSDRM:"]
    if k:
        out += [f"  compiled into pygame-ce {k['pygame']}'s SDL {k['sdl']}: "
                f"{'yes' if k['kmsdrm'] else 'NO'}",
                f"  SDL video drivers: {', '.join(k['video_drivers'])}",
                f"  SDL_VIDEODRIVER=kmsdrm here: {k['kmsdrm_init']} (no /dev/dri in a chroot)"]
    else:
        out.append("  (not checked)")
    out += ["", "tests (tests/display, tests/hardware):"] + test_lines(r["tests"], r["rerun"])
    b = r["board"]
    out += ["", "board (examples/mpp.toml, lobby, SDL dummy driver):"]
    if b:
        s = b.get("screenshot", {})
        shot = str(s.get("path", "")).replace("/proof/", f"{out_dir}/", 1)   # the root's view
        out += [f"  screenshot: {shot} ({s.get('bytes')} bytes, "
                f"{s.get('seconds')} s from start to PNG)"]
        for size, m in b.get("memory", {}).items():
            out.append(f"  RSS at {size} idle with running text, after {m.get('after_s')} s: "
                       f"{m.get('guest_rss_mb')} MB as a Pi would count it (max "
                       f"{m.get('guest_rss_max_mb')} MB; the qemu process: "
                       f"{m.get('process_rss_mb') or 0:.0f} MB)")
    else:
        out.append("  (not run)")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    r = gather(args.out)
    text = render(r, args.out.resolve())
    (args.out / "report.txt").write_text(text)
    (args.out / "report.json").write_text(json.dumps(r, indent=1))
    print(text, end="")
    ok = all(s["exit"] == 0 for s in r["stages"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
