"""Shared fixtures: a private Mosquitto, a small site TOML, a running queue service.
What they are built from lives in ``tests/support``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Rendering and audio without a screen or a sound card (FIELD-NOTES).
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")

from support.broker import Mosquitto  # noqa: E402
from support.mqtt import Watcher, nodelay  # noqa: E402,F401
from support.queue import QueueProcess  # noqa: E402
from support.site import ARTIFACTS, ROOT, SMALL_SITE, write_site  # noqa: E402,F401


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


@pytest.fixture
def queue_service(tmp_path, broker, site_file):
    """The real ``antrian serve`` against the private broker and the small test site."""
    q = QueueProcess(site_file, tmp_path / "queue.db", broker).start()
    yield q
    q.close()
