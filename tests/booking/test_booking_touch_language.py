"""The touch kiosk's check-in in English: the keyboard, the NIK pad and the refusal from the real
queue service (its ``message.en``) read back from what the screen rendered (``TouchScreen.drawn``);
the language switched on the refusal screen itself; and a kiosk left alone going home in
Indonesian. In-process kiosk against `antrian serve` and a real Mosquitto, synthetic taps."""

from __future__ import annotations


import pytest

from antrian import config as site_config
from booking.booking_kit import Mall, touch_kiosk
from booking.test_booking_touch import Taps, answered, ready
from hardware.config import kiosk_config
from hardware.touch_checkin import CODE, DONE, ERROR, NIK, CheckinView, checkin_layout
from support.touch import centre
from support.waiting import wait_for


def drawn(app, *texts: str) -> list[str]:
    """Wait until the screen has drawn its state with every one of ``texts``; what it drew."""
    def frame():
        shown = list(app.touch.drawn)
        return shown if not app.touch._dirty and all(t in shown for t in texts) else None
    return wait_for(frame, 10, what=f"drawn: {texts}")


def switch_language(app, taps: Taps, language: str) -> None:
    """Tap the language button of the screen shown (home or check-in)."""
    screen = app.touch
    taps.post(checkin_layout(screen.checkin.view(), screen.size).language.rect
              if screen.checkin.active else screen.layout.language.rect)
    wait_for(lambda: screen.language == language, what=f"language {language}")


@pytest.mark.broker
def test_a_foreign_visitor_checks_in_in_english_and_the_kiosk_goes_home_in_indonesian(
        tmp_path, artifacts):
    import pygame
    from hardware.printer import MemoryPrinter

    printer = MemoryPrinter()
    with Mall(tmp_path) as mall, touch_kiosk(mall, printer) as app:
        taps = Taps(app)
        code = mall.book("3275014107850007")
        drawn(app, "English", "Sudah pesan online? Lapor di sini")
        switch_language(app, taps, "en")
        taps.home("checkin")
        shown = drawn(app, "Check in: online booking", "Bahasa Indonesia",
                      "Type the booking code (8 letters/digits)", "Cancel", "Delete", "Send")
        assert "Kirim" not in shown and "Batal" not in shown

        # a code nobody booked: the queue's reason in English, its keys in English
        wrong = next(c for c in ("ZZZZ2222", "YYYY3333") if c != code)
        taps.text(wrong, CODE)
        drawn(app, "Type the last 4 digits of the NIK, then Send")
        taps.text("0007", NIK)
        wait_for(lambda: ready(app), what="the kiosk past its cool-down")
        taps.key("kirim")
        view = wait_for(lambda: answered(app, ERROR), 10, what="the refusal shown")
        assert view.text.en == "Sorry, no queue number could be taken: unknown booking code"
        drawn(app, view.text.en, "Try again", "Back", "Booking code")
        pygame.image.save(app.touch.surface, str(artifacts / "kiosk-touch-checkin-refused-en.png"))
        # switched on the refusal screen: the same refusal, in Indonesian
        switch_language(app, taps, "id")
        drawn(app, "Maaf, nomor antrean tidak dapat diambil: Kode pemesanan tidak dikenal",
              "Ulangi", "Kembali", "English")
        switch_language(app, taps, "en")
        taps.key("ulangi")                       # "Try again": the code kept, the digits again
        wait_for(lambda: app.touch.checkin.view() == CheckinView(NIK, wrong), what="the pad")
        taps.key("hapus")                        # "Delete" past the digits: into the code
        wait_for(lambda: app.touch.checkin.view() == CheckinView(CODE, wrong[:-1]),
                 what="back in the code")
        taps.key("batal")                        # "Cancel"
        wait_for(lambda: not app.touch.checkin.active, what="home")
        assert app.touch.language == "en"        # the visitor's choice holds while they are here

        # the booked code: the ticket in English, printed as ever (in Indonesian)
        taps.home("checkin")
        taps.text(code, CODE)
        taps.text("0007", NIK)
        wait_for(lambda: ready(app), what="the kiosk past its cool-down")
        taps.key("kirim")
        view = wait_for(lambda: answered(app, DONE), 10, what="the ticket shown")
        drawn(app, "Please take your ticket: A001", "Done")
        assert len(printer.slips) == 1 and b"A001" in printer.slips[0]
        assert b"Please" not in printer.slips[0]           # slips stay as they are
        pygame.image.save(app.touch.surface, str(artifacts / "kiosk-touch-checkin-done-en.png"))

        # left alone on the answer: home, in Indonesian, for the next visitor
        app.touch.checkin.idle_s = app.touch.idle_s = 0.3
        wait_for(lambda: not app.touch.checkin.active and app.touch.language == "id",
                 10, what="home in Indonesian")
        drawn(app, "Ambil nomor antrean: sentuh layanan yang Anda tuju", "English",
              "Sudah pesan online? Lapor di sini")


def test_the_check_in_screen_switches_language_without_losing_what_was_typed(tmp_path):
    """No broker: the screen alone, rendered, a code half typed when the language changes."""
    import time

    import pygame
    from booking.booking_kit import site_text
    from hardware.touch import TouchScreen
    path = tmp_path / "site.toml"
    path.write_text(site_text(9)[0])
    site = site_config.load(path)
    screen = TouchScreen(site, kiosk_config(site, "k1"), on_tap=lambda *a: None, size=(800, 480),
                         checkin=True)
    screen.open()
    try:
        screen.draw()
        screen.tap_at(*centre(next(b.rect for b in screen.layout.buttons if b.kind == "checkin")),
                      time.monotonic())
        for ch in "WXY":
            lay = checkin_layout(screen.checkin.view(), screen.size)
            screen.tap_at(*centre(next(k.rect for k in lay.keys if k.char == ch)),
                          time.monotonic())
        lay = checkin_layout(screen.checkin.view(), screen.size)
        screen.tap_at(*centre(lay.language.rect), time.monotonic())
        screen.draw()
        assert screen.language == "en" and screen.checkin.code == "WXY"
        assert "WXY_-____" == screen.drawn[screen.drawn.index(
            "Type the booking code (8 letters/digits)") + 1]
        assert {"Cancel", "Delete", "Send", "Bahasa Indonesia"} <= set(screen.drawn)
        # the language button is a finger target in the header, drawn
        x, y, w, h = lay.language.rect
        assert min(w, h) >= 57 and y + h <= lay.header[3]
        assert screen.surface.get_at((x + 3, y + h // 2))[:3] == (96, 125, 139)
    finally:
        pygame.display.quit()
