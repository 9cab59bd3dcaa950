"""What keeps a board's memory down (docs/display.md, "Memory"): big fonts not kept, glyph
bitmaps dropped without changing a pixel, OpenSSL left out of a board without TLS."""

from __future__ import annotations

import os
import subprocess
import sys

import pygame
import pytest

from display.fonts import KEEP_PX, Fonts
from support.site import ROOT


@pytest.fixture
def fonts():
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.font.init()
    return Fonts()


def test_fonts_up_to_keep_px_are_kept_larger_ones_are_opened_for_each_use(fonts):
    assert fonts.get("bold", KEEP_PX) is fonts.get("bold", KEEP_PX)
    big = fonts.get("bold", KEEP_PX + 1)
    assert big is not fonts.get("bold", KEEP_PX + 1)
    assert big.point_size == KEEP_PX + 1 and big.size("A001")[1] > 0


def test_forgetting_glyphs_changes_no_pixel(fonts):
    texts = ["A001", "Loket 12", "Kartu Keluarga", "Panggilan Terakhir"]
    sizes = (56, 112, KEEP_PX)

    def drawn():
        return [pygame.image.tobytes(fonts.get("regular", px).render(t, True, (255, 255, 0),
                                                                      (0, 0, 80)), "RGB")
                for px in sizes for t in texts]

    before = drawn()
    fonts.forget_glyphs()
    assert drawn() == before
    assert all(fonts.get("regular", px).point_size == px for px in sizes)


def test_a_board_without_tls_keeps_openssl_out_and_still_hashes_and_speaks_mqtt(tmp_path):
    probe = """
import sys
from display.lean import leave_out_openssl
assert leave_out_openssl()
import hashlib, hmac
import paho.mqtt.client as paho
from mqtt.client import Connection
from ticketing.booking import nik_digest
assert paho.ssl is None, "paho saw OpenSSL"
assert hashlib.sha256(b"x").hexdigest().startswith("2d711642")
assert len(nik_digest(b"k" * 32, "3275014107850007")) == 32
maps = open("/proc/self/maps").read()
assert "libcrypto" not in maps and "libssl" not in maps, "OpenSSL mapped"
print("lean")
"""
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "lean", run.stderr


def test_openssl_already_loaded_stays(tmp_path):
    probe = """
import ssl
from display.lean import leave_out_openssl
assert leave_out_openssl() is False
import sys
assert sys.modules["_ssl"] is not None and ssl.create_default_context()
print("kept")
"""
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "kept", run.stderr
