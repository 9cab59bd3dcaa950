"""The touch kiosk on a portrait panel (a kiosk totem: the Raspberry Pi Touch Display 2 upright,
720x1280 at 210 DPI): the check-in keyboard takes as many keys a row as fit at 9 mm, in
alphabetical rows; rendered with real pygame on SDL's dummy driver and typed on with synthetic
taps through the screen's own loop. And a bad QR scan said in English on the English screen."""

import dataclasses
import logging
import threading

import pytest

from hardware.checkin import NOT_A_BOOKING_QR
from hardware.config import kiosk_config
from hardware.touch import COLOURS, TouchScreen, layout
from hardware.touch_checkin import (CODE, ERROR, NIK, SENDING, CheckinView, checkin_layout,
                                    keyboard_rows, target_px)
from support.touch import centre, running
from support.waiting import wait_for
from ticketing.booking import CODE_ALPHABET

TOTEM, TOTEM_DPI = (720, 1280), 210
DIGITS = "".join(c for c in CODE_ALPHABET if c.isdigit())
LETTERS = "".join(sorted(c for c in CODE_ALPHABET if c.isalpha()))


def rows_on_screen(keys) -> list[str]:
    """The character keys as a visitor reads them: top to bottom, left to right."""
    rows: dict[int, list] = {}
    for k in keys:
        if k.kind == "char":
            rows.setdefault(k.rect[1], []).append(k)
    return ["".join(k.char for k in sorted(row, key=lambda k: k.rect[0]))
            for _, row in sorted(rows.items())]


@pytest.mark.parametrize("cols", range(3, 9))
def test_a_narrow_keyboard_has_the_digits_then_the_letters_in_alphabetical_rows(cols):
    rows = keyboard_rows(cols=cols)
    assert "".join(rows) == DIGITS + LETTERS              # every character once, in order
    assert all(len(r) <= cols for r in rows)
    digit_rows = [r for r in rows if r[0].isdigit()]
    assert all(r.isdigit() for r in digit_rows)          # digits never share a row with letters
    for group in (digit_rows, rows[len(digit_rows):]):
        assert max(map(len, group)) - min(map(len, group)) <= 1     # even rows, no stub
    assert len(rows) == -(-len(DIGITS) // cols) + -(-len(LETTERS) // cols)


def test_a_wide_keyboard_keeps_qwerty():
    assert keyboard_rows(cols=9) == keyboard_rows() == \
        ["23456789", "QWERTYUP", "ASDFGHJKL", "ZXCVBNM"]


def test_the_upright_pi_display_gets_8_keys_a_row_of_9_mm():
    target = target_px(TOTEM_DPI)
    lay = checkin_layout(CheckinView(CODE), TOTEM, dpi=TOTEM_DPI)
    assert rows_on_screen(lay.keys) == ["23456789", "ABCDEFGH", "JKLMNPQR", "STUVWXYZ"]
    assert min(min(k.rect[2:]) for k in lay.keys) >= target == 75
    # the NIK pad fills the same height: Batal, Hapus, Kirim stay where they were
    pad = checkin_layout(CheckinView(NIK, "ABCD2345"), TOTEM, dpi=TOTEM_DPI)
    assert rows_on_screen(pad.keys) == ["123", "456", "789", "0"]
    assert [k.rect for k in pad.keys if k.kind != "char"] == \
        [k.rect for k in lay.keys if k.kind != "char"]


def test_a_480_line_wide_portrait_panel_gets_6_rows_of_keys_80_px_tall():
    lay = checkin_layout(CheckinView(CODE), (480, 800))
    assert rows_on_screen(lay.keys) == ["2345", "6789", "ABCDEF", "GHJKLM", "NPQRST", "UVWXYZ"]
    assert min(min(k.rect[2:]) for k in lay.keys) >= 57 and min(k.rect[3] for k in lay.keys) >= 80


@pytest.mark.parametrize("size, dpi", [(TOTEM, TOTEM_DPI), ((1080, 1920), 160), ((480, 800), 160)])
def test_a_portrait_header_leaves_the_title_most_of_the_width(size, dpi):
    """The language button, as tall as a portrait's tall header, would take a third of the
    width and squeeze the title: it takes at most a quarter, the title the rest."""
    w, h = size
    for language in ("id", "en"):
        for lay in (layout([("Disdukcapil", [("ktp", "KTP-el")])], size, dpi=dpi,
                           language=language),
                    checkin_layout(CheckinView(CODE), size, dpi=dpi, language=language)):
            x, y, bw, bh = lay.language.rect
            tx, _, tw, _ = lay.title
            assert target_px(dpi) <= min(bw, bh) and bw <= w // 4
            assert tw >= w * 2 // 3 and tx + tw <= x and x + bw <= w


def test_a_portrait_totem_types_a_code_on_its_rendered_keyboard_without_a_warning(
        mpp, artifacts, caplog):
    import pygame
    cfg = kiosk_config(mpp, "k1")
    sends = []
    screen = TouchScreen(mpp, cfg, on_tap=lambda *a: None, size=TOTEM, checkin=True,
                         dpi=TOTEM_DPI, idle_s=600)
    screen.on_checkin = lambda code, last4, t: sends.append((code, last4))
    with caplog.at_level(logging.WARNING, logger="hardware.touch"):
        screen.open()
    assert not [r for r in caplog.records if "under 9 mm" in r.message]
    stop = threading.Event()
    runner = threading.Thread(target=screen.run, args=(stop,), daemon=True)
    runner.start()

    def tap(rect):
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=centre(rect)))

    def drawn(view):
        wait_for(lambda: screen.checkin.view() == view and not screen._dirty, 10,
                 what=f"{view} drawn")

    try:
        wait_for(lambda: screen.layout is not None and not screen._dirty, what="the home screen")
        tap(next(b.rect for b in screen.layout.buttons if b.kind == "checkin"))
        drawn(CheckinView(CODE))
        for n, ch in enumerate("WXYZ6789" "3275"):
            view = screen.checkin.view()
            tap(next(k.rect for k in checkin_layout(view, TOTEM, dpi=TOTEM_DPI).keys
                     if k.char == ch))
            wait_for(lambda: screen.checkin.view() != view, what=f"{ch} typed")
            if n == 6:                               # seven characters: the keyboard still up
                drawn(CheckinView(CODE, "WXYZ678"))
                lay = checkin_layout(screen.checkin.view(), TOTEM, dpi=TOTEM_DPI)
                assert "WXYZ-678_" in screen.drawn
                for k in (k for k in lay.keys if k.kind == "char"):
                    x, y, kw, kh = k.rect
                    assert min(kw, kh) >= 75
                    # each key drawn where it is hit, its label white in its middle
                    assert screen.surface.get_at((x + 3, y + kh // 2))[:3] == COLOURS["button"]
                    middle = screen.surface.subsurface((x + kw // 4, y + kh // 4, kw // 2,
                                                        kh // 2))
                    assert any(middle.get_at((i, j))[:3] == (255, 255, 255)
                               for i in range(middle.get_width())
                               for j in range(middle.get_height())), k.char
                pygame.image.save(screen.surface,
                                  str(artifacts / "kiosk-touch-checkin-portrait.png"))
        drawn(CheckinView(NIK, "WXYZ6789", 4))
        pygame.image.save(screen.surface, str(artifacts / "kiosk-touch-checkin-portrait-nik.png"))
        tap(next(k.rect for k in checkin_layout(screen.checkin.view(), TOTEM, dpi=TOTEM_DPI).keys
                 if k.kind == "kirim"))
        wait_for(lambda: screen.checkin.view().state == SENDING, what="sent")
        assert sends == [("WXYZ6789", "3275")]
    finally:
        stop.set()
        runner.join(5)
        pygame.display.quit()
    assert not runner.is_alive()


def test_a_panel_too_dense_for_any_arrangement_still_warns(mpp, caplog):
    """480x800 believed to be 400 DPI: 142 px keys fit three a row, and 11 rows do not fit."""
    import pygame
    screen = TouchScreen(mpp, kiosk_config(mpp, "k1"), on_tap=lambda *a: None, size=(480, 800),
                         checkin=True, dpi=400)
    with caplog.at_level(logging.WARNING, logger="hardware.touch"):
        screen.open()
    pygame.display.quit()
    assert any("under 9 mm at 400 DPI" in r.message for r in caplog.records)


def test_a_bad_qr_scan_on_the_english_totem_says_why_in_english(mpp, tmp_path, monkeypatch):
    """The kiosk app's own wiring, no broker needed: the scanner's keys into the pygame window,
    hardware.checkin refusing them, the kiosk's feedback on the screen's banner."""
    import pygame
    import hardware.touch
    from hardware.kiosk_app import KioskApp
    from hardware.printer import MemoryPrinter
    monkeypatch.setattr(hardware.touch, "MESSAGE_S", 600.0)    # no race with a slow machine
    cfg = dataclasses.replace(kiosk_config(mpp, "k1"), store=tmp_path / "k1.db", dpi=TOTEM_DPI)
    app = KioskApp(mpp, cfg, printer=MemoryPrinter(), touch=True, screen_size=TOTEM)
    screen = app.touch

    def shown(*texts):
        return wait_for(lambda: not screen._dirty and all(t in screen.drawn for t in texts)
                        and list(screen.drawn), 10, what=f"drawn: {texts}")

    with running(app, start=False):
        wait_for(lambda: screen.layout is not None and not screen._dirty, what="the home screen")
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1,
                                             pos=centre(screen.layout.language.rect)))
        shown("Bahasa Indonesia")
        for ch in "ANTRIAN:BK:0OOOOOO0":             # 0 and O are no code characters
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, unicode=ch, key=0, mod=0))
        english = shown("This QR code is not a booking code")
        assert NOT_A_BOOKING_QR not in english
        assert screen.message == (NOT_A_BOOKING_QR, "refused")
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1,
                                             pos=centre(screen.layout.language.rect)))
        indonesian = shown("English", "Kode QR bukan kode pemesanan")
        assert "This QR code is not a booking code" not in indonesian

        # the same bad scan while a code is being typed: said on the check-in screen itself,
        # where the visitor is looking, and Ulangi goes back to what was typed
        tap = lambda rect: pygame.event.post(pygame.event.Event(    # noqa: E731
            pygame.MOUSEBUTTONDOWN, button=1, pos=centre(rect)))
        tap(next(b.rect for b in screen.layout.buttons if b.kind == "checkin"))
        wait_for(lambda: screen.checkin.active, what="the check-in screen")
        for ch in "WX":
            tap(next(k.rect for k in checkin_layout(screen.checkin.view(), screen.size,
                                                    dpi=TOTEM_DPI).keys if k.char == ch))
        wait_for(lambda: screen.checkin.view() == CheckinView(CODE, "WX"), what="WX typed")
        for ch in "ANTRIAN:BK:0OOOOOO0":
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, unicode=ch, key=0, mod=0))
        view = wait_for(lambda: screen.checkin.view().state == ERROR and screen.checkin.view(),
                        what="the refusal on the check-in screen")
        assert view.text == NOT_A_BOOKING_QR
        shown("Kode QR bukan kode pemesanan", "Ulangi", "Kembali")
        tap(next(k.rect for k in checkin_layout(view, screen.size, dpi=TOTEM_DPI).keys
                 if k.kind == "ulangi"))
        wait_for(lambda: screen.checkin.view() == CheckinView(CODE, "WX"), what="back to WX")
