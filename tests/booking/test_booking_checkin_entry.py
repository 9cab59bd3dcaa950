"""Typing or scanning a booking at a kiosk: hardware.checkin.CheckinEntry, pure."""

import pytest

from hardware.checkin import CheckinEntry, InvalidEntry, entry_keys


def feed(entry, text, t=0.0):
    out = None
    for ch in text:
        out = entry.feed(ch, t)
    return out


def test_a_typed_code_needs_the_niks_last_four_digits():
    entry = CheckinEntry()
    entry.start(0)
    assert feed(entry, "abcd2345") is None and "NIK" in entry.prompt
    assert feed(entry, "0007") == ("ABCD2345", "0007") and not entry.active


def test_a_scanned_qr_code_is_complete_with_its_code():
    assert feed(CheckinEntry(), "ANTRIAN:BK:WXYZ6789") == ("WXYZ6789", None)


@pytest.mark.parametrize("text", ["ABCD1", "ABCD2345X", "ANTRIAN:BK:0OOOOOO0"])
def test_characters_that_cannot_make_a_check_in_end_the_entry_with_a_reason(text):
    entry = CheckinEntry()
    with pytest.raises(InvalidEntry):
        feed(entry, text)
    assert not entry.active


def test_a_half_typed_entry_is_forgotten_after_the_timeout_and_star_cancels():
    entry = CheckinEntry(timeout_s=30)
    feed(entry, "ABCD", t=0)
    assert feed(entry, "EFGH2345", t=31) is None    # started over: a code, no NIK digits yet
    assert entry.buffer == "EFGH2345"
    entry.feed("*", 31)
    assert not entry.active


def test_keypad_keys_for_check_in_leave_the_service_and_priority_keys_alone():
    keymap = {"1": "ktp", "2": "kk", "p": "*priority*"}
    extra = entry_keys(keymap)
    assert not set(extra) & set(keymap) and extra["a"] == "=a" and extra[":"] == "=:"


def test_a_touch_kiosks_window_hands_a_scanners_keys_to_the_check_in(tmp_path):
    """A USB QR scanner on a touch kiosk types into the pygame window: the keys reach
    ``on_key`` (SDL's dummy video driver, real pygame events)."""
    import os
    import threading

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from antrian import config as site_config
    from hardware.config import kiosk_config
    from hardware.touch import TouchScreen
    from support.site import ROOT

    site = site_config.load(ROOT / "examples" / "mpp.toml")
    screen = TouchScreen(site, kiosk_config(site, "k2"), on_tap=lambda *a: None, size=(800, 480))
    entry, done = CheckinEntry(), []

    def on_key(ch, t):
        out = entry.feed(ch, t)
        if out:
            done.append(out)
    screen.on_key = on_key
    screen.open()
    for ch in "ANTRIAN:BK:WXYZ6789\r":
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, unicode=ch, key=0, mod=0))
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    screen.run(threading.Event())
    assert done == [("WXYZ6789", None)]
