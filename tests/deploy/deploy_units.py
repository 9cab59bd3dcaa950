"""Helpers for the unit-file tests: read a unit as systemd does, lay out a throwaway Pi root.

``systemd-analyze verify --root=DIR`` checks units exactly as installed (ExecStart must exist
inside DIR), but it needs systemd's own units there too (sysinit.target, ...): :func:`pi_root`
copies them from the machine, so the files under test are never rewritten.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "systemd"
SYSTEM_UNITS = Path("/usr/lib/systemd/system")
UNIT_DIR = "usr/local/lib/systemd/system"        # where install-pi puts them
MOSQUITTO_DROPIN = "etc/systemd/system/mosquitto.service.d/antrian.conf"
ANTRIAN = "opt/antrian/venv/bin/antrian"
# A touch-screen kiosk: the drop-in install-pi adds for that instance only.
TOUCH_KIOSK = "antrian-kiosk@touch.service"
TOUCH_DROPIN = f"etc/systemd/system/{TOUCH_KIOSK}.d/touch.conf"

# unit file -> the instance the tests load (templates need one)
UNITS = {
    "antrian-queue.service": "antrian-queue.service",
    "antrian-web.service": "antrian-web.service",
    "antrian-board@.service": "antrian-board@lobby.service",
    "antrian-counter@.service": "antrian-counter@12.service",
    "antrian-kiosk@.service": "antrian-kiosk@k1.service",
}


def read_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sections of a unit file as lists of (key, value); repeated keys are kept in order."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + " " + lines[i].strip()
        i += 1
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, _, value = line.partition("=")
        assert current is not None, f"{path}: {line!r} before any section"
        current.append((key.strip(), value.strip()))
    return sections


def values(unit: dict, section: str, key: str) -> list[str]:
    return [v for k, v in unit.get(section, []) if k == key]


def value(unit: dict, section: str, key: str) -> str | None:
    found = values(unit, section, key)
    return found[-1] if found else None


def environment(unit: dict) -> dict[str, str]:
    env = {}
    for line in values(unit, "Service", "Environment"):
        for pair in line.split():
            k, _, v = pair.partition("=")
            env[k] = v
    return env


def stub(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)


def pi_root(root: Path, *, units: bool = True, antrian: bool = True) -> Path:
    """A root holding systemd's units, and (optionally) ours and a stub ``antrian`` where
    install-pi puts them."""
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True,
                    dirs_exist_ok=True)
    if antrian:
        stub(root / ANTRIAN)
    if units:
        (root / UNIT_DIR).mkdir(parents=True, exist_ok=True)
        for name in UNITS:
            shutil.copy(SYSTEMD / name, root / UNIT_DIR / name)
        (root / MOSQUITTO_DROPIN).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SYSTEMD / "mosquitto.service.d/antrian.conf", root / MOSQUITTO_DROPIN)
        (root / TOUCH_DROPIN).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SYSTEMD / "antrian-kiosk-touch.conf", root / TOUCH_DROPIN)
    # What Debian's mosquitto.service runs (ExecStartPre, ExecStart, ExecReload).
    for exe in ("usr/sbin/mosquitto", "bin/mkdir", "bin/chown", "bin/kill"):
        stub(root / exe)
    return root


def analyze(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, timeout=60)
