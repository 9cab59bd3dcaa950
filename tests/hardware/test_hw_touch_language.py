"""The touch kiosk's language button: real pygame rendering on SDL's dummy driver, synthetic taps,
and the texts each frame rendered (``TouchScreen.drawn``) read back."""

import threading
import time


from hardware.config import kiosk_config
from hardware.feedback import TerminalFeedback
from hardware.said import Said, from_message, in_language
from hardware.touch import TouchScreen
from hardware.touch_text import LABELS
from support.touch import centre
from support.waiting import wait_for

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]

CLOSED = {"status": {"open": False, "code": "break",
                     "text": {"id": "Istirahat sampai 13:00", "en": "Break until 13:00"}},
          "standard": {"fee": "Gratis", "duration_minutes": 15}}
OPEN = {"status": {"open": True}, "standard": {"fee": "Gratis", "duration_minutes": 10}}


def test_said_is_the_indonesian_string_with_its_english_twin():
    text = Said("Silakan ambil tiket Anda: A001", "Please take your ticket: A001")
    assert text == "Silakan ambil tiket Anda: A001" and isinstance(text, str)
    assert in_language(text, "en") == "Please take your ticket: A001"
    assert in_language(text, "id") == text and in_language("hanya ini", "en") == "hanya ini"
    said = from_message({"id": "Kuota habis", "en": "Quota reached"}, "tutup")
    assert (said, said.en) == ("Kuota habis", "Quota reached")
    for odd in (None, {"id": 5}, {"en": ["x"]}, "text", {}):
        assert (from_message(odd, "tutup"), from_message(odd, "tutup").en) == ("tutup", "tutup")
    only_id = from_message({"id": "Istirahat"}, "tutup")
    assert only_id.en == "Istirahat"              # Indonesian rather than nothing


def test_a_terminal_reads_the_indonesian_of_a_said(tmp_path):
    out = (tmp_path / "term.txt").open("w")
    TerminalFeedback(out, name="Kios 1").signal("ack", Said("Silakan ambil: A001", "Take: A001"))
    out.close()
    assert (tmp_path / "term.txt").read_text() == "Kios 1: OK Silakan ambil: A001\n"


def test_both_tables_have_the_same_words():
    assert set(LABELS["id"]) == set(LABELS["en"])
    for key, said in LABELS["id"].items():
        assert said.count("{") == LABELS["en"][key].count("{"), key


def test_the_language_button_switches_every_label_of_the_home_screen(mpp, artifacts):
    import pygame
    cfg = kiosk_config(mpp, "k1")
    taps = []
    screen = TouchScreen(mpp, cfg, on_tap=lambda s, t, p: taps.append((s, p)), size=(1280, 800),
                         checkin=True)
    screen.open()
    try:
        screen.set_services({"ktp": CLOSED, "kk": OPEN})
        screen.draw()
        indonesian = list(screen.drawn)
        assert "English" in indonesian and "Berikutnya >" in indonesian
        assert "Ambil nomor antrean: sentuh layanan yang Anda tuju" in indonesian
        assert "Istirahat sampai 13:00" in indonesian and "Gratis - 10 menit" in indonesian
        pages = screen.layout.pages
        assert "Silakan pilih layanan" in indonesian and f"Halaman 1/{pages}" in indonesian
        switch = screen.layout.language
        assert screen.tap_at(*centre(switch.rect), time.monotonic()) is None
        assert screen.language == "en"
        screen.draw()
        english = list(screen.drawn)
        for label in ("Bahasa Indonesia", "Take a queue number: touch the service you need",
                      "Priority: elderly, disabled, pregnant, children",
                      "Booked online? Check in here", "Next >", "Please choose a service",
                      "Break until 13:00", "Free - 10 min", f"Page 1/{pages}"):
            assert label in english, label
        # nothing of the Indonesian labels is left, only the names the site TOML gives
        names = {mpp.title} | {s.name for s in mpp.services.values()} | \
            {s.agency for s in mpp.services.values()}
        assert [t for t in english if t not in names] == \
            [t for t in english if t not in names and t not in indonesian]
        # the button is drawn where it is hit, in the nav colour
        assert screen.surface.get_at((switch.rect[0] + 3, switch.rect[1] + switch.rect[3] // 2)
                                     )[:3] == (96, 125, 139)
        pygame.image.save(screen.surface, str(artifacts / "kiosk-touch-en.png"))
        # a priority ticket in English, then the kiosk's answer in English in the banner
        prio = next(b for b in screen.layout.buttons if b.kind == "priority")
        screen.tap_at(*centre(prio.rect), time.monotonic())
        screen.draw()
        assert "PRIORITY CHOSEN: touch a service" in screen.drawn
        kk = next(b for b in screen.layout.buttons if b.service == "kk")
        assert screen.tap_at(*centre(kk.rect), time.monotonic()) == "kk"
        assert taps == [("kk", True)]
        screen.signal("ack", Said("Silakan ambil tiket Anda: B004", "Please take your ticket: B004"))
        screen.draw()
        assert "Please take your ticket: B004" in screen.drawn
        # and back
        screen.tap_at(*centre(screen.layout.language.rect), time.monotonic())
        screen.draw()
        assert "Silakan ambil tiket Anda: B004" in screen.drawn and "English" in screen.drawn
        assert "Take a queue number: touch the service you need" not in screen.drawn
    finally:
        pygame.display.quit()


def test_the_kiosk_standing_states_say_so_in_english(mpp):
    import pygame
    screen = TouchScreen(mpp, kiosk_config(mpp, "k2"), on_tap=lambda *a: None, size=(1024, 600))
    screen.open()
    try:
        screen.language = "en"
        for mode, said in [("offline", "Sorry, the queue system is not connected."),
                           ("busy", "Please wait, a ticket is being processed"),
                           ("fault", "Sorry, the printer has a problem.")]:
            screen.show(mode)
            screen.draw()
            assert any(t.startswith(said) for t in screen.drawn), (mode, screen.drawn)
    finally:
        pygame.display.quit()


def test_a_screen_left_alone_in_english_goes_home_in_indonesian(mpp, artifacts):
    import pygame
    screen = TouchScreen(mpp, kiosk_config(mpp, "k1"), on_tap=lambda *a: None, size=(800, 480),
                         checkin=True, idle_s=600)
    screen.open()
    stop = threading.Event()
    runner = threading.Thread(target=screen.run, args=(stop,), daemon=True)
    runner.start()
    try:
        wait_for(lambda: screen.layout is not None and not screen._dirty, what="the home screen")
        # English, page 2, priority chosen: each tap taken and drawn before the next
        for kind, done in [("language", lambda: screen.language == "en"),
                           ("next", lambda: screen.page == 1),
                           ("priority", lambda: screen.priority)]:
            button = screen.layout.language if kind == "language" else \
                next(b for b in screen.layout.buttons if b.kind == kind)
            pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1,
                                                 pos=centre(button.rect)))
            wait_for(lambda: done() and not screen._dirty, what=f"{kind} tapped and drawn")
        assert "PRIORITY CHOSEN: touch a service" in screen.drawn and "< Previous" in screen.drawn
        screen.idle_s = 0.3             # now left alone (set late: a loaded machine takes taps slowly)
        # Indonesian, the first page, no priority, drawn so
        wait_for(lambda: screen.language == "id" and screen.page == 0 and not screen.priority
                 and not screen._dirty and "English" in screen.drawn, 10,
                 what="the home screen in Indonesian again")
        assert "Ambil nomor antrean: sentuh layanan yang Anda tuju" in screen.drawn
        assert "Prioritas: lansia, disabilitas, ibu hamil, anak" in screen.drawn
        pygame.image.save(screen.surface, str(artifacts / "kiosk-touch-idle-home.png"))
    finally:
        stop.set()
        runner.join(5)
        pygame.display.quit()
    assert not runner.is_alive()
