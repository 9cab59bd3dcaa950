"""Shared fixtures: a private Mosquitto, a small site TOML, a running queue service."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Rendering and audio without a screen or a sound card (FIELD-NOTES).
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")

from broker import Mosquitto  # noqa: E402

ARTIFACTS = ROOT / "tests" / "artifacts"

SMALL_SITE = """
site = "test"
title = "MPP Uji"
timezone = "Asia/Jakarta"
reset_at = "00:00"
public_url = "http://antrian.test"

[broker]
host = "127.0.0.1"
port = {port}
keepalive = 5

[[service]]
id = "ktp"
prefix = "A"
name = "Perekaman KTP-el"
agency = "Disdukcapil"

[[service]]
id = "kk"
prefix = "B"
name = "Kartu Keluarga"
agency = "Disdukcapil"

[[service]]
id = "skck"
prefix = "C"
name = "SKCK"
agency = "Polres"

[[counter]]
id = "1"
name = "Loket 1"
services = ["ktp", "kk"]

[[counter]]
id = "2"
name = "Loket 2"
services = ["ktp"]

[[counter]]
id = "3"
name = "Loket 3"
services = ["skck"]

[[kiosk]]
id = "k1"

[[kiosk]]
id = "k2"
services = ["skck"]
"""


def write_site(path: Path, port: int, extra: str = "") -> Path:
    path.write_text(SMALL_SITE.format(port=port) + extra, encoding="utf-8")
    return path


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def broker(tmp_path):
    with Mosquitto(tmp_path) as b:
        yield b


@pytest.fixture
def site_file(tmp_path, broker) -> Path:
    return write_site(tmp_path / "site.toml", broker.port)
